/**
 * The member account's forwarding of alarms and CodeDeploy events to the central breaker's bus:
 * templates/forward-alarms.yaml as a construct.
 */
import {
  Aws,
  Fn,
  aws_cloudwatch as cloudwatch,
  aws_events as events,
  aws_iam as iam,
  aws_sns as sns,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { alarm, visible } from './alarms';
import { check } from './checks';
import { queue } from './queues';
import { document } from './statements';

/** Properties of a `DeploymentCircuitBreakerForwarding`: the parameters of templates/forward-alarms.yaml. */
export interface DeploymentCircuitBreakerForwardingProps {
  /** The account of the central breaker stack (12 digits). */
  readonly centralAccount: string;

  /**
   * The region of the central breaker stack.
   * @default - this stack's region
   */
  readonly centralRegion?: string;

  /**
   * Only alarms whose name starts with this are forwarded (no `*` or `?`).
   * @default - every alarm
   */
  readonly alarmNamePrefix?: string;

  /**
   * Also forward CodeDeploy deployment and instance state changes (START, READY, FAILURE), for the
   * central stack's CodeDeploy rule and its stops on CodeDeploy events.
   * @default false
   */
  readonly forwardCodeDeployEvents?: boolean;

  /**
   * Forward CodeDeploy deployments starting, with which the central canary judge begins judging a
   * deployment. Without effect when `forwardCodeDeployEvents` is true: its rule forwards them
   * already (two rules would put each start on the central bus twice).
   * @default true
   */
  readonly forwardDeploymentStarts?: boolean;

  /**
   * The topic told when an event could not be forwarded (the dead-letter alarm's action).
   * @default - no notification
   */
  readonly operatorTopic?: sns.ITopic;
}

/**
 * Forwards a member account's alarms entering ALARM, its CodeDeploy deployments starting and, if
 * asked, all its CodeDeploy state changes, in its stack's region, to the central breaker account's
 * default event bus: templates/forward-alarms.yaml. What could not be forwarded is kept in a
 * dead-letter queue, with an alarm.
 *
 * Alarms and deployments live in every member account and region, and this construct forwards
 * from its stack's only: one app makes one stack per account and region, where the template
 * needs a StackSet. Each stack's rules are named after its stack ID, so they never collide.
 *
 * @example
 * const app = new App();
 * const central = { account: '111122223333', region: 'us-east-1' };
 * for (const account of ['222233334444', '333344445555']) {
 *   for (const region of ['us-east-1', 'eu-west-1']) {
 *     const stack = new Stack(app, `BreakerForwarding-${account}-${region}`, { env: { account, region } });
 *     new DeploymentCircuitBreakerForwarding(stack, 'Forwarding', {
 *       centralAccount: central.account,
 *       centralRegion: central.region,
 *     });
 *   }
 * }
 */
export class DeploymentCircuitBreakerForwarding extends Construct {
  /** The central breaker's default event bus, which the rules forward to. */
  public readonly centralEventBusArn: string;
  /** The role EventBridge assumes to put this stack's rules' events on the central bus, and only there. */
  public readonly role: iam.Role;
  /** Alarms entering ALARM. */
  public readonly alarmRule: events.Rule;
  /** CodeDeploy deployment and instance state changes, when `forwardCodeDeployEvents`. */
  public readonly codeDeployRule?: events.Rule;
  /** CodeDeploy deployments starting, when `forwardDeploymentStarts` and not `forwardCodeDeployEvents`. */
  public readonly deploymentStartRule?: events.Rule;
  /** What the rules could not put on the central bus (only this stack's rules may send here). */
  public readonly deadLetterQueue: sqs.Queue;
  /** A message in the dead-letter queue: the central breaker never heard of that event. */
  public readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: DeploymentCircuitBreakerForwardingProps) {
    super(scope, id);
    check('centralAccount', 'CentralAccountId', props.centralAccount);
    check('centralRegion', 'CentralRegion', props.centralRegion ?? '');
    check('alarmNamePrefix', 'AlarmNamePrefix', props.alarmNamePrefix ?? '');
    const centralRegion = props.centralRegion || Aws.REGION;
    this.centralEventBusArn = `arn:${Aws.PARTITION}:events:${centralRegion}:${props.centralAccount}:event-bus/default`;
    this.role = forwardRole(this, this.centralEventBusArn);
    this.deadLetterQueue = queue(this, 'DeadLetterQueue', { kept: true, failures: true });
    const target = new CentralBus(this.centralEventBusArn, this.role, this.deadLetterQueue);

    this.alarmRule = forwardRule(this, 'AlarmRule', 'alarms', target,
      'CloudWatch alarms entering ALARM → the central deployment-circuit-breaker',
      alarmsEntering(props.alarmNamePrefix));
    if (props.forwardCodeDeployEvents ?? false) {
      this.codeDeployRule = forwardRule(this, 'CodeDeployRule', 'codedeploy', target,
        'CodeDeploy deployment/instance state changes → the central deployment-circuit-breaker',
        codeDeploy(
          ['CodeDeploy Deployment State-change Notification', 'CodeDeploy Instance State-change Notification'],
          ['START', 'READY', 'FAILURE'],
        ));
    } else if (props.forwardDeploymentStarts ?? true) {
      this.deploymentStartRule = forwardRule(this, 'DeploymentStartRule', 'starts', target,
        "CodeDeploy deployments starting → the central deployment-circuit-breaker's canary judge",
        codeDeploy(['CodeDeploy Deployment State-change Notification'], ['START']));
    }
    this.deadLetterQueue.addToResourcePolicy(fromRules(this.deadLetterQueue, this.rules()));
    this.deadLetterAlarm = deadLetterAlarm(this, this.deadLetterQueue, props.operatorTopic);
  }

  private rules(): events.Rule[] {
    return [this.alarmRule, this.codeDeployRule, this.deploymentStartRule].filter(
      (rule): rule is events.Rule => rule !== undefined,
    );
  }
}

