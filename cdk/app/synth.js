// The app CI synthesises with `cdk synth` (cdk.json): the stacks scripts/test.sh checks with
// cfn-lint, and scripts/cdk_roles.py with scripts/policy.py against the templates, and whose
// breaker's policies the end-to-end run enforces. Each stack's metadata names the template each
// construct stands for and with which parameters (`stands`); the code is empty zips: nothing here
// runs it.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { App, Duration, Stack, aws_events: events, aws_iam: iam, aws_sns: sns } = require('aws-cdk-lib');
const cdk = require('../lib');

const CENTRAL = { account: '123456789012', region: 'us-east-1' };
const TEAM_B = '222233334444';

function emptyZips() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'breaker-zips-'));
  for (const binary of ['deployment-circuit-breaker', 'codedeploy-hook', 'readiness-check']) {
    fs.mkdirSync(path.join(dir, binary));
    // An empty zip archive: its end-of-central-directory record alone.
    fs.writeFileSync(path.join(dir, binary, 'bootstrap.zip'), Buffer.concat([Buffer.from('PK\x05\x06'), Buffer.alloc(18)]));
  }
  return cdk.BreakerCode.fromZips(dir);
}

const app = new App();
const code = emptyZips();
/** Says, in the stack's template, that the construct at `path` stands for `template` with `parameters`. */
function stands(stack, path, template, parameters) {
  const said = stack.templateOptions.metadata ?? { 'deployment-circuit-breaker': [] };
  said['deployment-circuit-breaker'].push({ construct: path, template, parameters });
  stack.templateOptions.metadata = said;
}

const central = (name, parameters, props) => {
  const stack = new Stack(app, name, { env: CENTRAL });
  stands(stack, 'Breaker', 'template.yaml', parameters);
  return new cdk.DeploymentCircuitBreaker(stack, 'Breaker', { code, ...props });
};

// scripts/stack.py's world.
central('breaker', ['AllowedDeploymentGroups=*/*', 'Regions=us-east-1,eu-west-1', `TargetAccounts=${TEAM_B}`], {
  allowedDeploymentGroups: ['*/*'], regions: ['us-east-1', 'eu-west-1'], targetAccounts: [TEAM_B],
});
// template.yaml's defaults.
central('breaker-defaults', ['AllowedDeploymentGroups=shop/prod,billing/*'], {
  allowedDeploymentGroups: ['shop/prod', 'billing/*'],
});
// What the defaults leave out: redeploys, no judge, a given bus, no schedule, the kill switch URL.
const other = new Stack(app, 'breaker-options', { env: CENTRAL });
stands(other, 'Breaker', 'template.yaml', [
  `AllowedDeploymentGroups=${TEAM_B}:orders/prod`, 'RollbackCompletedWithin=1800', 'Judge=off', 'NotifyEventBus=ops',
  'CheckSchedule=', 'KillSwitchUrl=true', `TargetAccounts=${TEAM_B},333344445555`, 'EventSourceOrganizationId=o-abcdefghij',
  'OperatorTopicArn=arn:aws:sns:us-east-1:123456789012:operators', 'ExistingTopicArn=arn:aws:sns:us-east-1:123456789012:alarms',
  `AlarmRules=[{"alarm":"orders-*","application":"orders","account":"${TEAM_B}"}]`,
]);
new cdk.DeploymentCircuitBreaker(other, 'Breaker', {
  code,
  allowedDeploymentGroups: ['222233334444:orders/prod'],
  rollbackCompletedWithin: Duration.minutes(30),
  judge: cdk.JudgeMode.OFF,
  notifyEventBus: events.EventBus.fromEventBusName(other, 'Ops', 'ops'),
  scheduledCheck: false,
  killSwitchUrl: true,
  targetAccounts: [TEAM_B, '333344445555'],
  eventSourceOrganizationId: 'o-abcdefghij',
  operatorTopic: sns.Topic.fromTopicArn(other, 'Operators', 'arn:aws:sns:us-east-1:123456789012:operators'),
  existingTopic: sns.Topic.fromTopicArn(other, 'Alarms', 'arn:aws:sns:us-east-1:123456789012:alarms'),
  alarmRules: [{ alarm: 'orders-*', application: 'orders', account: TEAM_B }],
});

