// powertune as CDK constructs: the SAM template (template.yaml) included with CfnInclude, its
// seven step functions' code uploaded as assets; or the Serverless Application Repository app
// nested with CfnApplication. Both take the template's parameters as props.
import * as path from 'path';
import { Construct } from 'constructs';
import * as cfninc from 'aws-cdk-lib/cloudformation-include';
import * as sam from 'aws-cdk-lib/aws-sam';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';

/** The template's parameters (template.yaml); anything left out keeps the template's default. */
export interface PowertuneProps {
  /** Memory sizes (MB) used when an execution input has no powerValues. */
  readonly powerValues?: number[];
  /** Base URL of the stats visualization. */
  readonly visualizationUrl?: string;
  /** The functions the steps may tune: an ARN pattern that ends with `*`. */
  readonly lambdaResource?: string;
  /** Timeout of every step function, seconds (10 to 900). */
  readonly totalExecutionTimeout?: number;
  /** A permissions boundary for every role. */
  readonly permissionsBoundary?: string;
  /** The S3 bucket the Executor may read payloads from. */
  readonly payloadS3Bucket?: string;
  /** The object key (or pattern) in payloadS3Bucket. */
  readonly payloadS3Key?: string;
  /** Days to keep the step functions' logs. */
  readonly logGroupRetentionInDays?: number;
  /** Security groups of the steps' VPC configuration. */
  readonly securityGroupIds?: string[];
  /** Subnets of the steps' VPC configuration. */
  readonly subnetIds?: string[];
  /** Prefix of the state machine's name (at most 43 characters). */
  readonly stateMachineNamePrefix?: string;
}

/** The seven steps, named as template.yaml names their functions. */
export const STEPS = ['initializer', 'publisher', 'executor', 'sampler', 'cleaner', 'analyzer', 'optimizer'];

/** The props as the template's parameters, by the template's names; unset ones are left out. */
export function templateParameters(props: PowertuneProps): Record<string, string | number | string[] | number[]> {
  const all: Record<string, string | number | string[] | number[] | undefined> = {
    PowerValues: props.powerValues,
    visualizationURL: props.visualizationUrl,
    lambdaResource: props.lambdaResource,
    totalExecutionTimeout: props.totalExecutionTimeout,
    permissionsBoundary: props.permissionsBoundary,
    payloadS3Bucket: props.payloadS3Bucket,
    payloadS3Key: props.payloadS3Key,
    logGroupRetentionInDays: props.logGroupRetentionInDays,
    securityGroupIds: props.securityGroupIds,
    subnetIds: props.subnetIds,
    stateMachineNamePrefix: props.stateMachineNamePrefix,
  };
  const set: Record<string, string | number | string[] | number[]> = {};
  for (const [name, value] of Object.entries(all)) {
    if (value !== undefined) set[name] = value;
  }
  return set;
}

export interface PowertuneFromTemplateProps extends PowertuneProps {
  /** template.yaml. */
  readonly templateFile: string;
  /**
   * Where the steps' arm64 `bootstrap`s are, one directory per step named as the step (what
   * `sam build` and scripts/build-arm64.sh leave in `.aws-sam/build`).
   */
  readonly buildDir: string;
}

/** powertune from its SAM template, with each step's code from `buildDir` as a CDK asset. */
export class PowertuneFromTemplate extends Construct {
  /** The state machine's ARN. */
  public readonly stateMachineArn: string;

  constructor(scope: Construct, id: string, props: PowertuneFromTemplateProps) {
    super(scope, id);
    const template = new cfninc.CfnInclude(this, 'Template', {
      templateFile: props.templateFile,
      parameters: templateParameters(props),
    });
    for (const step of STEPS) {
      const fn = template.getResource(step) as sam.CfnFunction;
      const code = new s3assets.Asset(this, `${step}Code`, { path: path.join(props.buildDir, step) });
      fn.codeUri = { bucket: code.s3BucketName, key: code.s3ObjectKey };
    }
    this.stateMachineArn = template.getOutput('StateMachineARN').value;
  }
}

export interface PowertuneFromSarProps extends PowertuneProps {
  /** The app's ARN in the Serverless Application Repository (scripts/publish.sh publishes it). */
  readonly applicationId: string;
  /** The version to deploy, as template.yaml's SemanticVersion. */
  readonly semanticVersion: string;
}

/** powertune nested from the Serverless Application Repository. */
export class PowertuneFromSar extends Construct {
  /** The state machine's ARN (the nested stack's StateMachineARN output). */
  public readonly stateMachineArn: string;

  constructor(scope: Construct, id: string, props: PowertuneFromSarProps) {
    super(scope, id);
    // A nested application takes every parameter as a string; lists are comma-separated.
    const parameters: Record<string, string> = {};
    for (const [name, value] of Object.entries(templateParameters(props))) {
      parameters[name] = Array.isArray(value) ? value.join(',') : String(value);
    }
    const app = new sam.CfnApplication(this, 'App', {
      location: { applicationId: props.applicationId, semanticVersion: props.semanticVersion },
      parameters,
    });
    this.stateMachineArn = app.getAtt('Outputs.StateMachineARN').toString();
  }
}
