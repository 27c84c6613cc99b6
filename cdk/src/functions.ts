/**
 * The three functions, each with its role, log group and failure destination, as template.yaml
 * makes them: the breaker (`Function`), the gate (`GateFunction`) and the readiness check
 * (`ReadinessCheckFunction`). Each role gets exactly its statements (statements.ts), in one
 * inline policy: nothing is granted through CDK's `grant*`, so nothing else reaches them.
 */
import { Duration, PhysicalName, RemovalPolicy, aws_iam as iam, aws_lambda as lambda, aws_logs as logs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { BASIC_EXECUTION, BASIC_EXECUTION_ROLE, acknowledge, acknowledgeWildcards } from './acknowledged';
import { Resolved } from './resolved';
import * as s from './statements';

/** A function, its role and its log group. */
export interface Made {
  readonly fn: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
}

/** How one function is made. */
interface Spec {
  readonly code: lambda.Code;
  readonly statements: iam.PolicyStatement[];
  readonly environment: Record<string, string>;
  /** The queue its failed asynchronous invocations go to, after two retries. */
  readonly failures: string;
  readonly timeout: Duration;
  readonly reserved?: number;
  readonly functionName?: string;
}

/** The role of a function: Lambda's basic execution role and its statements. */
function functionRole(scope: Construct, id: string, statements: iam.PolicyStatement[]): iam.Role {
  const role = new iam.Role(scope, id, {
    // Named at synth only when a member account's stack of the same app trusts it (its target role).
    roleName: PhysicalName.GENERATE_IF_NEEDED,
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole')],
    inlinePolicies: { [`${id}Policy`]: s.document(statements) },
  });
  acknowledge(role, { [BASIC_EXECUTION_ROLE]: BASIC_EXECUTION });
  acknowledgeWildcards(role, statements);
  return role;
}

/** A function with its role (`<id>Role`) and log group, JSON logs, and its asynchronous invocations' failures. */
export function makeFunction(scope: Construct, id: string, settings: Resolved, spec: Spec): Made {
  const role = functionRole(scope, `${id}Role`, [s.failureDestination(spec.failures), ...spec.statements]);
  const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
    retention: settings.logRetention,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const fn = new lambda.Function(scope, id, {
    functionName: spec.functionName,
    code: spec.code,
    handler: 'bootstrap',
    runtime: lambda.Runtime.PROVIDED_AL2023,
    architecture: settings.architecture,
    memorySize: 128,
    timeout: spec.timeout,
    reservedConcurrentExecutions: spec.reserved === 0 ? undefined : spec.reserved,
    role,
    logGroup,
    loggingFormat: lambda.LoggingFormat.JSON,
    // The metrics (EMF lines) carry no level: a stricter level could filter them out.
    applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
    systemLogLevelV2: lambda.SystemLogLevel.WARN,
    environment: spec.environment,
  });
  // Not configureAsyncInvoke: its destination would grant the role more than SendMessage.
  new lambda.CfnEventInvokeConfig(scope, `${id}EventInvokeConfig`, {
    functionName: fn.functionName,
    qualifier: '$LATEST',
    maximumRetryAttempts: 2,
    maximumEventAgeInSeconds: 3600,
    destinationConfig: { onFailure: { destination: spec.failures } },
  });
  return { fn, role, logGroup };
}

/** The settings every function reads: the scope and the mapping of alarms to groups. */
export function shared(settings: Resolved): Record<string, string> {
  return {
    ALLOWED_DEPLOYMENT_GROUPS: settings.allowedDeploymentGroups,
    ALARM_RULES: settings.alarmRules,
    ALARM_NAME_PREFIX: settings.alarmNamePrefix,
    ALARM_TAG_MAPPING: String(settings.alarmTagMapping),
  };
}
