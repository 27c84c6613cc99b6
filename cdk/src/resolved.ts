/** The props with their defaults, checked as the template's parameters are, plus what CloudFormation cannot check. */
import { Duration, Stack, Token, aws_events as events, aws_lambda as lambda, aws_logs as logs, aws_scheduler as scheduler, aws_sns as sns } from 'aws-cdk-lib';
import { check, checkGateName } from './checks';
import { BreakerCode } from './code';
import { DeploymentCircuitBreakerProps } from './props';
import { AlarmRule, CodeDeployEvent, GateOnError, JudgeMode, Trigger } from './settings';

/** Every setting, defaulted and checked; durations in seconds. */
export interface Resolved {
  readonly allowedDeploymentGroups: string;
  readonly code: BreakerCode;
  readonly architecture: lambda.Architecture;
  readonly triggers: Set<Trigger>;
  readonly alarmNamePrefix: string;
  readonly alarmTagMapping: boolean;
  readonly existingTopic?: sns.ITopic;
  readonly maxSignalAge: number;
  readonly reservedConcurrency: number;
  readonly alarmRules: string;
  readonly dryRun: boolean;
  readonly autoRollback: boolean;
  readonly rollbackCompletedWithin: number;
  readonly stopOnCodeDeployEvents: string;
  readonly applications: string;
  readonly regions: string[];
  readonly targetAccounts: string[];
  readonly targetRoleName: string;
  readonly notify: boolean;
  readonly notifyEventBus?: events.IEventBus;
  readonly organizationId?: string;
  readonly eventSourceAccounts: string[];
  readonly killSwitchAcrossAccounts: boolean;
  readonly snsTopicAccounts: string;
  readonly killSwitchUrl: boolean;
  readonly operatorTopic?: sns.ITopic;
  readonly bakeSeconds: number;
  readonly gateOnError: GateOnError;
  readonly judge: JudgeMode;
  readonly judgeP: string;
  readonly judgeInterval: number;
  readonly gateConcurrency: number;
  readonly logRetention: logs.RetentionDays;
  readonly checkSchedule?: scheduler.ScheduleExpression;
}

const ACCOUNT = /^[0-9]{12}$/;
const REGION = /^[a-z]+(-[a-z]+)+-[0-9]+$/;

/** The props resolved; throws, naming the prop and the parameter it stands for, at the first that is wrong. */
export function resolve(stack: Stack, props: DeploymentCircuitBreakerProps): Resolved {
  checkGateName(stack.stackName);
  const seconds = (property: string, parameter: string, value: Duration | undefined, otherwise: number) => {
    const s = value === undefined ? otherwise : value.toSeconds();
    check(property, parameter, s);
    return s;
  };
  const whole = (property: string, parameter: string, value: number | undefined, otherwise: number) => {
    const n = value ?? otherwise;
    check(property, parameter, n);
    return n;
  };
  const text = (property: string, parameter: string, value: string) => {
    check(property, parameter, value);
    return value;
  };
  const list = (property: string, parameter: string, value: string[] | undefined) => {
    check(property, parameter, (value ?? []).join(','));
    return value ?? [];
  };
  const judge = props.judge ?? JudgeMode.REPORT;
  const schedule = props.scheduledCheck === false ? undefined
    : (props.checkSchedule ?? scheduler.ScheduleExpression.rate(Duration.hours(1)));
  return {
    allowedDeploymentGroups: text('allowedDeploymentGroups', 'AllowedDeploymentGroups', props.allowedDeploymentGroups.join(',')),
    code: props.code ?? BreakerCode.fromZips(),
    architecture: props.architecture ?? lambda.Architecture.ARM_64,
    triggers: new Set(props.triggers ?? [Trigger.ALARM_RULE, Trigger.SNS_TOPIC, Trigger.CODEDEPLOY_RULE]),
    alarmNamePrefix: text('alarmNamePrefix', 'AlarmNamePrefix', props.alarmNamePrefix ?? ''),
    alarmTagMapping: props.alarmTagMapping ?? true,
    existingTopic: props.existingTopic,
    maxSignalAge: seconds('maxSignalAge', 'MaxSignalAge', props.maxSignalAge, 3600),
    reservedConcurrency: whole('reservedConcurrency', 'ReservedConcurrency', props.reservedConcurrency, 5),
    alarmRules: alarmRules(props.alarmRules ?? []),
    dryRun: props.dryRun ?? false,
    autoRollback: props.autoRollback ?? true,
    rollbackCompletedWithin: seconds('rollbackCompletedWithin', 'RollbackCompletedWithin', props.rollbackCompletedWithin, 0),
    stopOnCodeDeployEvents: (props.stopOnCodeDeployEvents ?? [CodeDeployEvent.INSTANCE_FAILURE]).join(','),
    applications: text('codeDeployApplications', 'CodeDeployApplications', props.codeDeployApplications ?? '*'),
    regions: list('regions', 'Regions', props.regions),
    targetAccounts: list('targetAccounts', 'TargetAccounts', props.targetAccounts),
    targetRoleName: text('targetRoleName', 'TargetRoleName', props.targetRoleName ?? 'deployment-circuit-breaker-target'),
    notify: props.notify ?? true,
    notifyEventBus: props.notifyEventBus,
    // Empty is none, as the template's parameter.
    organizationId: props.eventSourceOrganizationId
      ? text('eventSourceOrganizationId', 'EventSourceOrganizationId', props.eventSourceOrganizationId) : undefined,
    eventSourceAccounts: list('eventSourceAccounts', 'EventSourceAccounts', props.eventSourceAccounts),
    killSwitchAcrossAccounts: props.killSwitchAcrossAccounts ?? false,
    snsTopicAccounts: topicAccounts(props.snsTopicAccounts),
    killSwitchUrl: props.killSwitchUrl ?? false,
    operatorTopic: props.operatorTopic,
    bakeSeconds: seconds('bake', 'BakeSeconds', props.bake, 0),
    gateOnError: props.gateOnError ?? GateOnError.SUCCEED,
    judge,
    judgeP: text('judgeP', 'JudgeP', decimal(props.judgeP ?? 0.001)),
    judgeInterval: seconds('judgeInterval', 'JudgeInterval', props.judgeInterval, 60),
    gateConcurrency: whole('gateConcurrency', 'GateConcurrency', props.gateConcurrency, 5),
    logRetention: whole('logRetention', 'LogRetentionDays', props.logRetention, logs.RetentionDays.ONE_MONTH),
    checkSchedule: schedule === undefined ? undefined : (text('checkSchedule', 'CheckSchedule', schedule.expressionString), schedule),
  };
}

