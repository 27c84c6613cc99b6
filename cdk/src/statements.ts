/**
 * The IAM statements of the breaker's, the gate's and the readiness check's roles, and of the
 * member accounts' target role: the same, Sid for Sid and in the same order, as template.yaml's
 * and templates/target-role.yaml's (`scripts/policy.py same` compares them in CI). Each action
 * on the resource type the Service Authorization Reference gives it.
 */
import { Aws, aws_iam as iam } from 'aws-cdk-lib';

/** Where a role acts: the CodeDeploy applications it may read, the regions it may act in. */
export interface Reach {
  /** A name or a glob (CodeDeployApplications). */
  readonly applications: string;
  /** Empty: the stack's region. */
  readonly regions: string[];
}

function statement(
  sid: string,
  actions: string[],
  resources: string[],
  conditions?: Record<string, unknown>,
): iam.PolicyStatement {
  return new iam.PolicyStatement({ sid, actions, resources, conditions });
}

/** `aws:RequestedRegion` in the regions of the reach (the stack's region when none). */
function inRegions(reach: Reach): Record<string, unknown> {
  return { StringEquals: { 'aws:RequestedRegion': reach.regions.length > 0 ? reach.regions : [Aws.REGION] } };
}

const codedeploy = (kind: string, name: string) => `arn:${Aws.PARTITION}:codedeploy:*:${Aws.ACCOUNT_ID}:${kind}:${name}`;

/** The deployment groups of the applications an alarm or a kill switch names. */
export function findDeploymentGroups(reach: Reach): iam.PolicyStatement {
  return statement('FindDeploymentGroups', ['codedeploy:ListDeploymentGroups'],
    [codedeploy('application', reach.applications)], inRegions(reach));
}

/** The applications, the readiness check's start (no resource type: "*"). */
export function findApplications(reach: Reach): iam.PolicyStatement {
  return statement('FindApplications', ['codedeploy:ListApplications'], ['*'], inRegions(reach));
}

/** Deployments and groups read, deployments stopped (StopDeployment has no resource type). */
export function stopDeployments(reach: Reach): iam.PolicyStatement[] {
  return [
    statement('ReadDeployments',
      ['codedeploy:ListDeployments', 'codedeploy:BatchGetDeployments', 'codedeploy:BatchGetDeploymentGroups'],
      [codedeploy('deploymentgroup', `${reach.applications}/*`)], inRegions(reach)),
    statement('StopDeployments', ['codedeploy:StopDeployment'], ['*'], inRegions(reach)),
  ];
}

/** A redeploy of a group's previous revision, and what CreateDeployment also needs. */
export function redeploy(reach: Reach): iam.PolicyStatement[] {
  return [
    statement('Redeploy', ['codedeploy:CreateDeployment'],
      [codedeploy('deploymentgroup', `${reach.applications}/*`)], inRegions(reach)),
    statement('RedeployConfig', ['codedeploy:GetDeploymentConfig'], [codedeploy('deploymentconfig', '*')],
      inRegions(reach)),
    statement('RedeployRevision', ['codedeploy:GetApplicationRevision'],
      [codedeploy('application', reach.applications)], inRegions(reach)),
  ];
}

/** The readiness check's reads of a group's deployments and alarm configuration. */
export function readDeploymentGroups(reach: Reach): iam.PolicyStatement {
  return statement('ReadDeploymentGroups', ['codedeploy:ListDeployments', 'codedeploy:BatchGetDeploymentGroups'],
    [codedeploy('deploymentgroup', `${reach.applications}/*`)], inRegions(reach));
}

/** The alarms that guard each group, by name and by tag (GetResources has no resource type). */
export function readAlarms(reach: Reach): iam.PolicyStatement[] {
  return [
    statement('ReadAlarms', ['cloudwatch:DescribeAlarms'],
      [`arn:${Aws.PARTITION}:cloudwatch:*:${Aws.ACCOUNT_ID}:alarm:*`], inRegions(reach)),
    statement('FindTaggedAlarms', ['tag:GetResources'], ['*'], inRegions(reach)),
  ];
}

