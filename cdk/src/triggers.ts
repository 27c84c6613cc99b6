/**
 * What brings signals to the breaker: the EventBridge rules (alarms, CodeDeploy events, the
 * canary judge's START), the SNS topic, alarm actions, the kill switch's function URL, and the
 * default bus's permissions for member accounts' forwarding rules.
 */
import {
  Aws,
  Duration,
  Fn,
  aws_events as events,
  aws_events_targets as targets,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_sns as sns,
  aws_sns_subscriptions as subscriptions,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { Resolved } from './resolved';
import { JudgeMode, Trigger } from './settings';

/** The rules created, by what they carry. */
export interface Rules {
  readonly alarmRule?: events.Rule;
  readonly codeDeployRule?: events.Rule;
  readonly judgeRule?: events.Rule;
}

/**
 * The rules, each retried for up to an hour (a signal older than MaxSignalAge's default is stale
 * anyway), then kept in `deadLetters`; the targets' permissions and the queue's policy are the L2's.
 */
export function rules(scope: Construct, settings: Resolved, fn: lambda.IFunction, deadLetters: sqs.IQueue): Rules {
  const accounts = [Aws.ACCOUNT_ID, ...settings.targetAccounts];
  const target = new targets.LambdaFunction(fn, {
    deadLetterQueue: deadLetters,
    retryAttempts: 185,
    maxEventAge: Duration.hours(1),
  });
  const rule = (id: string, description: string, eventPattern: events.EventPattern) =>
    new events.Rule(scope, id, { description, eventPattern, targets: [target] });
  const prefix = settings.alarmNamePrefix;
  const starts = ['CodeDeploy Deployment State-change Notification'];
  return {
    alarmRule: settings.triggers.has(Trigger.ALARM_RULE)
      ? rule('AlarmRule', 'CloudWatch alarms entering ALARM → deployment-circuit-breaker', {
        source: ['aws.cloudwatch'],
        account: accounts,
        detailType: ['CloudWatch Alarm State Change'],
        detail: prefix === ''
          ? { state: { value: ['ALARM'] } }
          : { state: { value: ['ALARM'] }, alarmName: events.Match.prefix(prefix) },
      }) : undefined,
    codeDeployRule: settings.triggers.has(Trigger.CODEDEPLOY_RULE)
      ? rule('CodeDeployRule', 'CodeDeploy deployment/instance state changes that can trigger a stop → '
        + 'deployment-circuit-breaker (the function acts only on the kinds in STOP_ON_CODEDEPLOY_EVENTS)', {
        source: ['aws.codedeploy'],
        account: accounts,
        detailType: [...starts, 'CodeDeploy Instance State-change Notification'],
        detail: { state: ['START', 'READY', 'FAILURE'] },
      }) : undefined,
    judgeRule: settings.judge === JudgeMode.OFF ? undefined
      : rule('JudgeRule', "CodeDeploy deployments starting → deployment-circuit-breaker's canary judge (JUDGE)", {
        source: ['aws.codedeploy'],
        account: accounts,
        detailType: starts,
        detail: { state: ['START'] },
      }),
  };
}

/**
 * Alarm actions and CodeDeploy triggers publish to the topic (created, or `existingTopic`): only
 * this account's alarms and principals, over TLS. Not encrypted with the AWS-managed SNS key:
 * CloudWatch alarms cannot publish to a topic encrypted with it.
 */
export function topic(scope: Construct, settings: Resolved, fn: lambda.IFunction): sns.ITopic | undefined {
  if (!settings.triggers.has(Trigger.SNS_TOPIC)) {
    return undefined;
  }
  let given = settings.existingTopic;
  if (given === undefined) {
    const created = new sns.Topic(scope, 'Topic', { displayName: 'deployment-circuit-breaker', enforceSSL: true });
    created.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'CloudWatchAlarmsOfThisAccount',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [created.topicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:*:${Aws.ACCOUNT_ID}:alarm:*` },
      },
    }));
    created.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'PrincipalsOfThisAccount',
      principals: [new iam.AccountRootPrincipal()],
      actions: ['sns:Publish'],
      resources: [created.topicArn],
    }));
    given = created;
  }
  given.addSubscription(new subscriptions.LambdaSubscription(fn));
  return given;
}

/** CloudWatch alarms of this account (within the name prefix) may invoke the breaker directly. */
export function alarmActions(scope: Construct, settings: Resolved, fn: lambda.IFunction): void {
  new lambda.CfnPermission(scope, 'AlarmActionPermission', {
    action: 'lambda:InvokeFunction',
    functionName: fn.functionArn,
    principal: 'lambda.alarms.cloudwatch.amazonaws.com',
    sourceAccount: Aws.ACCOUNT_ID,
    sourceArn: `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:${settings.alarmNamePrefix}*`,
  });
}

/**
 * A kill switch that knows who pressed it (AWS_IAM). The organization's principals may call it;
 * without an organization, this account's and each target account's: the loop template.yaml
 * cannot make. Each caller still needs the calls in its own identity policy.
 */
export function killSwitchUrl(scope: Construct, settings: Resolved, fn: lambda.Function): lambda.FunctionUrl | undefined {
  if (!settings.killSwitchUrl) {
    return undefined;
  }
  const url = fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
  const callers: { id: string; principal: string; principalOrgId?: string }[] = settings.organizationId === undefined
    ? [{ id: '', principal: Aws.ACCOUNT_ID }, ...settings.targetAccounts.map((account) => ({ id: account, principal: account }))]
    : [{ id: '', principal: '*', principalOrgId: settings.organizationId }];
  for (const caller of callers) {
    new lambda.CfnPermission(scope, `FunctionUrlPermission${caller.id}`, {
      action: 'lambda:InvokeFunctionUrl',
      functionName: fn.functionArn,
      functionUrlAuthType: 'AWS_IAM',
      principal: caller.principal,
      principalOrgId: caller.principalOrgId,
    });
    // Function URLs created since October 2025 also need lambda:InvokeFunction, held here only
    // for calls through the URL.
    new lambda.CfnPermission(scope, `FunctionUrlInvokePermission${caller.id}`, {
      action: 'lambda:InvokeFunction',
      functionName: fn.functionArn,
      invokedViaFunctionUrl: true,
      principal: caller.principal,
      principalOrgId: caller.principalOrgId,
    });
  }
  return url;
}

/**
 * Member accounts' forwarding rules may put events on the default bus: the organization's
 * (only the target accounts when listed), and the listed accounts'. One statement each, unique
 * to the stack (its ID's UUID).
 */
export function busPolicies(scope: Construct, settings: Resolved): void {
  const uuid = Fn.select(2, Fn.split('/', Aws.STACK_ID));
  const bus = `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/default`;
  const allow = (id: string, name: string, condition: Record<string, unknown>) =>
    new events.CfnEventBusPolicy(scope, id, {
      eventBusName: 'default',
      statementId: Fn.join('-', [`breaker-${name}`, uuid]),
      statement: { Effect: 'Allow', Principal: '*', Action: 'events:PutEvents', Resource: bus, Condition: { StringEquals: condition } },
    });
  if (settings.organizationId !== undefined) {
    allow('EventBusOrganizationPolicy', 'organization', settings.targetAccounts.length > 0
      ? { 'aws:PrincipalOrgID': settings.organizationId, 'aws:PrincipalAccount': settings.targetAccounts }
      : { 'aws:PrincipalOrgID': settings.organizationId });
  }
  if (settings.eventSourceAccounts.length > 0) {
    allow('EventBusAccountsPolicy', 'accounts', { 'aws:PrincipalAccount': settings.eventSourceAccounts });
  }
}