// No notifications, one application, another target role's name, in one other region.
central('breaker-quiet', [
  'AllowedDeploymentGroups=shop/*', 'Notify=false', 'CodeDeployApplications=shop', 'TargetRoleName=breaker-target',
  `TargetAccounts=${TEAM_B}`, 'Regions=eu-west-1', 'Judge=enforce',
], {
  allowedDeploymentGroups: ['shop/*'], notify: false, codeDeployApplications: 'shop', targetRoleName: 'breaker-target',
  targetAccounts: [TEAM_B], regions: ['eu-west-1'], judge: cdk.JudgeMode.ENFORCE,
});

// A member account: templates/target-role.yaml (as scripts/stack.py deploys it) and
// templates/forward-alarms.yaml.
const member = new Stack(app, 'member', { env: { account: TEAM_B, region: 'us-east-1' } });
const FUNCTION_ROLE = `arn:aws:iam::${CENTRAL.account}:role/deployment-circuit-breaker-FunctionRole`;
const CHECK_ROLE = `arn:aws:iam::${CENTRAL.account}:role/deployment-circuit-breaker-ReadinessCheckFunctionRole`;
stands(member, 'TargetRole', 'templates/target-role.yaml',
  [`CentralRoleArn=${FUNCTION_ROLE}`, `CentralCheckRoleArn=${CHECK_ROLE}`, 'Regions=us-east-1,eu-west-1']);
stands(member, 'Forwarding', 'templates/forward-alarms.yaml', [`CentralAccountId=${CENTRAL.account}`, 'ForwardCodeDeployEvents=true']);
new cdk.DeploymentCircuitBreakerTargetRole(member, 'TargetRole', {
  centralRole: iam.Role.fromRoleArn(member, 'Central', FUNCTION_ROLE),
  centralCheckRole: iam.Role.fromRoleArn(member, 'CentralCheck', CHECK_ROLE),
  regions: ['us-east-1', 'eu-west-1'],
});
new cdk.DeploymentCircuitBreakerForwarding(member, 'Forwarding', { centralAccount: CENTRAL.account, forwardCodeDeployEvents: true });

// Another member account, and region: the target role for redeploys, no judge, one application
// and its own name, trusting no check; forwarding starts only, under a name prefix, told to operators.
const otherMember = new Stack(app, 'member-options', { env: { account: '333344445555', region: 'eu-west-1' } });
stands(otherMember, 'TargetRole', 'templates/target-role.yaml', [
  `CentralRoleArn=${FUNCTION_ROLE}`, 'RoleName=breaker-target', 'CodeDeployApplications=shop', 'RollbackCompletedWithin=1800',
  'Judge=off',
]);
stands(otherMember, 'Forwarding', 'templates/forward-alarms.yaml', [
  `CentralAccountId=${CENTRAL.account}`, 'CentralRegion=us-east-1', 'AlarmNamePrefix=prod-',
  'OperatorTopicArn=arn:aws:sns:eu-west-1:333344445555:operators',
]);
new cdk.DeploymentCircuitBreakerTargetRole(otherMember, 'TargetRole', {
  centralRole: iam.Role.fromRoleArn(otherMember, 'Central', FUNCTION_ROLE),
  roleName: 'breaker-target', codeDeployApplications: 'shop', rollbackCompletedWithin: Duration.minutes(30),
  judge: cdk.JudgeMode.OFF,
});
new cdk.DeploymentCircuitBreakerForwarding(otherMember, 'Forwarding', {
  centralAccount: CENTRAL.account, centralRegion: 'us-east-1', alarmNamePrefix: 'prod-',
  operatorTopic: sns.Topic.fromTopicArn(otherMember, 'Operators', 'arn:aws:sns:eu-west-1:333344445555:operators'),
});

app.synth();