/** A number as a plain decimal (0.0000001, never 1e-7). */
function decimal(value: number): string {
  return value.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 20 });
}

/** ALARM_RULES, each rule checked as the function will read it. */
function alarmRules(rules: AlarmRule[]): string {
  rules.forEach((rule, i) => {
    const where = `alarmRules[${i}]`;
    if (!rule.alarm || !rule.application) {
      throw new Error(`${where}: needs an alarm (a name or a glob) and an application`);
    }
    if (rule.deploymentGroup === '') {
      throw new Error(`${where}: deploymentGroup is empty (leave it out for every group of ${rule.application})`);
    }
    if (rule.region !== undefined && !Token.isUnresolved(rule.region) && !REGION.test(rule.region)) {
      throw new Error(`${where}: region ${JSON.stringify(rule.region)} is not a region code, such as us-east-1`);
    }
    if (rule.account !== undefined && !Token.isUnresolved(rule.account) && !ACCOUNT.test(rule.account)) {
      throw new Error(`${where}: account ${JSON.stringify(rule.account)} is not a 12-digit account ID`);
    }
  });
  return JSON.stringify(rules.map((r) => ({
    alarm: r.alarm, application: r.application, deploymentGroup: r.deploymentGroup, region: r.region, account: r.account,
  })));
}

/** SNS_TOPIC_ACCOUNTS: empty, or a JSON object of topic ARN to accounts. */
function topicAccounts(map: Record<string, string[]> | undefined): string {
  if (map === undefined || Object.keys(map).length === 0) {
    return '';
  }
  for (const [topic, accounts] of Object.entries(map)) {
    const parts = topic.split(':');
    if (!Token.isUnresolved(topic) && (parts[2] !== 'sns' || !ACCOUNT.test(parts[4] ?? ''))) {
      throw new Error(`snsTopicAccounts (SnsTopicAccounts): ${JSON.stringify(topic)} is not an SNS topic ARN`);
    }
    for (const account of accounts) {
      if (!Token.isUnresolved(account) && !ACCOUNT.test(account)) {
        throw new Error(`snsTopicAccounts (SnsTopicAccounts): ${JSON.stringify(account)}, for ${topic}, is not a 12-digit account ID`);
      }
    }
  }
  return JSON.stringify(map);
}
