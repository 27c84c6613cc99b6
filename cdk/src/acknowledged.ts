/**
 * What cdk-nag's AwsSolutions pack finds in these constructs and why it stands, acknowledged with
 * aws-cdk-lib's own `Validations` (no dependency on cdk-nag), so that an app that runs the pack
 * sees each finding with its reason.
 */
import { Stack, Validations, aws_iam as iam } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Why a resource with a wildcard stands, by what it names (AwsSolutions-IAM5). */
const WILDCARDS: [RegExp, string][] = [
  [/^\*$/, 'the actions granted on it have no resource type in the IAM Service Authorization Reference (StopDeployment, '
    + 'ListApplications, List/BatchGetDeploymentTargets, PutLifecycleEventHookExecutionStatus, tag:GetResources, '
    + 'GetMetricData, ListMetrics): "*" is the only resource they take, limited to the regions acted in by aws:RequestedRegion'],
  [/:codedeploy:.*:(application|deploymentgroup):/, "the CodeDeploy applications of the CodeDeployApplications glob and "
    + 'their groups, in the regions acted in: what may be stopped is narrowed by ALLOWED_DEPLOYMENT_GROUPS'],
  [/:codedeploy:.*:deploymentconfig:\*$/, 'CreateDeployment of a redeploy needs whichever deployment configuration the '
    + "group names (CodeDeploy's permissions reference)"],
  [/:cloudwatch:.*:alarm:\*$/, "the alarms are read by name prefix and by tag: any of the account's may guard a group"],
  [/:iam::\*:role\//, 'the target role has the same name in each target account; aws:ResourceAccount limits it to them'],
];

/**
 * Acknowledges AwsSolutions-IAM5 for each wildcard resource of `statements` (as cdk-nag names the
 * finding), with why it stands; throws for a wildcard with no reason here, so none goes unreasoned.
 */
export function acknowledgeWildcards(role: iam.IRole, statements: iam.PolicyStatement[]): void {
  const findings: Record<string, string> = {};
  for (const resource of statements.flatMap((statement) => statement.resources)) {
    const named = nagName(Stack.of(role), resource);
    if (!named.includes('*')) {
      continue;
    }
    const why = WILDCARDS.find(([pattern]) => pattern.test(named));
    if (why === undefined) {
      throw new Error(`${named}: a wildcard resource with no reason given in acknowledged.ts`);
    }
    findings[`AwsSolutions-IAM5[Resource::${named}]`] = `As in the templates (scripts/policy.py holds the roles equal): ${why[1]}.`;
  }
  acknowledge(role, findings);
}

/** A resource as cdk-nag writes it in a finding: a reference to X as <X>. */
function nagName(stack: Stack, resource: string): string {
  const render = (value: unknown): string => {
    if (typeof value === 'string') {
      return value;
    }
    const v = value as Record<string, any>;
    if (v.Ref !== undefined) {
      return `<${v.Ref}>`;
    }
    if (v['Fn::GetAtt'] !== undefined) {
      return `<${v['Fn::GetAtt'].join('.')}>`;
    }
    if (v['Fn::Join'] !== undefined) {
      return (v['Fn::Join'][1] as unknown[]).map(render).join(v['Fn::Join'][0]);
    }
    return JSON.stringify(value);
  };
  return render(stack.resolve(resource));
}

/** AwsSolutions-IAM4 on a function's role: Lambda's basic execution role. */
export const BASIC_EXECUTION_ROLE = 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]';
export const BASIC_EXECUTION =
  "AWSLambdaBasicExecutionRole is what SAM gives template.yaml's functions (its logs: CreateLogGroup, "
  + 'CreateLogStream, PutLogEvents); the roles are held equal to the template\'s, managed policies included.';

/** AwsSolutions-SQS3 on a queue that is itself where failures land. */
export const FAILURE_QUEUE =
  "A failure destination or an EventBridge target's dead-letter queue (cdk-nag knows only SQS redrive "
  + 'dead-letter queues): what reaches it has failed already, is kept 14 days and alarms.';

/** Acknowledges each finding (rule ID, optionally with its detail in brackets) with its reason. */
export function acknowledge(scope: IConstruct, findings: Record<string, string>): void {
  for (const [id, reason] of Object.entries(findings)) {
    Validations.of(scope).acknowledge({ id, reason });
  }
}
