/**
 * What the templates' `AllowedPattern`, `MinValue` and `MaxValue` check, checked at synth with
 * the same patterns and messages (test/checks.test.ts holds this table to template.yaml's and
 * the member templates'), and what CloudFormation cannot check.
 */

import { Token } from 'aws-cdk-lib';

/** One parameter's check, as its template declares it. */
interface Check {
  readonly pattern?: RegExp;
  readonly min?: number;
  readonly max?: number;
  /** The template's AllowedValues, of a number. */
  readonly allowed?: number[];
  /** The template's ConstraintDescription, when it has one. */
  readonly says?: string;
}

/** By template parameter name. */
export const CHECKS: Record<string, Check> = {
  AlarmNamePrefix: { pattern: /^[^*?]*$/ },
  AllowedDeploymentGroups: {
    pattern: /^[^/,]+\/[^/,]+(,[^/,]+\/[^/,]+)*$/,
    says: 'a comma list of [account:]application/group globs, such as shop/prod,billing/* (or */* for every group)',
  },
  MaxSignalAge: { min: 0 },
  ReservedConcurrency: { min: 0 },
  RollbackCompletedWithin: { min: 0, max: 3600 },
  CodeDeployApplications: { pattern: /^[A-Za-z0-9_.+=,@*-]+$/ },
  Regions: {
    pattern: /^([a-z]+(-[a-z]+)+-[0-9]+(,[a-z]+(-[a-z]+)+-[0-9]+)*)?$/,
    says: 'a comma list of region codes, such as us-east-1,eu-west-1',
  },
  TargetAccounts: {
    pattern: /^([0-9]{12}(,[0-9]{12})*)?$/,
    says: 'a comma list of 12-digit account IDs, such as 222233334444,333344445555 (or empty)',
  },
  TargetRoleName: { pattern: /^[A-Za-z0-9+=,.@_-]{1,64}$/ },
  NotifyEventBus: { pattern: /^([A-Za-z0-9._-]{1,256})?$/ },
  EventSourceOrganizationId: { pattern: /^(o-[a-z0-9]{10,32})?$/ },
  EventSourceAccounts: {
    pattern: /^([0-9]{12}(,[0-9]{12})*)?$/,
    says: 'a comma list of 12-digit account IDs (or empty)',
  },
  BakeSeconds: { min: 0, max: 3300 },
  JudgeP: {
    pattern: /^0?\.([0-4][0-9]*[1-9][0-9]*|[1-4][0-9]*)$/,
    says: 'a decimal above 0 and below 0.5, such as 0.001',
  },
  JudgeInterval: { min: 60, max: 900 },
  GateConcurrency: { min: 0 },
  LogRetentionDays: { allowed: [1, 3, 5, 7, 14, 30, 60, 90, 180, 365] },
  CheckSchedule: {
    pattern: /^(rate\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\)|cron\([^()]+\))?$/,
    says: 'an EventBridge Scheduler rate(...) or cron(...) expression, such as rate(1 hour) (or empty)',
  },
  // templates/target-role.yaml
  CentralRoleArn: {
    pattern: /^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role\/[A-Za-z0-9+=,.@_/-]+$/,
    says: 'an IAM role ARN, such as arn:aws:iam::111122223333:role/breaker-FunctionRole-ABC',
  },
  CentralCheckRoleArn: {
    pattern: /^(arn:aws(-[a-z]+)*:iam::[0-9]{12}:role\/[A-Za-z0-9+=,.@_/-]+)?$/,
    says: 'an IAM role ARN, such as arn:aws:iam::111122223333:role/breaker-ReadinessCheckFunctionRole-DEF (or empty)',
  },
  RoleName: { pattern: /^[A-Za-z0-9+=,.@_-]{1,64}$/ },
  // templates/forward-alarms.yaml
  CentralAccountId: { pattern: /^[0-9]{12}$/, says: 'a 12-digit account ID' },
  CentralRegion: { pattern: /^([a-z]+(-[a-z]+)+-[0-9]+)?$/, says: 'a region code, such as us-east-1 (or empty)' },
};

/**
 * Throws, naming the property and the template parameter it stands for, when `value` (the
 * parameter's value as the template would be given it) fails the parameter's check. Values that
 * are tokens (known only at deploy time) are left to CloudFormation.
 */
export function check(property: string, parameter: string, value: string | number): void {
  const rule = CHECKS[parameter];
  if (rule === undefined) {
    throw new Error(`no check for ${parameter}`);
  }
  if (Token.isUnresolved(value)) {
    return;
  }
  const problem = failure(rule, value);
  if (problem !== undefined) {
    throw new Error(`${property} (${parameter}): ${problem}; got ${JSON.stringify(value)}`);
  }
}

function failure(rule: Check, value: string | number): string | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || !Number.isInteger(value)) {
      return 'must be a whole number';
    }
    if (rule.min !== undefined && value < rule.min) {
      return `must be a number not less than ${rule.min}`;
    }
    if (rule.max !== undefined && value > rule.max) {
      return `must be a number not greater than ${rule.max}`;
    }
    if (rule.allowed !== undefined && !rule.allowed.includes(value)) {
      return `must be one of ${rule.allowed.join(', ')}`;
    }
    return undefined;
  }
  if (rule.pattern !== undefined && !rule.pattern.test(value)) {
    return rule.says ?? `must match pattern ${rule.pattern.source}`;
  }
  return undefined;
}

/** A CodeDeployHook_<stack> name fits Lambda's 64 characters: stack names of at most 49. */
export function checkGateName(stackName: string): void {
  const name = `CodeDeployHook_${stackName}`;
  if (name.length > 64) {
    throw new Error(
      `the gate's name ${name} is ${name.length} characters, over Lambda's 64: CodeDeploy's managed policy ` +
        `for Lambda deployments invokes only functions named CodeDeployHook_*, so the stack's name must be at ` +
        `most 49 characters (it is ${stackName.length})`,
    );
  }
}
