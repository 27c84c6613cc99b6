/**
 * The DeploymentCircuitBreaker construct: what it creates for each setting, what it refuses at
 * synth, and that cdk-nag's AwsSolutions pack passes with every acknowledgement reasoned. Its
 * roles are held equal to template.yaml's by scripts/policy.py (scripts/test.sh), not here.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  App, Duration, Stack, TimeZone, Validations, aws_events as events, aws_logs as logs, aws_scheduler as scheduler, aws_sns as sns,
} from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseDocument } from 'yaml';
import {
  BreakerCode, DeploymentCircuitBreaker, DeploymentCircuitBreakerForwarding, DeploymentCircuitBreakerProps,
  DeploymentCircuitBreakerTargetRole, GateOnError, JudgeMode, Trigger,
} from '../src';
import { emptyZips } from './zips';

const ZIPS = emptyZips();
const ENV = { account: '123456789012', region: 'us-east-1' };

function synth(props: Partial<DeploymentCircuitBreakerProps> = {}, stackName = 'breaker') {
  const stack = new Stack(new App(), stackName, { env: ENV });
  const breaker = new DeploymentCircuitBreaker(stack, 'Breaker', {
    code: BreakerCode.fromZips(ZIPS),
    allowedDeploymentGroups: ['shop/prod'],
    ...props,
  });
  return { stack, breaker, template: Template.fromStack(stack) };
}

/** The environment of the function whose logical ID starts with `Breaker<id>`. */
function environment(template: Template, id: string): Record<string, unknown> {
  const functions = template.findResources('AWS::Lambda::Function');
  const [found] = Object.entries(functions).filter(([logicalId]) => new RegExp(`^Breaker${id}[0-9A-F]{8}$`).test(logicalId));
  return found[1].Properties.Environment.Variables;
}

/** template.yaml's resources (CloudFormation's short tags read as plain values). */
const TEMPLATE = parseDocument(fs.readFileSync(path.join(__dirname, '..', '..', 'template.yaml'), 'utf8'), { logLevel: 'silent' })
  .toJS().Resources as Record<string, { Type: string; Condition?: string; Properties: Record<string, any> }>;

