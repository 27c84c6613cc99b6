/**
 * The member account's target role: templates/target-role.yaml as a construct.
 */
import { Aws, Duration, aws_iam as iam } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { acknowledgeWildcards } from './acknowledged';
import { check } from './checks';
import { JudgeMode } from './settings';
import { Reach, document, findApplications, findDeploymentGroups, judge, readAlarms, redeploy, stopDeployments } from './statements';

/** Properties of a `DeploymentCircuitBreakerTargetRole`: the parameters of templates/target-role.yaml. */
export interface DeploymentCircuitBreakerTargetRoleProps {
  /**
   * The central breaker function's role (the central stack's FunctionRoleArn), trusted to assume
   * this role: `iam.Role.fromRoleArn(this, 'Breaker', arn)` when it lives in another account.
   */
  readonly centralRole: iam.IRole;

  /**
   * The central readiness check's role (ReadinessCheckFunctionRoleArn), also trusted to assume
   * this role. It only reads and simulates as this role, but the role may stop deployments: trust
   * no other role here.
   * @default - not trusted: the readiness check finds roleNotAssumable here
   */
  readonly centralCheckRole?: iam.IRole;

  /**
   * The role's name: the central stack's TargetRoleName.
   * @default 'deployment-circuit-breaker-target'
   */
  readonly roleName?: string;

  /**
   * The CodeDeploy application names (a name or a glob) whose deployment groups the breaker may
   * list, read and redeploy to. What it may stop is limited by its allowed deployment groups and
   * by `regions`, not by this (StopDeployment has no resource type in IAM).
   * @default '*'
   */
  readonly codeDeployApplications?: string;

  /**
   * The regions the breaker may act in here (`aws:RequestedRegion`), and those its readiness check
   * looks in: the central stack's regions.
   * @default - this stack's region
   */
  readonly regions?: string[];

  /**
   * The central stack's RollbackCompletedWithin; only whether it is zero matters here: when not,
   * the breaker may redeploy a just-finished Server deployment's previous revision. At most 1 hour.
   * @default Duration.seconds(0)
   */
  readonly rollbackCompletedWithin?: Duration;

  /**
   * The central stack's canary judge mode; only whether it is OFF matters here: unless it is, the
   * breaker may read a running deployment's targets and its versions' metrics.
   * @default JudgeMode.REPORT
   */
  readonly judge?: JudgeMode;
}

/**
 * The role the central breaker (and its readiness check) assumes in a member account, to stop,
 * read, redeploy and judge CodeDeploy deployments there: templates/target-role.yaml. IAM is
 * global: one per account, in one stack, with `regions` listing every region the breaker may act
 * in. Its single inline policy, `stop-deployments`, holds the template's statements, Sid for Sid.
 */
export class DeploymentCircuitBreakerTargetRole extends Construct {
  /** The role; its ARN is what the central stack assumes (the template's RoleArn output). */
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: DeploymentCircuitBreakerTargetRoleProps) {
    super(scope, id);
    const roleName = props.roleName ?? 'deployment-circuit-breaker-target';
    const reach: Reach = { applications: props.codeDeployApplications ?? '*', regions: props.regions ?? [] };
    const rollbackSeconds = (props.rollbackCompletedWithin ?? Duration.seconds(0)).toSeconds();
    check('centralRole', 'CentralRoleArn', props.centralRole.roleArn);
    if (props.centralCheckRole !== undefined) {
      check('centralCheckRole', 'CentralCheckRoleArn', props.centralCheckRole.roleArn);
    }
    check('roleName', 'RoleName', roleName);
    check('codeDeployApplications', 'CodeDeployApplications', reach.applications);
    check('regions', 'Regions', reach.regions.join(','));
    check('rollbackCompletedWithin', 'RollbackCompletedWithin', rollbackSeconds);

    const statements = [
      ...ownStatements(reach, roleName),
      ...(rollbackSeconds > 0 ? redeploy(reach) : []),
      ...((props.judge ?? JudgeMode.REPORT) !== JudgeMode.OFF ? judge(reach) : []),
    ];
    this.role = new iam.Role(this, 'Role', {
      roleName,
      description: 'deployment-circuit-breaker stops bad CodeDeploy deployments in this account',
      assumedBy: trust(props.centralRole, props.centralCheckRole),
      inlinePolicies: { 'stop-deployments': document(statements) },
    });
    acknowledgeWildcards(this.role, statements);
  }
}

/** What the breaker and its readiness check always may do here, redeploys and judge aside. */
function ownStatements(reach: Reach, roleName: string): iam.PolicyStatement[] {
  return [
    findApplications(reach),
    findDeploymentGroups(reach),
    ...stopDeployments(reach),
    ...readAlarms(reach),
    simulateOwnRole(roleName),
  ];
}

/**
 * The readiness check simulates this role's policy. Its ARN from its name (a role referring to its
 * own Arn is a cycle); IAM is global: no `aws:RequestedRegion` condition.
 */
function simulateOwnRole(roleName: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'SimulateOwnRole',
    actions: ['iam:SimulatePrincipalPolicy'],
    resources: [`arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${roleName}`],
  });
}

/** The central roles, each trusted by a statement with the template's Sid. */
function trust(breaker: iam.IRole, readinessCheck?: iam.IRole): iam.IPrincipal {
  const trusted = new TrustedRole(breaker.roleArn, 'CentralBreaker');
  return readinessCheck === undefined
    ? trusted
    : new iam.CompositePrincipal(trusted, new TrustedRole(readinessCheck.roleArn, 'CentralReadinessCheck'));
}

/** A role ARN whose trust statement carries a Sid (the default one has none). */
class TrustedRole extends iam.ArnPrincipal {
  constructor(arn: string, private readonly sid: string) {
    super(arn);
  }

  public addToAssumeRolePolicy(doc: iam.PolicyDocument): void {
    doc.addStatements(new iam.PolicyStatement({
      sid: this.sid,
      actions: [this.assumeRoleAction],
      principals: [new iam.ArnPrincipal(this.arn)],
    }));
  }
}
