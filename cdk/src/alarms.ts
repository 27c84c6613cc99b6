/**
 * A broken breaker must be noticed: template.yaml's alarms, each telling the operator topic when
 * one is given. One minute, one period, missing data not breaching, but for the readiness check's
 * (two hours, missing data breaching: a check that stops reporting pages as a failing one does).
 */
import { Duration, aws_cloudwatch as cloudwatch, aws_cloudwatch_actions as actions, aws_lambda as lambda, aws_sns as sns, aws_sqs as sqs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { lambdaMetric, ownMetric, queueMetric } from './metrics';

/** What the alarms watch. */
export interface Watched {
  readonly breaker: lambda.IFunction;
  readonly gate: lambda.IFunction;
  readonly check: lambda.IFunction;
  readonly failedInvocations: sqs.IQueue;
  readonly gateFailedInvocations: sqs.IQueue;
  readonly gateWatch: sqs.IQueue;
  readonly gateWatchDeadLetters: sqs.IQueue;
  readonly ruleTargetsDeadLetters: sqs.IQueue;
  readonly watch?: sqs.IQueue;
  readonly watchDeadLetters?: sqs.IQueue;
  readonly scheduledCheck: boolean;
  readonly operatorTopic?: sns.ITopic;
}

type Rule = [string, string, cloudwatch.Metric, number, cloudwatch.ComparisonOperator];

const ABOVE = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD;
const AT_LEAST = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;

/** Each alarm's one period. */
const MINUTE = Duration.minutes(1);
const sum = (fn: lambda.IFunction, name: string) => lambdaMetric(fn, name, { statistic: 'Sum', period: MINUTE });

/** Messages in a queue, per minute: those in a dead-letter or failure queue have failed. */
export const visible = (queue: sqs.IQueue) => queueMetric(queue, 'ApproximateNumberOfMessagesVisible', { period: MINUTE });
const oldest = (queue: sqs.IQueue) => queueMetric(queue, 'ApproximateAgeOfOldestMessage', { period: MINUTE });

/** The alarms, by template logical ID. */
export function alarms(scope: Construct, w: Watched): Record<string, cloudwatch.Alarm> {
  const rules: Rule[] = [
    ['FunctionErrorsAlarm', 'deployment-circuit-breaker failed to act on a signal (see its logs)',
      sum(w.breaker, 'Errors'), 1, AT_LEAST],
    ['FailedInvocationsAlarm', 'deployment-circuit-breaker gave up on a signal, or on a scheduled readiness check (messages in its failure queue)',
      visible(w.failedInvocations), 1, AT_LEAST],
    ['FunctionThrottlesAlarm', "deployment-circuit-breaker was throttled (its reserved concurrency, or the account's, is used up): signals wait and may arrive stale",
      sum(w.breaker, 'Throttles'), 0, ABOVE],
    ['AsyncEventAgeAlarm', 'deployment-circuit-breaker received a signal more than a minute after it was queued',
      lambdaMetric(w.breaker, 'AsyncEventAge', { statistic: 'Maximum', period: MINUTE }), 60000, ABOVE],
    ['GateErrorsAlarm', 'the deployment gate (CodeDeployHook function) failed to answer a hook (see its logs)',
      sum(w.gate, 'Errors'), 1, AT_LEAST],
    ['GateThrottlesAlarm', "the deployment gate (CodeDeployHook function) was throttled (GateConcurrency, or the account's concurrency, is used up): hooks are answered late and bakes polled late",
      sum(w.gate, 'Throttles'), 0, ABOVE],
    ['CheckErrorsAlarm', 'the readiness check (ReadinessCheckFunction) failed as an invocation (see its logs)',
      sum(w.check, 'Errors'), 1, AT_LEAST],
    ['GateWatchDeadLetterAlarm', "the deployment gate gave up on a bake's wait (a message in its watch dead-letter queue, <stack>-gate-watch-dlq): the hook it names is left for CodeDeploy to time out (see the gate's logs)",
      visible(w.gateWatchDeadLetters), 0, ABOVE],
    // Twice the longest wait (DelaySeconds at most 900 s): a wait sitting out its whole delay does not page.
    ['GateWatchAgeAlarm', "the deployment gate's waits are not being taken (the oldest message in its watch queue, <stack>-gate-watch, is over 30 minutes old): check its event source mapping, throttles and logs; bakes are not being polled",
      oldest(w.gateWatch), 1800, ABOVE],
    ['GateFailedInvocationsAlarm', "the deployment gate failed a hook's invocation after retries (a message in its failure queue, <stack>-gate-failed): that hook is unanswered (see the gate's logs)",
      visible(w.gateFailedInvocations), 0, ABOVE],
    ['RuleTargetsDeadLetterAlarm', "EventBridge could not deliver a signal to deployment-circuit-breaker (a message in <stack>-rule-targets-dlq): an alarm or CodeDeploy event reached no one; the message's attributes say why",
      visible(w.ruleTargetsDeadLetters), 0, ABOVE],
    ['NotificationsFailedAlarm', 'deployment-circuit-breaker could not put a notification: a stop may have happened with nobody told (see its logs)',
      ownMetric('NotificationsFailed', { statistic: 'Sum', period: MINUTE }), 0, ABOVE],
  ];
  if (w.watch !== undefined && w.watchDeadLetters !== undefined) {
    rules.push(
      ['WatchDeadLetterAlarm', "deployment-circuit-breaker gave up on a look of its canary judge (a message in its watch dead-letter queue, <stack>-watch-dlq): the deployment it names is judged no more (see the breaker's logs)",
        visible(w.watchDeadLetters), 0, ABOVE],
      ['WatchAgeAlarm', "deployment-circuit-breaker's canary judge looks are not being taken (the oldest message in its watch queue, <stack>-watch, is over 30 minutes old): check its event source mapping (WatchMapping), throttles and logs; running deployments are not being judged",
        oldest(w.watch), 1800, ABOVE],
    );
  }
  const made: Record<string, cloudwatch.Alarm> = {};
  for (const [id, alarmDescription, metric, threshold, comparisonOperator] of rules) {
    made[id] = alarm(scope, id, { alarmDescription, metric, threshold, comparisonOperator }, w.operatorTopic);
  }
  if (w.scheduledCheck) {
    // Twice the default schedule (rate(1 hour)): one late or missed run does not page.
    made.CheckFailuresAlarm = alarm(scope, 'CheckFailuresAlarm', {
      alarmDescription: "deployment-circuit-breaker's readiness check failed, or has not reported for 2 hours: the breaker may not be able to stop a bad deployment. Read the latest check report in the readiness check function's logs (the line whose message is `check`, also on the dashboard's \"Unguarded groups (latest check)\"): its failures, unguarded groups and dangling mappings say what to fix; no such line for 2 hours means the schedule, its role or the check function is at fault",
      metric: ownMetric('CheckFailures', { statistic: 'Maximum', period: Duration.hours(2) }),
      threshold: 0,
      comparisonOperator: ABOVE,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    }, w.operatorTopic);
  }
  return made;
}

/** An alarm over one period, missing data not breaching unless said, telling `topic` when given. */
export function alarm(
  scope: Construct,
  id: string,
  props: Omit<cloudwatch.AlarmProps, 'evaluationPeriods'>,
  topic?: sns.ITopic,
): cloudwatch.Alarm {
  const made = new cloudwatch.Alarm(scope, id, {
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    ...props,
  });
  if (topic !== undefined) {
    made.addAlarmAction(new actions.SnsAction(topic));
  }
  return made;
}
