// powertune as CDK constructs: the SAM template (template.yaml) included with CfnInclude, its
// seven step functions' code and the state machine's definition uploaded as assets; or the
// Serverless Application Repository app nested with CfnApplication. Both take the template's
// parameters as props, checked as the template checks them.
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
  /** The log groups coldStartRate "auto" may query (default `/aws/lambda/*`). */
  readonly queryLogGroups?: string;
  /** The customer managed KMS key the tuned functions' environment variables use, if any. */
  readonly environmentKmsKeyArn?: string;
}

/**
 * The checks template.yaml's parameters make (AllowedPattern, MinValue, MaxValue, MaxLength),
 * which CloudFormation applies to a parameter but not to a value CfnInclude puts in its place.
 * Throws at synth, naming the prop, the value and what is allowed.
 */
export function validateProps(props: PowertuneProps): void {
  const problems: string[] = [];
  const r = props.lambdaResource;
  if (r !== undefined && !r.endsWith('*')) {
    // An exact function ARN does not match the versions and aliases powertune invokes
    // (my-function:RAM128) in IAM.
    problems.push(`lambdaResource "${r}" must end with * (for example ${r}*), so that the function's versions and aliases match too`);
  }
  const t = props.totalExecutionTimeout;
  if (t !== undefined && !(Number.isInteger(t) && t >= 10 && t <= 900)) {
    problems.push(`totalExecutionTimeout ${t} must be a whole number of seconds from 10 to 900 (a Lambda function's timeout)`);
  }
  const prefix = props.stateMachineNamePrefix;
  if (prefix !== undefined && !(prefix.length <= 43 && /^[a-zA-Z0-9\-_]*$/.test(prefix))) {
    problems.push(`stateMachineNamePrefix "${prefix}" must be at most 43 letters, digits, - or _ (the stack ID is appended to make the state machine's name)`);
  }
  for (const v of props.powerValues ?? []) {
    if (!(Number.isInteger(v) && v >= 128 && v <= 10240)) {
      problems.push(`powerValues has ${v}, not a memory size from 128 to 10240 MB`);
    }
  }
  const key = props.environmentKmsKeyArn;
  if (key !== undefined && key !== '' && !/^arn:[a-z-]+:kms:[a-z0-9-]+:[0-9]{12}:key\/[A-Za-z0-9-]+$/.test(key)) {
    problems.push(`environmentKmsKeyArn "${key}" must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)`);
  }
  const days = props.logGroupRetentionInDays;
  if (days !== undefined && !RETENTION_DAYS.includes(days)) {
    problems.push(`logGroupRetentionInDays ${days} must be one of the values CloudWatch Logs accepts: ${RETENTION_DAYS.join(', ')}`);
  }
  if (problems.length > 0) {
    throw new Error(`powertune: ${problems.join('; ')}.`);
  }
}

/** The retention periods CloudWatch Logs accepts (RetentionInDays, CloudWatch Logs API
 * reference), as template.yaml's AllowedValues lists them. */
export const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

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
    queryLogGroups: props.queryLogGroups,
    environmentKmsKeyArn: props.environmentKmsKeyArn,
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
    validateProps(props);
    const template = new cfninc.CfnInclude(this, 'Template', {
      templateFile: props.templateFile,
      parameters: templateParameters(props),
    });
    for (const step of STEPS) {
      const fn = template.getResource(step) as sam.CfnFunction;
      const code = new s3assets.Asset(this, `${step}Code`, { path: path.join(props.buildDir, step) });
      fn.codeUri = { bucket: code.s3BucketName, key: code.s3ObjectKey };
    }
    // The definition too: a local DefinitionUri is uploaded only by sam package and sam deploy,
    // and CloudFormation's SAM transform refuses one ("'DefinitionUri' is not a valid S3 Uri").
    const machine = template.getResource('powerTuningStateMachine') as sam.CfnStateMachine;
    if (typeof machine.definitionUri !== 'string') {
      throw new Error('template.yaml: powerTuningStateMachine.DefinitionUri must be the definition file, relative to the template');
    }
    const definition = new s3assets.Asset(this, 'Definition', {
      path: path.resolve(path.dirname(props.templateFile), machine.definitionUri),
    });
    machine.definitionUri = { bucket: definition.s3BucketName, key: definition.s3ObjectKey };
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
    validateProps(props);
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
