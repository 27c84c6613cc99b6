/** The settings the functions read from their environment, as types. */

/** The triggers that bring signals to the breaker, besides direct alarm actions (always allowed). */
export enum Trigger {
  /** An EventBridge rule for alarms entering ALARM (this account's and the target accounts'). */
  ALARM_RULE = 'AlarmRule',
  /** A subscription to an SNS topic (created, or `existingTopic`). */
  SNS_TOPIC = 'SnsTopic',
  /** An EventBridge rule for CodeDeploy deployment and instance state changes. */
  CODEDEPLOY_RULE = 'CodeDeployRule',
}

/** How the gate answers a hook when it cannot read the deployment or its alarms (GATE_ON_ERROR). */
export enum GateOnError {
  /** Let the deployment go on. */
  SUCCEED = 'succeed',
  /** Roll it back. */
  FAIL = 'fail',
}

/** The canary judge (JUDGE; docs/canary-judge.md). */
export enum JudgeMode {
  /** No judging, no metric read, and none of the breaker's queue, rule or permissions for it. */
  OFF = 'off',
  /** Judge and tell, never failing a hook or stopping a deployment for it. */
  REPORT = 'report',
  /** Fail the hook, or stop the deployment, when the new version is significantly worse. */
  ENFORCE = 'enforce',
}

/** A CodeDeploy event the breaker stops on (STOP_ON_CODEDEPLOY_EVENTS). */
export enum CodeDeployEvent {
  DEPLOYMENT_START = 'DeploymentStart',
  DEPLOYMENT_READY = 'DeploymentReady',
  DEPLOYMENT_FAILURE = 'DeploymentFailure',
  INSTANCE_START = 'InstanceStart',
  INSTANCE_READY = 'InstanceReady',
  INSTANCE_FAILURE = 'InstanceFailure',
}

/** One entry of ALARM_RULES: the alarms (a name or a glob) that guard an application's groups. */
export interface AlarmRule {
  /** The alarm's name, or a glob of names (`web-*`). */
  readonly alarm: string;
  /** The CodeDeploy application its alarms guard. */
  readonly application: string;
  /** One deployment group of it. @default every group of the application */
  readonly deploymentGroup?: string;
  /** The region of the alarms and the application. @default the region the signal comes from */
  readonly region?: string;
  /** The account of the alarms and the application. @default the account the signal comes from */
  readonly account?: string;
}