describe('DeploymentCircuitBreaker', () => {
  test('creates what template.yaml creates with its defaults', () => {
    const { template } = synth();
    const count = (type: string) => Object.keys(template.findResources(type)).length;
    expect(count('AWS::Lambda::Function')).toBe(3);
    expect(count('AWS::SQS::Queue')).toBe(7);
    expect(count('AWS::Events::Rule')).toBe(3);
    expect(count('AWS::Lambda::EventSourceMapping')).toBe(2);
    expect(count('AWS::DynamoDB::Table')).toBe(1);
    expect(count('AWS::SNS::Topic')).toBe(1);
    expect(count('AWS::Events::EventBus')).toBe(1);
    expect(count('AWS::Scheduler::Schedule')).toBe(1);
    expect(count('AWS::CloudWatch::Dashboard')).toBe(1);
    // Nothing granted by CDK's grant* methods: each role has its inline policy only.
    expect(count('AWS::IAM::Policy')).toBe(0);
    const alarms = Object.entries(TEMPLATE).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm');
    expect(count('AWS::CloudWatch::Alarm')).toBe(alarms.length);
  });

  test("each alarm is template.yaml's, word for word", () => {
    const { breaker } = synth();
    for (const [id, resource] of Object.entries(TEMPLATE).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm')) {
      const alarm = breaker.alarms[id];
      expect(alarm).toBeDefined();
      const made = Template.fromStack(Stack.of(alarm)).toJSON().Resources[Stack.of(alarm).getLogicalId(alarm.node.defaultChild as any)];
      const want = resource.Properties;
      expect(made.Properties.AlarmDescription).toEqual(String(want.AlarmDescription).trim());
      expect([made.Properties.MetricName, made.Properties.Namespace, made.Properties.Statistic, made.Properties.Period,
        made.Properties.Threshold, made.Properties.ComparisonOperator, made.Properties.TreatMissingData])
        .toEqual([want.MetricName, want.Namespace, want.Statistic, want.Period, want.Threshold, want.ComparisonOperator,
          want.TreatMissingData]);
    }
  });

  test('the gate is CodeDeployHook_<stack>, polled two batches at most at once', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: { 'Fn::Join': ['', ['CodeDeployHook_', { Ref: 'AWS::StackName' }]] },
      ReservedConcurrentExecutions: 5,
      Timeout: 60,
      LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'INFO', SystemLogLevel: 'WARN' },
    });
    template.allResourcesProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10, FunctionResponseTypes: ['ReportBatchItemFailures'], ScalingConfig: { MaximumConcurrency: 2 },
    });
    template.resourcePropertiesCountIs('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600, Qualifier: '$LATEST',
    }, 3);
  });

  test('the settings reach the functions as the variables they read', () => {
    const { template } = synth({
      allowedDeploymentGroups: ['shop/prod', '222233334444:orders/*'],
      alarmRules: [{ alarm: 'web-*', application: 'shop', deploymentGroup: 'prod' }],
      maxSignalAge: Duration.minutes(30),
      dryRun: true,
      regions: ['us-east-1', 'eu-west-1'],
      targetAccounts: ['222233334444'],
      bake: Duration.minutes(10),
      gateOnError: GateOnError.FAIL,
      judge: JudgeMode.ENFORCE,
      judgeP: 0.0001,
      judgeInterval: Duration.minutes(2),
      snsTopicAccounts: { 'arn:aws:sns:us-east-1:123456789012:org': ['222233334444'] },
    });
    const breaker = environment(template, 'Function');
    expect(breaker).toMatchObject({
      ALLOWED_DEPLOYMENT_GROUPS: 'shop/prod,222233334444:orders/*',
      ALARM_RULES: '[{"alarm":"web-*","application":"shop","deploymentGroup":"prod"}]',
      MAX_SIGNAL_AGE: '1800',
      DRY_RUN: 'true',
      TARGET_ACCOUNTS: '222233334444',
      JUDGE: 'enforce',
      JUDGE_P: '0.0001',
      JUDGE_INTERVAL: '120',
      SNS_TOPIC_ACCOUNTS: '{"arn:aws:sns:us-east-1:123456789012:org":["222233334444"]}',
      STATE_TABLE: expect.anything(),
      WATCH_QUEUE_URL: expect.anything(),
      NOTIFY_EVENT_BUS: expect.anything(),
    });
    expect(environment(template, 'GateFunction')).toMatchObject({ BAKE_SECONDS: '600', GATE_ON_ERROR: 'fail', JUDGE: 'enforce' });
    expect(environment(template, 'ReadinessCheckFunction')).toMatchObject({ REGIONS: 'us-east-1,eu-west-1' });
  });

  test.each([['Function'], ['GateFunction'], ['ReadinessCheckFunction']])(
    "%s reads the variables template.yaml gives it, no more, no fewer", (id) => {
      const { template } = synth();
      expect(Object.keys(environment(template, id)).sort()).toEqual(Object.keys(TEMPLATE[id].Properties.Environment.Variables).sort());
    });

  test('the judge off makes no queue, rule, mapping or permission for it', () => {
    const { template, breaker } = synth({ judge: JudgeMode.OFF });
    expect(breaker.watchQueue).toBeUndefined();
    expect(breaker.judgeRule).toBeUndefined();
    expect(Object.keys(template.findResources('AWS::Lambda::EventSourceMapping'))).toHaveLength(1);
    expect(environment(template, 'Function').WATCH_QUEUE_URL).toBeUndefined();
    const sids = Object.values(template.findResources('AWS::IAM::Role'))
      .flatMap((r) => (r.Properties.Policies ?? []).flatMap((p: any) => p.PolicyDocument.Statement.map((s: any) => `${r.Properties.RoleName ?? ''}${s.Sid}`)));
    expect(sids).not.toContain('JudgeDeploymentTargets');
    // The gate reads no metric; the breaker has no queue of its own to send to or receive from.
    expect(sids.filter((sid) => /Judge|Watches/.test(sid))).toEqual(['SendWatches', 'ReceiveWatches']);
  });

  test('only the functions write the state table, and only their own role sends to their queue', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: { 'Fn::Join': ['', [{ Ref: 'AWS::StackName' }, '-state']] },
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      ResourcePolicy: { PolicyDocument: { Statement: [
        Match.objectLike({ Sid: 'DenyInsecureTransport', Effect: 'Deny' }),
        Match.objectLike({ Sid: 'OnlyTheFunctionsWrite', Effect: 'Deny', Condition: { ArnNotEquals: { 'aws:PrincipalArn': [
          { 'Fn::GetAtt': [Match.stringLikeRegexp('^BreakerFunctionRole'), 'Arn'] },
          { 'Fn::GetAtt': [Match.stringLikeRegexp('^BreakerGateFunctionRole'), 'Arn'] },
        ] } } }),
      ] } },
    });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Retain' });
    for (const sid of ['OnlyTheGateSends', 'OnlyTheBreakerSends']) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: sid, Effect: 'Deny', Action: 'sqs:SendMessage' })]) },
      });
    }
    // TLS only, every queue and the topic.
    const queuePolicies = Object.values(template.findResources('AWS::SQS::QueuePolicy'));
    expect(queuePolicies).toHaveLength(7);
    for (const policy of queuePolicies) {
      expect(JSON.stringify(policy)).toContain('"aws:SecureTransport":"false"');
    }
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('the rules match the accounts and the alarm name prefix, retry an hour, then keep what failed', () => {
    const { template } = synth({ targetAccounts: ['222233334444'], alarmNamePrefix: 'prod-' });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        account: [{ Ref: 'AWS::AccountId' }, '222233334444'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { state: { value: ['ALARM'] }, alarmName: [{ prefix: 'prod-' }] },
      },
    });
    template.allResourcesProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 3600 }, DeadLetterConfig: Match.anyValue() })],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'lambda.alarms.cloudwatch.amazonaws.com',
      SourceArn: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':alarm:prod-*'])] }),
    });
  });

  test('triggers can be left out, and a given topic and bus are used as they are', () => {
    const { template, stack } = (() => {
      const stack = new Stack(new App(), 'breaker', { env: ENV });
      new DeploymentCircuitBreaker(stack, 'Breaker', {
        code: BreakerCode.fromZips(ZIPS),
        allowedDeploymentGroups: ['*/*'],
        triggers: [Trigger.SNS_TOPIC],
        existingTopic: sns.Topic.fromTopicArn(stack, 'Given', 'arn:aws:sns:us-east-1:123456789012:alarms'),
        notifyEventBus: events.EventBus.fromEventBusName(stack, 'Ops', 'ops'),
      });
      return { stack, template: Template.fromStack(stack) };
    })();
    expect(stack.stackName).toBe('breaker');
    expect(Object.keys(template.findResources('AWS::SNS::Topic'))).toHaveLength(0);
    expect(Object.keys(template.findResources('AWS::Events::EventBus'))).toHaveLength(0);
    template.hasResourceProperties('AWS::SNS::Subscription', { TopicArn: 'arn:aws:sns:us-east-1:123456789012:alarms', Protocol: 'lambda' });
    // The judge's rule only: no alarm or CodeDeploy rule.
    template.resourceCountIs('AWS::Events::Rule', 1);
    expect(JSON.stringify(environment(template, 'Function').NOTIFY_EVENT_BUS)).toContain(':events:us-east-1:123456789012:event-bus/ops');
  });

  test("the kill switch URL admits this account's and each target account's principals (a loop template.yaml cannot make)", () => {
    const { template } = synth({ killSwitchUrl: true, targetAccounts: ['222233334444', '333344445555'] });
    template.resourceCountIs('AWS::Lambda::Url', 1);
    for (const principal of [{ Ref: 'AWS::AccountId' }, '222233334444', '333344445555']) {
      template.hasResourceProperties('AWS::Lambda::Permission', { Action: 'lambda:InvokeFunctionUrl', FunctionUrlAuthType: 'AWS_IAM', Principal: principal });
      template.hasResourceProperties('AWS::Lambda::Permission', { Action: 'lambda:InvokeFunction', InvokedViaFunctionUrl: true, Principal: principal });
    }
    const org = synth({ killSwitchUrl: true, eventSourceOrganizationId: 'o-abcdefghij' }).template;
    org.hasResourceProperties('AWS::Lambda::Permission', { Action: 'lambda:InvokeFunctionUrl', Principal: '*', PrincipalOrgID: 'o-abcdefghij' });
  });

  test('an empty organization is none, as the template reads it', () => {
    const { template } = synth({ eventSourceOrganizationId: '', killSwitchUrl: true });
    template.resourceCountIs('AWS::Events::EventBusPolicy', 0);
    expect(JSON.stringify(template.findResources('AWS::Lambda::Permission'))).not.toContain('PrincipalOrgID');
  });

  test("a given bus is named by its ARN: it may be another account's", () => {
    const stack = new Stack(new App(), 'breaker', { env: ENV });
    new DeploymentCircuitBreaker(stack, 'Breaker', {
      code: BreakerCode.fromZips(ZIPS), allowedDeploymentGroups: ['*/*'],
      notifyEventBus: events.EventBus.fromEventBusArn(stack, 'Ops', 'arn:aws:events:us-east-1:999988887777:event-bus/ops'),
    });
    const template = Template.fromStack(stack);
    for (const id of ['Function', 'GateFunction', 'ReadinessCheckFunction']) {
      expect(environment(template, id).NOTIFY_EVENT_BUS).toBe('arn:aws:events:us-east-1:999988887777:event-bus/ops');
    }
  });

  test("the check's schedule keeps its time zone", () => {
    const { template } = synth({
      checkSchedule: scheduler.ScheduleExpression.cron({ hour: '9', minute: '0', timeZone: TimeZone.EUROPE_BERLIN }),
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 9 * * ? *)', ScheduleExpressionTimezone: 'Europe/Berlin',
    });
  });

  test('one per stack: a second says why', () => {
    const stack = new Stack(new App(), 'breaker', { env: ENV });
    new DeploymentCircuitBreaker(stack, 'One', { code: BreakerCode.fromZips(ZIPS), allowedDeploymentGroups: ['*/*'] });
    expect(() => new DeploymentCircuitBreaker(stack, 'Two', { code: BreakerCode.fromZips(ZIPS), allowedDeploymentGroups: ['*/*'] }))
      .toThrow('breaker has a DeploymentCircuitBreaker already: one per stack');
  });

  test('props given where they do nothing are warned of', () => {
    const { stack } = synth({ scheduledCheck: false, checkSchedule: scheduler.ScheduleExpression.rate(Duration.hours(2)) });
    Annotations.fromStack(stack).hasWarning('/breaker/Breaker', Match.stringLikeRegexp('checkSchedule is ignored'));
  });

  test('no scheduled check: no schedule, no role for it, no CheckFailuresAlarm', () => {
    const { template, breaker } = synth({ scheduledCheck: false });
    template.resourceCountIs('AWS::Scheduler::Schedule', 0);
    expect(breaker.alarms.CheckFailuresAlarm).toBeUndefined();
    expect(breaker.readinessCheckSchedule).toBeUndefined();
  });

  test.each([
    [{ allowedDeploymentGroups: ['shop'] }, 'allowedDeploymentGroups (AllowedDeploymentGroups): a comma list of [account:]application/group globs'],
    [{ regions: ['us-east-1', 'Europe'] }, 'regions (Regions): a comma list of region codes'],
    [{ targetAccounts: ['2222'] }, 'targetAccounts (TargetAccounts): a comma list of 12-digit account IDs'],
    [{ rollbackCompletedWithin: Duration.hours(2) }, 'rollbackCompletedWithin (RollbackCompletedWithin): must be a number not greater than 3600'],
    [{ bake: Duration.hours(1) }, 'bake (BakeSeconds): must be a number not greater than 3300'],
    [{ judgeInterval: Duration.seconds(30) }, 'judgeInterval (JudgeInterval): must be a number not less than 60'],
    [{ judgeP: 0.5 }, 'judgeP (JudgeP): a decimal above 0 and below 0.5, such as 0.001'],
    [{ alarmNamePrefix: 'web-*' }, 'alarmNamePrefix (AlarmNamePrefix): must match pattern'],
    [{ eventSourceOrganizationId: 'org-1' }, 'eventSourceOrganizationId (EventSourceOrganizationId): must match pattern'],
    [{ alarmRules: [{ alarm: 'web-*', application: '' }] }, 'alarmRules[0]: needs an alarm (a name or a glob) and an application'],
    [{ alarmRules: [{ alarm: 'web-*', application: 'shop', account: '12' }] }, 'alarmRules[0]: account "12" is not a 12-digit account ID'],
    [{ logRetention: logs.RetentionDays.FOUR_MONTHS }, 'logRetention (LogRetentionDays): must be one of 1, 3, 5, 7, 14, 30, 60, 90, 180, 365'],
    [{ snsTopicAccounts: { 'arn:aws:sqs:us-east-1:123456789012:q': [] } }, 'snsTopicAccounts (SnsTopicAccounts): "arn:aws:sqs:us-east-1:123456789012:q" is not an SNS topic ARN'],
  ])('refuses %j at synth', (props, message) => {
    expect(() => synth(props as Partial<DeploymentCircuitBreakerProps>)).toThrow(message);
  });

  test('refuses a stack name too long for CodeDeployHook_<stack>', () => {
    expect(() => synth({}, 'b'.repeat(50))).toThrow('at most 49 characters');
    expect(() => synth({}, 'b'.repeat(49))).not.toThrow();
  });

  test('says how to build the zips when they are not there', () => {
    expect(() => synth({ code: BreakerCode.fromZips('/nowhere') }))
      .toThrow('cargo lambda build --release --arm64 --output-format zip');
  });

  test("cdk-nag's AwsSolutions pack passes: every finding acknowledged, each with its reason", () => {
    const app = new App();
    const stack = new Stack(app, 'breaker', { env: ENV });
    const breaker = new DeploymentCircuitBreaker(stack, 'Breaker', {
      code: BreakerCode.fromZips(ZIPS), allowedDeploymentGroups: ['*/*'], targetAccounts: ['222233334444'],
      rollbackCompletedWithin: Duration.minutes(30), killSwitchUrl: true,
    });
    // What the first leaves out: the judge off, given topic and bus, no notifications, no schedule.
    const other = new Stack(app, 'breaker-other', { env: ENV });
    new DeploymentCircuitBreaker(other, 'Breaker', {
      code: BreakerCode.fromZips(ZIPS), allowedDeploymentGroups: ['*/*'], judge: JudgeMode.OFF, scheduledCheck: false,
      existingTopic: sns.Topic.fromTopicArn(other, 'Given', 'arn:aws:sns:us-east-1:123456789012:alarms'),
      operatorTopic: sns.Topic.fromTopicArn(other, 'Operators', 'arn:aws:sns:us-east-1:123456789012:operators'),
    });
    const quiet = new Stack(app, 'breaker-quiet', { env: ENV });
    new DeploymentCircuitBreaker(quiet, 'Breaker', {
      code: BreakerCode.fromZips(ZIPS), allowedDeploymentGroups: ['*/*'], notify: false, codeDeployApplications: 'shop',
    });
    const member = new Stack(app, 'member', { env: { account: '222233334444', region: 'us-east-1' } });
    new DeploymentCircuitBreakerTargetRole(member, 'TargetRole', { centralRole: breaker.functionRole, regions: ['us-east-1'] });
    new DeploymentCircuitBreakerForwarding(member, 'Forwarding', { centralAccount: '123456789012', forwardCodeDeployEvents: true });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
    const acknowledged = [stack, other, quiet, member].flatMap((s) => s.node.findAll()).flatMap((c) => c.node.metadata)
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(new Set(acknowledged.map(([id]) => id.replace(/^Annotation::/, '').replace(/\[.*/, '')))).toEqual(
      new Set(['AwsSolutions-IAM4', 'AwsSolutions-IAM5', 'AwsSolutions-SQS3']));
    for (const [id, reason] of acknowledged) {
      expect([id, reason.length > 60]).toEqual([id, true]);
    }
  });

  test("docs/cdk.md's member accounts: one app, each target role trusting the breaker's roles by their names", () => {
    const app = new App();
    const stack = new Stack(app, 'breaker', { env: { account: '111122223333', region: 'us-east-1' } });
    const members = ['222233334444', '333344445555'];
    const regions = ['us-east-1', 'eu-west-1'];
    const breaker = new DeploymentCircuitBreaker(stack, 'Breaker', {
      code: BreakerCode.fromZips(ZIPS), allowedDeploymentGroups: ['*/*'], targetAccounts: members, regions, eventSourceAccounts: members,
      rollbackCompletedWithin: Duration.minutes(30), judge: JudgeMode.OFF, targetRoleName: 'breaker-target',
    });
    for (const account of members) {
      const roles = new Stack(app, `breaker-target-${account}`, { env: { account, region: 'us-east-1' } });
      roles.addStackDependency(stack); // the breaker's roles must exist before a role trusts them
      new DeploymentCircuitBreakerTargetRole(roles, 'TargetRole', breaker.targetRoleProps);
      for (const region of regions) {
        const forwarding = new Stack(app, `breaker-forwarding-${account}-${region}`, { env: { account, region } });
        new DeploymentCircuitBreakerForwarding(forwarding, 'Forwarding', breaker.forwardingProps);
      }
    }
    const assembly = app.synth();
    expect(assembly.stacks).toHaveLength(1 + members.length * (1 + regions.length));
    const central = Template.fromStack(stack).findResources('AWS::IAM::Role');
    const names = Object.values(central).map((r) => r.Properties.RoleName).filter((n) => typeof n === 'string');
    expect(names).toHaveLength(2);
    const target = assembly.getStackByName('breaker-target-222233334444');
    expect(target.dependencies.map((d) => d.id)).toContain('breaker');
    const trust = JSON.stringify(target.template);
    for (const name of names) {
      expect(trust).toContain(`:iam::111122223333:role/${name}`);
    }
    // The breaker's settings, not the target role's defaults: its name, redeploys, no judge.
    const role = Object.values(Template.fromJSON(target.template).findResources('AWS::IAM::Role'))[0].Properties;
    expect(role.RoleName).toBe('breaker-target');
    const sids = role.Policies[0].PolicyDocument.Statement.map((s: { Sid: string }) => s.Sid);
    expect(sids).toEqual(expect.arrayContaining(['Redeploy', 'RedeployConfig', 'RedeployRevision']));
    expect(sids).not.toContain('JudgeMetrics');
    // Forwarding to the breaker's account and region: alarms and CodeDeploy events (its default
    // triggers), no separate rule for starts (the judge is off).
    const forwarded = Template.fromJSON(assembly.getStackByName('breaker-forwarding-222233334444-eu-west-1').template);
    forwarded.resourceCountIs('AWS::Events::Rule', 2);
    expect(JSON.stringify(forwarded.toJSON())).toContain(':events:us-east-1:111122223333:event-bus/default');
  });

  test('synthesises as the snapshot says (asset keys masked)', () => {
    const json = JSON.stringify(synth().template.toJSON()).replace(/[0-9a-f]{64}(\.zip)?/g, '<asset>');
    expect(JSON.parse(json)).toMatchSnapshot();
  });
});
