/**
 * The member-account constructs against templates/target-role.yaml and
 * templates/forward-alarms.yaml: the statements, patterns and properties below are written out
 * from the templates, not computed by the constructs' code.
 */
import { App, CfnElement, Duration, Stack, aws_iam as iam, aws_sns as sns } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DeploymentCircuitBreakerForwarding, DeploymentCircuitBreakerForwardingProps } from '../src/forward-alarms';
import { JudgeMode } from '../src/settings';
import { DeploymentCircuitBreakerTargetRole, DeploymentCircuitBreakerTargetRoleProps } from '../src/target-role';

const BREAKER_ARN = 'arn:aws:iam::111122223333:role/breaker-FunctionRole-ABC';
const CHECK_ARN = 'arn:aws:iam::111122223333:role/breaker-ReadinessCheckFunctionRole-DEF';

const memberStack = () => new Stack(new App(), 'Member', { env: { account: '222233334444', region: 'us-east-1' } });

/** `Fn::Join` of '' as the CDK renders a string with tokens. */
const join = (...parts: unknown[]) => ({ 'Fn::Join': ['', parts] });
const PARTITION = { Ref: 'AWS::Partition' };
const ACCOUNT = { Ref: 'AWS::AccountId' };
const REGION = { Ref: 'AWS::Region' };
const STACK_UUID = { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] };

function only(template: Template, type: string): { [key: string]: any } {
  const resources = Object.values(template.findResources(type));
  expect(resources).toHaveLength(1);
  return resources[0].Properties;
}

function logicalId(construct: { node: { defaultChild?: unknown } }): string {
  const element = construct.node.defaultChild as CfnElement;
  return element.stack.getLogicalId(element);
}

