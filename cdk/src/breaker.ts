import {
  Annotations,
  Aws,
  Duration,
  Stack,
  Token,
  aws_cloudwatch as cloudwatch,
  aws_dynamodb as dynamodb,
  aws_events as events,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_scheduler as scheduler,
  aws_sns as sns,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { alarms } from './alarms';
import { dashboard } from './dashboard';
import { DeploymentCircuitBreakerForwardingProps } from './forward-alarms';
import { Made, makeFunction, shared } from './functions';
import { DeploymentCircuitBreakerProps } from './props';
import { queue, stateTable, watchQueue } from './queues';
import { Resolved, resolve } from './resolved';
import { JudgeMode, Trigger } from './settings';
import { DeploymentCircuitBreakerTargetRoleProps } from './target-role';
import * as s from './statements';
import { alarmActions, busPolicies, killSwitchUrl, rules, topic } from './triggers';

/**
 * deployment-circuit-breaker: everything template.yaml creates. The breaker stops a bad CodeDeploy
 * deployment, with rollback, the moment an alarm, a CodeDeploy event, the canary judge or a kill
 * switch says it is bad; the gate (`CodeDeployHook_<stack>`) fails the lifecycle hooks of a
 * deployment whose alarms entered ALARM, and bakes; the readiness check proves, on a schedule,
 * that the breaker could act everywhere it should. Their queues, the state table, the rules, the
 * topic, the alarms and the dashboard come with them.
 *
 * One per stack: its queues, table, bus and gate are named after the stack.
 *
 * @example
 * new DeploymentCircuitBreaker(stack, 'Breaker', { allowedDeploymentGroups: ['shop/prod'] });
 */
export class DeploymentCircuitBreaker extends Construct {
  /** The breaker: alarm actions may invoke it; give it to a kill switch. */
  public readonly function: lambda.Function;
  /** The breaker's role: the `centralRole` of each member account's target role. */
  public readonly functionRole: iam.Role;
  /** The gate, `CodeDeployHook_<stack>`: a CodeDeploy lifecycle hook for Lambda and ECS deployments. */
  public readonly gateFunction: lambda.Function;
  public readonly gateFunctionRole: iam.Role;
  /** The readiness check: invoke it with `{"check": true}`. */
  public readonly readinessCheckFunction: lambda.Function;
  /** The readiness check's role: the `centralCheckRole` of each member account's target role. */
  public readonly readinessCheckFunctionRole: iam.Role;
  /** The records only the functions' roles write (`<stack>-state`). */
  public readonly stateTable: dynamodb.Table;
  /** Signals (and scheduled checks) given up on after retries. */
  public readonly failedInvocations: sqs.Queue;
  /** Hooks the gate's invocation failed on after retries (`<stack>-gate-failed`). */
  public readonly gateFailedInvocations: sqs.Queue;
  /** The gate's own queue of waits (`<stack>-gate-watch`) and its dead-letter queue. */
  public readonly gateWatchQueue: sqs.Queue;
  public readonly gateWatchDeadLetterQueue: sqs.Queue;
  /** The breaker's own queue of canary judge looks (`<stack>-watch`) and its dead-letter queue; none with the judge off. */
  public readonly watchQueue?: sqs.Queue;
  public readonly watchDeadLetterQueue?: sqs.Queue;
  /** Events the rules could not deliver (`<stack>-rule-targets-dlq`). */
  public readonly ruleTargetsDeadLetterQueue: sqs.Queue;
  /** The topic alarm actions and CodeDeploy triggers publish to (created or given), with `Trigger.SNS_TOPIC`. */
  public readonly topic?: sns.ITopic;
  /** The bus notifications are put on (created or given), when notifying. */
  public readonly notificationBus?: events.IEventBus;
  public readonly alarmRule?: events.Rule;
  public readonly codeDeployRule?: events.Rule;
  public readonly judgeRule?: events.Rule;
  /** The kill switch's function URL (AWS_IAM), with `killSwitchUrl`. */
  public readonly functionUrl?: lambda.FunctionUrl;
  /** The readiness check's schedule and the role it invokes the check as, unless `scheduledCheck` is false. */
  public readonly readinessCheckSchedule?: scheduler.CfnSchedule;
  public readonly readinessCheckScheduleRole?: iam.Role;
  /** The functions' log groups: the breaker's, the gate's, the readiness check's. */
  public readonly logGroup: logs.LogGroup;
  public readonly gateLogGroup: logs.LogGroup;
  public readonly readinessCheckLogGroup: logs.LogGroup;
  /** The alarms, by template logical ID (`FunctionErrorsAlarm`, `GateWatchAgeAlarm`, ...). */
  public readonly alarms: Record<string, cloudwatch.Alarm>;
  public readonly dashboard: cloudwatch.Dashboard;
  /**
   * What a member account's target role needs to match this breaker (its roles, role name,
   * applications, regions, redeploys and judge): `new DeploymentCircuitBreakerTargetRole(stack,
   * 'TargetRole', breaker.targetRoleProps)`.
   */
  public readonly targetRoleProps: DeploymentCircuitBreakerTargetRoleProps;
  /**
   * What a member account's forwarding needs to feed this breaker (its account and region, its
   * alarm name prefix, CodeDeploy events with `Trigger.CODEDEPLOY_RULE`, deployment starts unless
   * the judge is off): `new DeploymentCircuitBreakerForwarding(stack, 'Forwarding', breaker.forwardingProps)`.
   */
  public readonly forwardingProps: DeploymentCircuitBreakerForwardingProps;

  constructor(scope: Construct, id: string, props: DeploymentCircuitBreakerProps) {
    super(scope, id);
    const stack = Stack.of(this);
    if (STACKS.has(stack)) {
      throw new Error(`${stack.stackName} has a DeploymentCircuitBreaker already: one per stack (its gate, table, queues and bus are named after the stack)`);
    }
    STACKS.add(stack);
    const settings = resolve(stack, props);
    ignored(this, props);
    const code = settings.code.codes();
    const judging = settings.judge !== JudgeMode.OFF;

    this.failedInvocations = queue(this, 'FailedInvocations', { kept: true, failures: true });
    this.gateFailedInvocations = queue(this, 'GateFailedInvocations', { suffix: 'gate-failed', kept: true, failures: true });
    this.ruleTargetsDeadLetterQueue = queue(this, 'RuleTargetsDeadLetterQueue', { suffix: 'rule-targets-dlq', kept: true, failures: true });
    const gateWatch = watchQueue(this, 'GateWatch', 'gate-watch', 'OnlyTheGateSends');
    [this.gateWatchQueue, this.gateWatchDeadLetterQueue] = [gateWatch.queue, gateWatch.deadLetter];
    const watch = judging ? watchQueue(this, 'Watch', 'watch', 'OnlyTheBreakerSends') : undefined;
    [this.watchQueue, this.watchDeadLetterQueue] = [watch?.queue, watch?.deadLetter];

    this.notificationBus = settings.notifyEventBus ?? (settings.notify
      ? new events.EventBus(this, 'NotificationBus', { eventBusName: `${Aws.STACK_NAME}-notifications` })
      : undefined);
    const busArn = settings.notify ? this.notificationBus?.eventBusArn : undefined;
    // A given bus by its ARN (NOTIFY_EVENT_BUS takes a name or an ARN): it may be another account's.
    const bus: Record<string, string> = this.notificationBus === undefined ? {}
      : { NOTIFY_EVENT_BUS: settings.notifyEventBus?.eventBusArn ?? this.notificationBus.eventBusName };

    const breaker = this.breaker(settings, code.breaker, busArn, bus);
    [this.function, this.functionRole, this.logGroup] = [breaker.fn, breaker.role, breaker.logGroup];
    const gate = this.gate(settings, code.gate, busArn, bus);
    [this.gateFunction, this.gateFunctionRole, this.gateLogGroup] = [gate.fn, gate.role, gate.logGroup];
    const check = this.check(settings, code.readinessCheck, busArn, bus, [breaker.role, gate.role]);
    [this.readinessCheckFunction, this.readinessCheckFunctionRole, this.readinessCheckLogGroup] = [check.fn, check.role, check.logGroup];

    gateWatch.onlySender(gate.role);
    watch?.onlySender(breaker.role);
    this.stateTable = stateTable(this, [breaker.role, gate.role]);
    breaker.fn.addEnvironment('STATE_TABLE', this.stateTable.tableName);
    gate.fn.addEnvironment('STATE_TABLE', this.stateTable.tableName);
    new lambda.EventSourceMapping(this, 'GateWatchMapping', mapping(gate.fn, this.gateWatchQueue));
    if (this.watchQueue !== undefined) {
      new lambda.EventSourceMapping(this, 'WatchMapping', mapping(breaker.fn, this.watchQueue));
    }

    ({ alarmRule: this.alarmRule, codeDeployRule: this.codeDeployRule, judgeRule: this.judgeRule } =
      rules(this, settings, breaker.fn, this.ruleTargetsDeadLetterQueue));
    this.topic = topic(this, settings, breaker.fn);
    alarmActions(this, settings, breaker.fn);
    this.functionUrl = killSwitchUrl(this, settings, breaker.fn);
    busPolicies(this, settings);
    [this.readinessCheckSchedule, this.readinessCheckScheduleRole] = schedule(this, settings, check.fn) ?? [];

    // Regions empty: the breaker's own, which a member's stack in another region must be told.
    const here = Token.isUnresolved(stack.region) ? [] : [stack.region];
    this.targetRoleProps = {
      centralRole: breaker.role,
      centralCheckRole: check.role,
      roleName: settings.targetRoleName,
      codeDeployApplications: settings.applications,
      regions: settings.regions.length > 0 ? settings.regions : here,
      rollbackCompletedWithin: Duration.seconds(settings.rollbackCompletedWithin),
      judge: settings.judge,
    };
    this.forwardingProps = {
      centralAccount: stack.account,
      centralRegion: here[0],
      alarmNamePrefix: settings.alarmNamePrefix,
      forwardCodeDeployEvents: settings.triggers.has(Trigger.CODEDEPLOY_RULE),
      forwardDeploymentStarts: judging,
    };

    this.alarms = alarms(this, {
      breaker: breaker.fn, gate: gate.fn, check: check.fn,
      failedInvocations: this.failedInvocations, gateFailedInvocations: this.gateFailedInvocations,
      gateWatch: this.gateWatchQueue, gateWatchDeadLetters: this.gateWatchDeadLetterQueue,
      ruleTargetsDeadLetters: this.ruleTargetsDeadLetterQueue, watch: this.watchQueue,
      watchDeadLetters: this.watchDeadLetterQueue, scheduledCheck: settings.checkSchedule !== undefined,
      operatorTopic: settings.operatorTopic,
    });
    const queueAlarms = ['WatchAgeAlarm', 'WatchDeadLetterAlarm', 'GateThrottlesAlarm', 'GateWatchAgeAlarm',
      'GateWatchDeadLetterAlarm', 'GateFailedInvocationsAlarm', 'RuleTargetsDeadLetterAlarm', 'FailedInvocationsAlarm'];
    this.dashboard = dashboard(this, {
      breaker: breaker.fn, gate: gate.fn, check: check.fn,
      logs: { breaker: breaker.logGroup, gate: gate.logGroup, check: check.logGroup },
      queues: {
        failedInvocations: this.failedInvocations, gateFailedInvocations: this.gateFailedInvocations,
        gateWatch: this.gateWatchQueue, gateWatchDeadLetters: this.gateWatchDeadLetterQueue,
        ruleTargetsDeadLetters: this.ruleTargetsDeadLetterQueue, watch: this.watchQueue, watchDeadLetters: this.watchDeadLetterQueue,
      },
      alarms: queueAlarms.flatMap((name) => this.alarms[name] ?? []),
    });
  }

  /** The breaker, `Function`, and its role's statements, as template.yaml's FunctionRole. */
  private breaker(settings: Resolved, code: lambda.Code, busArn: string | undefined, bus: Record<string, string>): Made {
    const reach: s.Reach = { applications: settings.applications, regions: settings.regions };
    const judging = this.watchQueue !== undefined;
    return makeFunction(this, 'Function', settings, {
      code,
      failures: this.failedInvocations.queueArn,
      // Three SDK attempts of at most 5 s each, with backoff, for a few calls per invocation.
      timeout: Duration.seconds(60),
      reserved: settings.reservedConcurrency,
      statements: [
        s.findDeploymentGroups(reach),
        ...s.stopDeployments(reach),
        ...(settings.rollbackCompletedWithin > 0 ? s.redeploy(reach) : []),
        ...targetRoles(settings),
        ...(busArn === undefined ? [] : [s.notify(busArn)]),
        s.stateTable(['GetItem', 'PutItem', 'DeleteItem']),
        ...(judging ? s.judge(reach) : []),
        ...(this.watchQueue === undefined ? []
          : s.watches(this.watchQueue.queueArn, ['SendMessage', 'ChangeMessageVisibility'],
            ['ReceiveMessage', 'DeleteMessage', 'GetQueueAttributes'])),
      ],
      environment: {
        ...shared(settings),
        MAX_SIGNAL_AGE: String(settings.maxSignalAge),
        DRY_RUN: String(settings.dryRun),
        AUTO_ROLLBACK: String(settings.autoRollback),
        STOP_ON_CODEDEPLOY_EVENTS: settings.stopOnCodeDeployEvents,
        TARGET_ACCOUNTS: settings.targetAccounts.join(','),
        TARGET_ROLE_NAME: settings.targetRoleName,
        NOTIFY: String(settings.notify),
        ...bus,
        KILL_SWITCH_ACROSS_ACCOUNTS: String(settings.killSwitchAcrossAccounts),
        SNS_TOPIC_ACCOUNTS: settings.snsTopicAccounts,
        ROLLBACK_COMPLETED_WITHIN: String(settings.rollbackCompletedWithin),
        JUDGE: settings.judge,
        JUDGE_P: settings.judgeP,
        JUDGE_INTERVAL: String(settings.judgeInterval),
        ...(this.watchQueue === undefined ? {} : { WATCH_QUEUE_URL: this.watchQueue.queueUrl }),
      },
    });
  }

  /** The gate, `GateFunction` (`CodeDeployHook_<stack>`: CodeDeploy's managed policy invokes only such names). */
  private gate(settings: Resolved, code: lambda.Code, busArn: string | undefined, bus: Record<string, string>): Made {
    return makeFunction(this, 'GateFunction', settings, {
      code,
      functionName: `CodeDeployHook_${Aws.STACK_NAME}`,
      failures: this.gateFailedInvocations.queueArn,
      // One hook, or one poll of the watches a batch of its queue brings: never a whole bake.
      timeout: Duration.seconds(60),
      reserved: settings.gateConcurrency,
      statements: s.gate(settings.applications, settings.judge !== JudgeMode.OFF, busArn, this.gateWatchQueue.queueArn),
      environment: {
        ...shared(settings),
        NOTIFY: String(settings.notify),
        ...bus,
        BAKE_SECONDS: String(settings.bakeSeconds),
        GATE_ON_ERROR: settings.gateOnError,
        JUDGE: settings.judge,
        JUDGE_P: settings.judgeP,
        DRY_RUN: String(settings.dryRun),
        WATCH_QUEUE_URL: this.gateWatchQueue.queueUrl,
      },
    });
  }

  /** The readiness check, `ReadinessCheckFunction`: its reads, the simulator, nothing that changes a deployment. */
  private check(settings: Resolved, code: lambda.Code, busArn: string | undefined, bus: Record<string, string>,
    [breaker, gate]: iam.IRole[]): Made {
    const reach: s.Reach = { applications: settings.applications, regions: settings.regions };
    return makeFunction(this, 'ReadinessCheckFunction', settings, {
      code,
      failures: this.failedInvocations.queueArn,
      // Not on the path to a stop: a large estate gets 5 minutes.
      timeout: Duration.minutes(5),
      statements: [
        s.findApplications(reach),
        s.findDeploymentGroups(reach),
        s.readDeploymentGroups(reach),
        ...s.readAlarms(reach),
        new iam.PolicyStatement({ sid: 'SimulateRoles', actions: ['iam:SimulatePrincipalPolicy'], resources: [breaker.roleArn, gate.roleArn] }),
        ...targetRoles(settings),
        ...(busArn === undefined ? [] : [s.notify(busArn)]),
      ],
      environment: {
        ...shared(settings),
        TARGET_ACCOUNTS: settings.targetAccounts.join(','),
        TARGET_ROLE_NAME: settings.targetRoleName,
        NOTIFY: String(settings.notify),
        ...bus,
        ROLLBACK_COMPLETED_WITHIN: String(settings.rollbackCompletedWithin),
        REGIONS: settings.regions.length > 0 ? settings.regions.join(',') : Aws.REGION,
        FUNCTION_ROLE_ARN: breaker.roleArn,
        GATE_ROLE_ARN: gate.roleArn,
      },
    });
  }
}

/** The stacks that have a breaker. */
const STACKS = new WeakSet<Stack>();

/** Warns of props given where they do nothing. */
function ignored(scope: Construct, props: DeploymentCircuitBreakerProps): void {
  const warn = (id: string, message: string) => Annotations.of(scope).addWarningV2(`deployment-circuit-breaker:${id}`, message);
  if (props.checkSchedule !== undefined && props.scheduledCheck === false) {
    warn('checkScheduleIgnored', 'checkSchedule is ignored: scheduledCheck is false');
  }
  if (props.existingTopic !== undefined && props.triggers !== undefined && !props.triggers.includes(Trigger.SNS_TOPIC)) {
    warn('existingTopicIgnored', 'existingTopic is ignored: triggers has no Trigger.SNS_TOPIC');
  }
}

function targetRoles(settings: Resolved): iam.PolicyStatement[] {
  return settings.targetAccounts.length > 0 ? [s.assumeTargetRoles(settings.targetRoleName, settings.targetAccounts)] : [];
}

/** Batches of up to 10, a failed one reported alone; at most 2 at once, so the polls never take all of a function's reserved concurrency. */
function mapping(target: lambda.IFunction, source: sqs.IQueue): lambda.EventSourceMappingProps {
  return { target, eventSourceArn: source.queueArn, batchSize: 10, reportBatchItemFailures: true, maxConcurrency: 2, enabled: true };
}

/** The readiness check on its schedule, through a role that may invoke only the check function. */
function schedule(scope: Construct, settings: Resolved, check: lambda.IFunction): [scheduler.CfnSchedule, iam.Role] | undefined {
  if (settings.checkSchedule === undefined) {
    return undefined;
  }
  const role = new iam.Role(scope, 'ReadinessCheckRole', {
    description: "EventBridge Scheduler invokes deployment-circuit-breaker's readiness check function",
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } } }),
    inlinePolicies: {
      'invoke-readiness-check': s.document([new iam.PolicyStatement({
        sid: 'InvokeReadinessCheck', actions: ['lambda:InvokeFunction'], resources: [check.functionArn],
      })]),
    },
  });
  return [new scheduler.CfnSchedule(scope, 'ReadinessCheck', {
    description: 'deployment-circuit-breaker readiness check (payload {"check": true})',
    scheduleExpression: settings.checkSchedule.expressionString,
    scheduleExpressionTimezone: settings.checkSchedule.timeZone?.timezoneName,
    flexibleTimeWindow: { mode: 'OFF' },
    state: 'ENABLED',
    target: { arn: check.functionArn, roleArn: role.roleArn, input: '{"check": true}' },
  }), role];
}
