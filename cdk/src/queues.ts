/**
 * The queues and the state table: every queue SQS-encrypted and TLS only (`enforceSSL`), the
 * dead-letter and failure queues kept 14 days, the functions' own queues sendable by their role
 * only, and the table only the functions' roles may write.
 */
import {
  Aws,
  CfnDeletionPolicy,
  Duration,
  RemovalPolicy,
  aws_dynamodb as dynamodb,
  aws_iam as iam,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { FAILURE_QUEUE, acknowledge } from './acknowledged';

/** A queue, TLS only; named `<stack>-<suffix>` when given one. */
export function queue(
  scope: Construct,
  id: string,
  options: { suffix?: string; kept?: boolean; deadLetter?: sqs.IQueue; failures?: boolean },
): sqs.Queue {
  const made = new sqs.Queue(scope, id, {
    queueName: options.suffix === undefined ? undefined : `${Aws.STACK_NAME}-${options.suffix}`,
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: options.kept ? Duration.days(14) : undefined,
    // 6 x the functions' 60 s timeout (Lambda's advice for SQS event sources).
    visibilityTimeout: options.deadLetter === undefined ? undefined : Duration.seconds(360),
    deadLetterQueue: options.deadLetter === undefined ? undefined : { queue: options.deadLetter, maxReceiveCount: 5 },
  });
  if (options.failures) {
    acknowledge(made, { 'AwsSolutions-SQS3': FAILURE_QUEUE });
  }
  return made;
}

/** A function's own queue of waits with its dead-letter queue: only `role` may send to it. */
export function watchQueue(scope: Construct, id: string, suffix: string, sid: string): {
  queue: sqs.Queue;
  deadLetter: sqs.Queue;
  onlySender: (role: iam.IRole) => void;
} {
  const deadLetter = queue(scope, `${id}DeadLetterQueue`, { suffix: `${suffix}-dlq`, kept: true });
  const own = queue(scope, `${id}Queue`, { suffix, deadLetter });
  const onlySender = (role: iam.IRole) => {
    own.addToResourcePolicy(new iam.PolicyStatement({
      sid,
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['sqs:SendMessage'],
      resources: [own.queueArn],
      conditions: { ArnNotEquals: { 'aws:PrincipalArn': role.roleArn } },
    }));
  };
  return { queue: own, deadLetter, onlySender };
}

/**
 * The records only the functions' roles write (STATE_TABLE, `<stack>-state`): the hooks the gate
 * watches, the breaker's redeploys and judged deployments, each expiring at `expiresAt`.
 */
export function stateTable(scope: Construct, writers: iam.IRole[]): dynamodb.Table {
  const arn = `arn:${Aws.PARTITION}:dynamodb:${Aws.REGION}:${Aws.ACCOUNT_ID}:table/${Aws.STACK_NAME}-state`;
  const table = new dynamodb.Table(scope, 'StateTable', {
    tableName: `${Aws.STACK_NAME}-state`,
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    timeToLiveAttribute: 'expiresAt',
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    // Its records mean nothing without the functions, and a kept <stack>-state would stop the
    // same stack from being created again; a replacement keeps the old table.
    removalPolicy: RemovalPolicy.DESTROY,
    resourcePolicy: new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'DenyInsecureTransport',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['dynamodb:*'],
          resources: [arn],
          conditions: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
        new iam.PolicyStatement({
          sid: 'OnlyTheFunctionsWrite',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'PartiQLInsert', 'PartiQLUpdate',
            'PartiQLDelete'].map((a) => `dynamodb:${a}`),
          resources: [arn],
          conditions: { ArnNotEquals: { 'aws:PrincipalArn': writers.map((r) => r.roleArn) } },
        }),
      ],
    }),
  });
  (table.node.defaultChild as dynamodb.CfnTable).cfnOptions.updateReplacePolicy = CfnDeletionPolicy.RETAIN;
  return table;
}