describe('DeploymentCircuitBreakerTargetRole', () => {
  function synth(props: (stack: Stack) => Partial<DeploymentCircuitBreakerTargetRoleProps> = () => ({})) {
    const stack = memberStack();
    const target = new DeploymentCircuitBreakerTargetRole(stack, 'Target', {
      centralRole: iam.Role.fromRoleArn(stack, 'Breaker', BREAKER_ARN),
      ...props(stack),
    });
    return { stack, target, template: Template.fromStack(stack) };
  }

  /** The template's statements, for CodeDeployApplications `apps` and these regions. */
  function statements(apps: string, regions: unknown[], roleName: string) {
    const inRegions = { StringEquals: { 'aws:RequestedRegion': regions } };
    const codedeploy = (rest: string) => join('arn:', PARTITION, ':codedeploy:*:', ACCOUNT, rest);
    return {
      always: [
        { Sid: 'FindApplications', Effect: 'Allow', Action: 'codedeploy:ListApplications', Resource: '*', Condition: inRegions },
        {
          Sid: 'FindDeploymentGroups',
          Effect: 'Allow',
          Action: 'codedeploy:ListDeploymentGroups',
          Resource: codedeploy(`:application:${apps}`),
          Condition: inRegions,
        },
        {
          Sid: 'ReadDeployments',
          Effect: 'Allow',
          Action: ['codedeploy:ListDeployments', 'codedeploy:BatchGetDeployments', 'codedeploy:BatchGetDeploymentGroups'],
          Resource: codedeploy(`:deploymentgroup:${apps}/*`),
          Condition: inRegions,
        },
        { Sid: 'StopDeployments', Effect: 'Allow', Action: 'codedeploy:StopDeployment', Resource: '*', Condition: inRegions },
        {
          Sid: 'ReadAlarms',
          Effect: 'Allow',
          Action: 'cloudwatch:DescribeAlarms',
          Resource: join('arn:', PARTITION, ':cloudwatch:*:', ACCOUNT, ':alarm:*'),
          Condition: inRegions,
        },
        { Sid: 'FindTaggedAlarms', Effect: 'Allow', Action: 'tag:GetResources', Resource: '*', Condition: inRegions },
        {
          Sid: 'SimulateOwnRole',
          Effect: 'Allow',
          Action: 'iam:SimulatePrincipalPolicy',
          Resource: join('arn:', PARTITION, ':iam::', ACCOUNT, `:role/${roleName}`),
        },
      ],
      redeploys: [
        {
          Sid: 'Redeploy',
          Effect: 'Allow',
          Action: 'codedeploy:CreateDeployment',
          Resource: codedeploy(`:deploymentgroup:${apps}/*`),
          Condition: inRegions,
        },
        {
          Sid: 'RedeployConfig',
          Effect: 'Allow',
          Action: 'codedeploy:GetDeploymentConfig',
          Resource: codedeploy(':deploymentconfig:*'),
          Condition: inRegions,
        },
        {
          Sid: 'RedeployRevision',
          Effect: 'Allow',
          Action: 'codedeploy:GetApplicationRevision',
          Resource: codedeploy(`:application:${apps}`),
          Condition: inRegions,
        },
      ],
      judge: [
        {
          Sid: 'JudgeDeploymentTargets',
          Effect: 'Allow',
          Action: ['codedeploy:ListDeploymentTargets', 'codedeploy:BatchGetDeploymentTargets'],
          Resource: '*',
          Condition: inRegions,
        },
        {
          Sid: 'JudgeMetrics',
          Effect: 'Allow',
          Action: ['cloudwatch:GetMetricData', 'cloudwatch:ListMetrics'],
          Resource: '*',
          Condition: inRegions,
        },
      ],
    };
  }

  const trusts = (sid: string, arn: string) => ({ Sid: sid, Effect: 'Allow', Principal: { AWS: arn }, Action: 'sts:AssumeRole' });

  test('by default: the template with its defaults, one inline policy and nothing else', () => {
    const { stack, target, template } = synth();
    const expected = statements('*', [REGION], 'deployment-circuit-breaker-target');
    expect(only(template, 'AWS::IAM::Role')).toEqual({
      RoleName: 'deployment-circuit-breaker-target',
      Description: 'deployment-circuit-breaker stops bad CodeDeploy deployments in this account',
      AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [trusts('CentralBreaker', BREAKER_ARN)] },
      Policies: [
        {
          PolicyName: 'stop-deployments',
          PolicyDocument: { Version: '2012-10-17', Statement: [...expected.always, ...expected.judge] },
        },
      ],
    });
    template.resourceCountIs('AWS::IAM::Policy', 0);
    expect(stack.resolve(target.role.roleArn)).toEqual({ 'Fn::GetAtt': [logicalId(target.role), 'Arn'] });
  });

  test('redeploys, no judge, the check trusted, named applications and regions', () => {
    const { template } = synth((stack) => ({
      centralCheckRole: iam.Role.fromRoleArn(stack, 'Check', CHECK_ARN),
      roleName: 'breaker-target',
      codeDeployApplications: 'shop-*',
      regions: ['us-east-1', 'eu-west-1'],
      rollbackCompletedWithin: Duration.minutes(10),
      judge: JudgeMode.OFF,
    }));
    const expected = statements('shop-*', ['us-east-1', 'eu-west-1'], 'breaker-target');
    const role = only(template, 'AWS::IAM::Role');
    expect(role.RoleName).toBe('breaker-target');
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      trusts('CentralBreaker', BREAKER_ARN),
      trusts('CentralReadinessCheck', CHECK_ARN),
    ]);
    expect(role.Policies).toEqual([
      {
        PolicyName: 'stop-deployments',
        PolicyDocument: { Version: '2012-10-17', Statement: [...expected.always, ...expected.redeploys] },
      },
    ]);
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('enforce judges as report does; a zero rollback window does not redeploy', () => {
    const { template } = synth(() => ({ judge: JudgeMode.ENFORCE, rollbackCompletedWithin: Duration.seconds(0) }));
    const expected = statements('*', [REGION], 'deployment-circuit-breaker-target');
    expect(only(template, 'AWS::IAM::Role').Policies[0].PolicyDocument.Statement).toEqual([
      ...expected.always,
      ...expected.judge,
    ]);
  });

  test.each<[string, (stack: Stack) => Partial<DeploymentCircuitBreakerTargetRoleProps>, RegExp]>([
    [
      'a role ARN without a 12-digit account',
      (stack) => ({ centralRole: iam.Role.fromRoleArn(stack, 'Bad', 'arn:aws:iam::1111:role/breaker') }),
      /^centralRole \(CentralRoleArn\): an IAM role ARN, such as arn:aws:iam::111122223333:role\/breaker-FunctionRole-ABC;/,
    ],
    [
      'a check role ARN of a user',
      (stack) => ({ centralCheckRole: iam.Role.fromRoleArn(stack, 'Bad', 'arn:aws:iam::111122223333:user/x') }),
      /^centralCheckRole \(CentralCheckRoleArn\): an IAM role ARN, such as arn:aws:iam::111122223333:role\/breaker-ReadinessCheckFunctionRole-DEF \(or empty\);/,
    ],
    [
      'a region that is no region code',
      () => ({ regions: ['us-east-1', 'Frankfurt'] }),
      /^regions \(Regions\): a comma list of region codes, such as us-east-1,eu-west-1; got "us-east-1,Frankfurt"$/,
    ],
    [
      'a rollback window over an hour',
      () => ({ rollbackCompletedWithin: Duration.minutes(61) }),
      /^rollbackCompletedWithin \(RollbackCompletedWithin\): must be a number not greater than 3600; got 3660$/,
    ],
    ['a role name with a space', () => ({ roleName: 'breaker target' }), /^roleName \(RoleName\): must match pattern/],
    [
      'applications with a slash',
      () => ({ codeDeployApplications: 'shop/prod' }),
      /^codeDeployApplications \(CodeDeployApplications\): must match pattern/,
    ],
  ])('refuses %s', (_, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});

describe('DeploymentCircuitBreakerForwarding', () => {
  function synth(props: Partial<DeploymentCircuitBreakerForwardingProps> = {}) {
    const stack = memberStack();
    const forwarding = new DeploymentCircuitBreakerForwarding(stack, 'Forwarding', {
      centralAccount: '111122223333',
      ...props,
    });
    return { stack, forwarding, template: Template.fromStack(stack) };
  }

  const busArn = (region: string | object) =>
    typeof region === 'string'
      ? join('arn:', PARTITION, `:events:${region}:111122223333:event-bus/default`)
      : join('arn:', PARTITION, ':events:', region, ':111122223333:event-bus/default');
  const ruleName = (kind: string) => join(`breaker-${kind}-`, STACK_UUID);
  const alarmsPattern = (detail: object) => ({
    'source': ['aws.cloudwatch'],
    'account': [ACCOUNT],
    'detail-type': ['CloudWatch Alarm State Change'],
    detail,
  });
  const CODEDEPLOY_PATTERN = {
    'source': ['aws.codedeploy'],
    'account': [ACCOUNT],
    'detail-type': ['CodeDeploy Deployment State-change Notification', 'CodeDeploy Instance State-change Notification'],
    'detail': { state: ['START', 'READY', 'FAILURE'] },
  };
  const STARTS_PATTERN = {
    'source': ['aws.codedeploy'],
    'account': [ACCOUNT],
    'detail-type': ['CodeDeploy Deployment State-change Notification'],
    'detail': { state: ['START'] },
  };

  /** The rules' properties by name kind (alarms, codedeploy, starts). */
  function rules(template: Template): Record<string, { [key: string]: any }> {
    const byKind: Record<string, { [key: string]: any }> = {};
    for (const rule of Object.values(template.findResources('AWS::Events::Rule'))) {
      byKind[rule.Properties.Name['Fn::Join'][1][0].split('-')[1]] = rule.Properties;
    }
    return byKind;
  }

  test('by default: the role, the alarm and start rules, the dead-letter queue and its alarm', () => {
    const { forwarding, template } = synth();
    const role = logicalId(forwarding.role);
    const queue = logicalId(forwarding.deadLetterQueue);

    expect(only(template, 'AWS::IAM::Role')).toEqual({
      Description: 'EventBridge forwards deployment-circuit-breaker signals to the central event bus',
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sts:AssumeRole',
            Condition: {
              StringEquals: { 'aws:SourceAccount': ACCOUNT },
              ArnLike: {
                'aws:SourceArn': join('arn:', PARTITION, ':events:', REGION, ':', ACCOUNT, ':rule/breaker-*-', STACK_UUID),
              },
            },
          },
        ],
      },
      Policies: [
        {
          PolicyName: 'put-events-on-central-bus',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [{ Sid: 'CentralBus', Effect: 'Allow', Action: 'events:PutEvents', Resource: busArn(REGION) }],
          },
        },
      ],
    });
    template.resourceCountIs('AWS::IAM::Policy', 0);

    const target = {
      Id: 'central-breaker',
      Arn: busArn(REGION),
      RoleArn: { 'Fn::GetAtt': [role, 'Arn'] },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queue, 'Arn'] } },
    };
    expect(rules(template)).toEqual({
      alarms: {
        Name: ruleName('alarms'),
        Description: 'CloudWatch alarms entering ALARM → the central deployment-circuit-breaker',
        EventPattern: alarmsPattern({ state: { value: ['ALARM'] } }),
        State: 'ENABLED',
        Targets: [target],
      },
      starts: {
        Name: ruleName('starts'),
        Description: "CodeDeploy deployments starting → the central deployment-circuit-breaker's canary judge",
        EventPattern: STARTS_PATTERN,
        State: 'ENABLED',
        Targets: [target],
      },
    });
    expect(forwarding.codeDeployRule).toBeUndefined();

    expect(only(template, 'AWS::SQS::Queue')).toEqual({ MessageRetentionPeriod: 1209600, SqsManagedSseEnabled: true });
    expect(only(template, 'AWS::SQS::QueuePolicy')).toEqual({
      Queues: [{ Ref: queue }],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'sqs:*',
            Resource: { 'Fn::GetAtt': [queue, 'Arn'] },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
          {
            Sid: 'EventBridgeRules',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: { 'Fn::GetAtt': [queue, 'Arn'] },
            Condition: {
              ArnEquals: {
                'aws:SourceArn': [
                  { 'Fn::GetAtt': [logicalId(forwarding.alarmRule), 'Arn'] },
                  { 'Fn::GetAtt': [logicalId(forwarding.deploymentStartRule!), 'Arn'] },
                ],
              },
            },
          },
        ],
      },
    });

    expect(only(template, 'AWS::CloudWatch::Alarm')).toEqual({
      AlarmDescription:
        "deployment-circuit-breaker's forwarding could not put an event on the central bus (a message in the " +
        'forward dead-letter queue): the central breaker never heard that alarm or CodeDeploy event (a ' +
        "deployment start: that deployment is not judged); the message's attributes say why",
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  test('CodeDeploy events forwarded: their rule, which forwards the starts too', () => {
    const { forwarding, template } = synth({ forwardCodeDeployEvents: true });
    const byKind = rules(template);
    expect(Object.keys(byKind).sort()).toEqual(['alarms', 'codedeploy']);
    expect(byKind.codedeploy.Name).toEqual(ruleName('codedeploy'));
    expect(byKind.codedeploy.Description).toBe(
      'CodeDeploy deployment/instance state changes → the central deployment-circuit-breaker',
    );
    expect(byKind.codedeploy.EventPattern).toEqual(CODEDEPLOY_PATTERN);
    expect(forwarding.deploymentStartRule).toBeUndefined();
    expect(only(template, 'AWS::SQS::QueuePolicy').PolicyDocument.Statement[1].Condition).toEqual({
      ArnEquals: {
        'aws:SourceArn': [
          { 'Fn::GetAtt': [logicalId(forwarding.alarmRule), 'Arn'] },
          { 'Fn::GetAtt': [logicalId(forwarding.codeDeployRule!), 'Arn'] },
        ],
      },
    });
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('starts not forwarded: the alarm rule alone', () => {
    const { forwarding, template } = synth({ forwardDeploymentStarts: false });
    expect(Object.keys(rules(template))).toEqual(['alarms']);
    expect(only(template, 'AWS::SQS::QueuePolicy').PolicyDocument.Statement[1].Condition).toEqual({
      ArnEquals: { 'aws:SourceArn': [{ 'Fn::GetAtt': [logicalId(forwarding.alarmRule), 'Arn'] }] },
    });
  });

  test('a central region, an alarm name prefix and an operator topic', () => {
    const stack = memberStack();
    const topic = sns.Topic.fromTopicArn(stack, 'Operators', 'arn:aws:sns:us-east-1:222233334444:operators');
    const forwarding = new DeploymentCircuitBreakerForwarding(stack, 'Forwarding', {
      centralAccount: '111122223333',
      centralRegion: 'eu-west-1',
      alarmNamePrefix: 'shop-',
      operatorTopic: topic,
    });
    const template = Template.fromStack(stack);
    expect(stack.resolve(forwarding.centralEventBusArn)).toEqual(busArn('eu-west-1'));
    expect(only(template, 'AWS::IAM::Role').Policies[0].PolicyDocument.Statement[0].Resource).toEqual(busArn('eu-west-1'));
    const alarms = rules(template).alarms;
    expect(alarms.EventPattern).toEqual(alarmsPattern({ state: { value: ['ALARM'] }, alarmName: [{ prefix: 'shop-' }] }));
    expect(alarms.Targets[0].Arn).toEqual(busArn('eu-west-1'));
    expect(only(template, 'AWS::CloudWatch::Alarm').AlarmActions).toEqual([
      'arn:aws:sns:us-east-1:222233334444:operators',
    ]);
    template.resourceCountIs('AWS::SNS::TopicPolicy', 0);
  });

  test.each<[string, Partial<DeploymentCircuitBreakerForwardingProps>, RegExp]>([
    ['a short account ID', { centralAccount: '11112222333' }, /^centralAccount \(CentralAccountId\): a 12-digit account ID; got "11112222333"$/],
    [
      'a region that is no region code',
      { centralRegion: 'eu-west' },
      /^centralRegion \(CentralRegion\): a region code, such as us-east-1 \(or empty\); got "eu-west"$/,
    ],
    ['a prefix with a wildcard', { alarmNamePrefix: 'shop-*' }, /^alarmNamePrefix \(AlarmNamePrefix\): must match pattern/],
  ])('refuses %s', (_, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });

  test('one app, one forwarding stack per member account and region', () => {
    const app = new App();
    for (const account of ['222233334444', '333344445555']) {
      for (const region of ['us-east-1', 'eu-west-1']) {
        const stack = new Stack(app, `BreakerForwarding-${account}-${region}`, { env: { account, region } });
        new DeploymentCircuitBreakerForwarding(stack, 'Forwarding', { centralAccount: '111122223333', centralRegion: 'us-east-1' });
      }
    }
    const stacks = app.synth().stacks;
    expect(stacks.map((s) => `${s.environment.account}/${s.environment.region}`).sort()).toEqual([
      '222233334444/eu-west-1',
      '222233334444/us-east-1',
      '333344445555/eu-west-1',
      '333344445555/us-east-1',
    ]);
    for (const stack of stacks) {
      expect(Object.values(stack.template.Resources).filter((r: any) => r.Type === 'AWS::Events::Rule')).toHaveLength(2);
    }
  });
});
