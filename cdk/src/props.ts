import {
  Duration,
  aws_events as events,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_scheduler as scheduler,
  aws_sns as sns,
} from 'aws-cdk-lib';
import { BreakerCode } from './code';
import { AlarmRule, CodeDeployEvent, GateOnError, JudgeMode, Trigger } from './settings';

/**
 * The breaker's settings: template.yaml's parameters, typed (docs/configuration.md says what
 * each does; the template parameter each stands for is named in its doc).
 */
export interface DeploymentCircuitBreakerProps {
  /**
   * The deployment groups the breaker may stop, as `[account:]application/group` globs
   * (`shop/prod`, `billing/*`, `222233334444:orders/prod`; `*\/*` for every group).
   * AllowedDeploymentGroups.
   */
  readonly allowedDeploymentGroups: string[];

  /** The functions' code. @default BreakerCode.fromZips() */
  readonly code?: BreakerCode;
  /** The functions' processor architecture (the zips' must match). @default lambda.Architecture.ARM_64 */
  readonly architecture?: lambda.Architecture;
  /**
   * The triggers to create; direct alarm actions are always allowed. Triggers.
   * @default - all three
   */
  readonly triggers?: Trigger[];
  /** Only alarms whose name starts with this map to anything. AlarmNamePrefix. @default - every alarm */
  readonly alarmNamePrefix?: string;
  /** Map alarms to groups by their tags. AlarmTagMapping. @default true */
  readonly alarmTagMapping?: boolean;
  /** Subscribe to this topic instead of creating one (with `Trigger.SNS_TOPIC`). ExistingTopicArn. @default - a topic is created */
  readonly existingTopic?: sns.ITopic;
  /** Signals older than this are ignored as stale (zero: no limit). MaxSignalAge. @default Duration.hours(1) */
  readonly maxSignalAge?: Duration;
  /** Invocations reserved for the breaker (0: none). ReservedConcurrency. @default 5 */
  readonly reservedConcurrency?: number;
  /** Alarms that guard groups by their names. AlarmRules. @default - none */
  readonly alarmRules?: AlarmRule[];
  /** Report what would be stopped, stop nothing. DryRun. @default false */
  readonly dryRun?: boolean;
  /** Roll back the deployments it stops. AutoRollback. @default true */
  readonly autoRollback?: boolean;
  /**
   * A signal finding a Server deployment that succeeded at most this long before redeploys its
   * previous revision (zero: never; at most an hour). RollbackCompletedWithin.
   * @default Duration.seconds(0)
   */
  readonly rollbackCompletedWithin?: Duration;
  /** The CodeDeploy events that stop a deployment. StopOnCodeDeployEvents. @default [CodeDeployEvent.INSTANCE_FAILURE] */
  readonly stopOnCodeDeployEvents?: CodeDeployEvent[];
  /** The applications (a name or a glob) the roles may read and redeploy to. CodeDeployApplications. @default '*' */
  readonly codeDeployApplications?: string;
  /** The regions the breaker acts in and the readiness check looks in. Regions. @default - the stack's region */
  readonly regions?: string[];
  /** The other accounts the breaker acts in, through their target roles. TargetAccounts. @default - none */
  readonly targetAccounts?: string[];
  /** The role it assumes in each target account. TargetRoleName. @default 'deployment-circuit-breaker-target' */
  readonly targetRoleName?: string;
  /** Put an event on a bus for each stop, would-stop or failed stop. Notify. @default true */
  readonly notify?: boolean;
  /** The bus to notify on. NotifyEventBus. @default - a bus `<stack>-notifications` is created */
  readonly notifyEventBus?: events.IEventBus;
  /** Let this organization's accounts put events on the default bus (and call the kill switch URL). EventSourceOrganizationId. @default - none */
  readonly eventSourceOrganizationId?: string;
  /** Let these accounts put events on the default bus. EventSourceAccounts. @default - none */
  readonly eventSourceAccounts?: string[];
  /** Let a kill switch name one of the target accounts. KillSwitchAcrossAccounts. @default false */
  readonly killSwitchAcrossAccounts?: boolean;
  /** SNS topic ARN → the accounts besides its owner whose signals it may carry. SnsTopicAccounts. @default - none */
  readonly snsTopicAccounts?: Record<string, string[]>;
  /**
   * A function URL (AWS_IAM) for a kill switch that knows who pressed it, callable by the
   * organization's principals, or else by this account's and each target account's. KillSwitchUrl.
   * @default false
   */
  readonly killSwitchUrl?: boolean;
  /** The topic told when the breaker itself fails. OperatorTopicArn. @default - none */
  readonly operatorTopic?: sns.ITopic;
  /** How long the gate watches the alarms at AfterAllowTraffic (at most 55 minutes). BakeSeconds. @default Duration.seconds(0) */
  readonly bake?: Duration;
  /** How the gate answers when it cannot check. GateOnError. @default GateOnError.SUCCEED */
  readonly gateOnError?: GateOnError;
  /** The canary judge. Judge. @default JudgeMode.REPORT */
  readonly judge?: JudgeMode;
  /** The canary judge's significance level, above 0 and below 0.5. JudgeP. @default 0.001 */
  readonly judgeP?: number;
  /** Between two looks of the breaker's judge (1 to 15 minutes). JudgeInterval. @default Duration.minutes(1) */
  readonly judgeInterval?: Duration;
  /** Invocations reserved for the gate (0: none). GateConcurrency. @default 5 */
  readonly gateConcurrency?: number;
  /** How long the functions' logs are kept. LogRetentionDays. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** When the readiness check runs. CheckSchedule. @default ScheduleExpression.rate(Duration.hours(1)) */
  readonly checkSchedule?: scheduler.ScheduleExpression;
  /** Whether the readiness check runs on a schedule (and CheckFailuresAlarm pages). @default true */
  readonly scheduledCheck?: boolean;
}