/** The stack ID's UUID: unique per stack and short enough for a rule name, known before the rules. */
const stackUuid = () => Fn.select(2, Fn.split('/', Aws.STACK_ID));

/** `breaker-<kind>-<stack UUID>`: the role's trust names the rules before they exist (no cycle). */
const ruleName = (kind: string) => `breaker-${kind}-${stackUuid()}`;

/**
 * The role EventBridge assumes, for this stack's rules only (aws:SourceArn), to put events on the
 * central bus and nowhere else.
 */
function forwardRole(scope: Construct, busArn: string): iam.Role {
  return new iam.Role(scope, 'Role', {
    description: 'EventBridge forwards deployment-circuit-breaker signals to the central event bus',
    assumedBy: new iam.ServicePrincipal('events.amazonaws.com').withConditions({
      StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:rule/${ruleName('*')}` },
    }),
    inlinePolicies: {
      'put-events-on-central-bus': document([
        new iam.PolicyStatement({ sid: 'CentralBus', actions: ['events:PutEvents'], resources: [busArn] }),
      ]),
    },
  });
}

/** A rule named `breaker-<kind>-<stack UUID>` with the central bus as its one target. */
function forwardRule(
  scope: Construct,
  id: string,
  kind: string,
  target: CentralBus,
  description: string,
  eventPattern: events.EventPattern,
): events.Rule {
  const rule = new events.Rule(scope, id, { ruleName: ruleName(kind), description, eventPattern, targets: [target] });
  // The template's target Id; RuleTargetConfig cannot name it (the L2 would say Target0).
  (rule.node.defaultChild as events.CfnRule).addPropertyOverride('Targets.0.Id', 'central-breaker');
  return rule;
}

function alarmsEntering(prefix?: string): events.EventPattern {
  const state = { value: ['ALARM'] };
  return {
    source: ['aws.cloudwatch'],
    account: [Aws.ACCOUNT_ID],
    detailType: ['CloudWatch Alarm State Change'],
    detail: prefix ? { state, alarmName: events.Match.prefix(prefix) } : { state },
  };
}

function codeDeploy(detailTypes: string[], states: string[]): events.EventPattern {
  return {
    source: ['aws.codedeploy'],
    account: [Aws.ACCOUNT_ID],
    detailType: detailTypes,
    detail: { state: states },
  };
}

/** EventBridge may send to the queue for these rules only. */
function fromRules(queue: sqs.IQueue, rules: events.Rule[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'EventBridgeRules',
    principals: [new iam.ServicePrincipal('events.amazonaws.com')],
    actions: ['sqs:SendMessage'],
    resources: [queue.queueArn],
    conditions: { ArnEquals: { 'aws:SourceArn': rules.map((rule) => rule.ruleArn) } },
  });
}

function deadLetterAlarm(scope: Construct, deadLetters: sqs.Queue, topic?: sns.ITopic): cloudwatch.Alarm {
  return alarm(scope, 'DeadLetterAlarm', {
    alarmDescription:
      "deployment-circuit-breaker's forwarding could not put an event on the central bus (a message in the " +
      'forward dead-letter queue): the central breaker never heard that alarm or CodeDeploy event (a ' +
      "deployment start: that deployment is not judged); the message's attributes say why",
    metric: visible(deadLetters),
    threshold: 0,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
  }, topic);
}

/**
 * The central bus as a rule target, with the forwarding role and the dead-letter queue, and
 * without what `aws-events-targets.EventBus` adds: a statement in the role's default policy, and
 * a queue policy statement per rule.
 */
class CentralBus implements events.IRuleTarget {
  constructor(
    private readonly arn: string,
    private readonly role: iam.IRole,
    private readonly deadLetterQueue: sqs.IQueue,
  ) {}

  public bind(): events.RuleTargetConfig {
    return {
      arn: this.arn,
      role: this.role,
      deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
    };
  }
}
