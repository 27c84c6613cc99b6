/**
 * What the breaker, the gate and the readiness check did this week: template.yaml's dashboard,
 * `<stack>-<region>`. Their metrics (EMF in their logs) are in the DeploymentCircuitBreaker
 * namespace; the logs' tables read the lines the functions write.
 */
import { Aws, Duration, aws_cloudwatch as cw, aws_lambda as lambda, aws_logs as logs, aws_sqs as sqs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { lambdaMetric, ownMetric, queueMetric } from './metrics';

/** What the dashboard shows. */
export interface Shown {
  readonly breaker: lambda.IFunction;
  readonly gate: lambda.IFunction;
  readonly check: lambda.IFunction;
  readonly logs: { breaker: logs.ILogGroup; gate: logs.ILogGroup; check: logs.ILogGroup };
  readonly queues: {
    failedInvocations: sqs.IQueue; gateFailedInvocations: sqs.IQueue; gateWatch: sqs.IQueue;
    gateWatchDeadLetters: sqs.IQueue; ruleTargetsDeadLetters: sqs.IQueue; watch?: sqs.IQueue; watchDeadLetters?: sqs.IQueue;
  };
  /** The queues' alarms. */
  readonly alarms: cw.IAlarm[];
}

const own = (metricName: string, statistic: string, label?: string, period?: Duration) =>
  ownMetric(metricName, { statistic, label, period });

const TRIPS = ['Stopped', 'WouldStop', 'Redeployed', 'WouldRedeploy', 'StopFailed', 'Skipped', 'AlreadyCompleted'];

/** A single-value widget over the dashboard's range. */
function total(title: string, metrics: cw.IMetric[], width: number): cw.SingleValueWidget {
  return new cw.SingleValueWidget({ title, metrics, setPeriodToTimeRange: true, width, height: 5 });
}

function percentiles(name: string, p90 = false): cw.IMetric[] {
  return [own(name, 'p50', 'p50'), ...(p90 ? [own(name, 'p90', 'p90')] : []), own(name, 'Maximum', 'max')];
}

/** A function's hourly sum. */
const hourly = (fn: lambda.IFunction, name: string, label?: string) =>
  lambdaMetric(fn, name, { statistic: 'Sum', label, period: Duration.hours(1) });

/** A queue's maximum, every 5 minutes. */
const queued = (queue: sqs.IQueue, name: string, label: string) => queueMetric(queue, name, { label });

/** A queue's waits: delayed, due, and the oldest's age. */
function waits(title: string, queue: sqs.IQueue): cw.GraphWidget {
  return new cw.GraphWidget({
    title, width: 8, height: 6,
    left: [queued(queue, 'ApproximateNumberOfMessagesDelayed', 'waiting (delayed)'),
      queued(queue, 'ApproximateNumberOfMessagesVisible', 'due')],
    right: [queued(queue, 'ApproximateAgeOfOldestMessage', 'oldest (s)')],
  });
}

function table(title: string, group: logs.ILogGroup, query: string, height: number, width = 24): cw.LogQueryWidget {
  return new cw.LogQueryWidget({
    title, logGroupNames: [group.logGroupName], queryString: query, view: cw.LogQueryVisualizationType.TABLE, width, height,
  });
}

export function dashboard(scope: Construct, s: Shown): cw.Dashboard {
  const q = s.queues;
  const board = new cw.Dashboard(scope, 'Dashboard', {
    dashboardName: `${Aws.STACK_NAME}-${Aws.REGION}`,
    start: '-P7D',
    periodOverride: cw.PeriodOverride.INHERIT,
  });
  board.addWidgets(
    total('Trips by outcome (sum over the range)', TRIPS.map((n) => own(n, 'Sum')), 12),
    total('Signal to stop, ms (over the range)', percentiles('SignalToStop', true), 12),
  );
  board.addWidgets(
    new cw.GraphWidget({ title: 'Trips by outcome, per day', stacked: true, width: 8, height: 6,
      left: TRIPS.map((n) => own(n, 'Sum', undefined, Duration.days(1))) }),
    new cw.GraphWidget({ title: 'Failures, per hour', width: 8, height: 6,
      left: ['StopFailed', 'LookupsFailed', 'NotificationsFailed'].map((n) => own(n, 'Sum', undefined, Duration.hours(1))) }),
    new cw.GraphWidget({ title: "The functions' own errors, per hour", width: 8, height: 6, left: [
      hourly(s.breaker, 'Errors'), hourly(s.breaker, 'Throttles'),
      hourly(s.gate, 'Errors', 'Gate Errors'), hourly(s.gate, 'Throttles', 'Gate Throttles'),
      hourly(s.check, 'Errors', 'Check Errors'),
      queueMetric(q.failedInvocations, 'ApproximateNumberOfMessagesVisible', { label: 'Failure queue (messages)', period: Duration.hours(1) }),
    ] }),
  );
  board.addWidgets(
    total('Gate answers, and looks that did not answer (sum over the range)',
      ['GatePassed', 'GateFailed', 'GateCouldNotCheck', 'GateWaiting', 'GateDropped'].map((n) => own(n, 'Sum')), 8),
    total('Gate bakes, seconds baked (over the range)',
      [own('BakeSeconds', 'Sum', 'total'), own('BakeSeconds', 'Maximum', 'longest bake')], 8),
    total('Alarm to gate answer, ms (over the range)', percentiles('AlarmToGateAnswer'), 8),
  );
  board.addWidgets(
    total('Canary judge verdicts, gate and breaker (sum over the range)',
      ['JudgePass', 'JudgeFail', 'JudgeInconclusive'].map((n) => own(n, 'Sum')), 8),
    total('First bad minute to gate answer, ms (over the range)', percentiles('BadMinuteToGateAnswer'), 8),
    total("First bad minute to the breaker's stop, s (over the range)", percentiles('FirstBadMinuteToStop'), 8),
  );
  board.addWidgets(
    new cw.GraphWidget({ title: 'Readiness check', width: 8, height: 6,
      left: ['CheckFailures', 'UnguardedGroups', 'DanglingMappings'].map((n) => own(n, 'Maximum', undefined, Duration.hours(1))) }),
    table('Unguarded groups (latest check)', s.logs.check, "filter `fields.message` = 'check' | fields @timestamp, "
      + '`fields.outcome` as outcome, `fields.failures` as failures, `fields.unguarded` as unguarded, '
      + '`fields.dangling` as dangling | sort @timestamp desc | limit 1', 6, 16),
  );
  board.addWidgets(table('Latest decisions', s.logs.breaker, "filter `fields.message` = 'decision' | fields @timestamp, "
    + '`fields.outcome` as outcome, `fields.deployment_id` as deployment, `fields.account` as account, '
    + '`fields.region` as region, `fields.reason` as reason | sort @timestamp desc | limit 100', 8));
  board.addWidgets(table('Latest gate answers', s.logs.gate, "filter `fields.message` = 'gate' | fields @timestamp, "
    + '`fields.outcome` as outcome, `fields.reason` as reason | sort @timestamp desc | limit 100', 6));
  board.addWidgets(table('Latest judged hooks (canary judge)', s.logs.gate, "filter `fields.message` = 'gate' and "
    + "`fields.outcome` != 'waiting' and `fields.report` like /\"judge\"/ | parse `fields.report` "
    + '/"deploymentId":"(?<deployment>[^"]+)"/ | parse `fields.report` /"verdict":"(?<verdict>[a-z]+)",'
    + '"reason":"(?<reason>[^"]*)"/ | fields @timestamp, deployment, verdict, reason | sort @timestamp desc | limit 100', 6));
  const visible = (queue: sqs.IQueue, label: string) => queued(queue, 'ApproximateNumberOfMessagesVisible', label);
  board.addWidgets(
    new cw.AlarmStatusWidget({ title: "The queues' alarms", alarms: s.alarms, width: 8, height: 6 }),
    waits("The gate's waits (watch queue)", q.gateWatch),
    new cw.GraphWidget({ title: 'Dead-letter and failure queues (messages)', width: 8, height: 6, left: [
      visible(q.gateWatchDeadLetters, 'gate waits given up'),
      ...(q.watchDeadLetters === undefined ? [] : [visible(q.watchDeadLetters, 'breaker judge looks given up')]),
      visible(q.gateFailedInvocations, 'gate hooks failed'),
      visible(q.ruleTargetsDeadLetters, 'rule events undelivered'),
      visible(q.failedInvocations, 'breaker and check failures'),
    ] }),
  );
  if (q.watch !== undefined) {
    board.addWidgets(waits("The breaker's canary judge looks (watch queue)", q.watch));
  }
  return board;
}
