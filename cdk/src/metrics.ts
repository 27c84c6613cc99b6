/** The metrics the alarms and the dashboard read: a function's, a queue's, and the functions' own (EMF). */
import { Duration, aws_cloudwatch as cloudwatch, aws_lambda as lambda, aws_sqs as sqs } from 'aws-cdk-lib';

/** A metric's statistic and, where not the default, its label and period (CloudWatch's 5 minutes). */
export interface Reading {
  readonly statistic: string;
  readonly label?: string;
  readonly period?: Duration;
}

function metric(namespace: string, metricName: string, reading: Reading, dimensionsMap?: Record<string, string>) {
  return new cloudwatch.Metric({ namespace, metricName, dimensionsMap, ...reading });
}

export function lambdaMetric(fn: lambda.IFunction, metricName: string, reading: Reading): cloudwatch.Metric {
  return metric('AWS/Lambda', metricName, reading, { FunctionName: fn.functionName });
}

/** A queue's metric (statistic Maximum unless said). */
export function queueMetric(queue: sqs.IQueue, metricName: string, reading: Partial<Reading> = {}): cloudwatch.Metric {
  return metric('AWS/SQS', metricName, { statistic: 'Maximum', ...reading }, { QueueName: queue.queueName });
}

/** A metric the functions write (EMF, namespace DeploymentCircuitBreaker), without dimensions. */
export function ownMetric(metricName: string, reading: Reading): cloudwatch.Metric {
  return metric('DeploymentCircuitBreaker', metricName, reading);
}