/** The canary judge's reads of a deployment's target and its versions' metrics ("*" only). */
export function judge(reach: Reach): iam.PolicyStatement[] {
  return [
    statement('JudgeDeploymentTargets',
      ['codedeploy:ListDeploymentTargets', 'codedeploy:BatchGetDeploymentTargets'], ['*'], inRegions(reach)),
    statement('JudgeMetrics', ['cloudwatch:GetMetricData', 'cloudwatch:ListMetrics'], ['*'], inRegions(reach)),
  ];
}

/** The target role of each target account, and only there. */
export function assumeTargetRoles(roleName: string, accounts: string[]): iam.PolicyStatement {
  return statement('AssumeTargetRoles', ['sts:AssumeRole'], [`arn:${Aws.PARTITION}:iam::*:role/${roleName}`],
    { StringEquals: { 'aws:ResourceAccount': accounts } });
}

export function notify(busArn: string): iam.PolicyStatement {
  return statement('Notify', ['events:PutEvents'], [busArn]);
}

/** The state table's ARN from its name (its resource policy names the roles: no cycle). */
export function stateTable(actions: string[]): iam.PolicyStatement {
  return statement('StateTable', actions.map((a) => `dynamodb:${a}`),
    [`arn:${Aws.PARTITION}:dynamodb:${Aws.REGION}:${Aws.ACCOUNT_ID}:table/${Aws.STACK_NAME}-state`]);
}

/** A function's own queue of waits: what it sends, and what its event source mapping does. */
export function watches(queueArn: string, send: string[], receive: string[]): iam.PolicyStatement[] {
  return [
    statement('SendWatches', send.map((a) => `sqs:${a}`), [queueArn]),
    statement('ReceiveWatches', receive.map((a) => `sqs:${a}`), [queueArn]),
  ];
}

/** The gate's own statements: its account and region only, where CodeDeploy invokes it. */
export function gate(applications: string, judges: boolean, busArn: string | undefined, watchArn: string): iam.PolicyStatement[] {
  const here = { StringEquals: { 'aws:RequestedRegion': Aws.REGION } };
  return [
    statement('ReadDeployments', ['codedeploy:BatchGetDeployments', 'codedeploy:BatchGetDeploymentGroups'],
      [`arn:${Aws.PARTITION}:codedeploy:${Aws.REGION}:${Aws.ACCOUNT_ID}:deploymentgroup:${applications}/*`]),
    statement('AnswerHooks', ['codedeploy:ListDeploymentTargets', 'codedeploy:BatchGetDeploymentTargets',
      'codedeploy:PutLifecycleEventHookExecutionStatus'], ['*'], here),
    statement('ReadAlarms', ['cloudwatch:DescribeAlarms'],
      [`arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*`]),
    statement('FindTaggedAlarms', ['tag:GetResources'], ['*'], here),
    ...(judges ? [statement('JudgeMetrics', ['cloudwatch:GetMetricData', 'cloudwatch:ListMetrics'], ['*'], here)] : []),
    ...(busArn === undefined ? [] : [notify(busArn)]),
    stateTable(['GetItem', 'PutItem']),
    ...watches(watchArn, ['SendMessage'], ['ReceiveMessage', 'DeleteMessage', 'GetQueueAttributes', 'ChangeMessageVisibility']),
  ];
}

/** What SAM grants a function for its EventInvokeConfig's OnFailure queue (no Sid, as SAM's). */
export function failureDestination(queueArn: string): iam.PolicyStatement {
  return new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queueArn] });
}

/** A policy document kept as written, whatever the app's `minimizePolicies` flag says. */
export function document(statements: iam.PolicyStatement[]): iam.PolicyDocument {
  return new iam.PolicyDocument({ statements, minimize: false });
}
