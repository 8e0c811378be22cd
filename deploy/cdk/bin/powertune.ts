#!/usr/bin/env node
// The CDK app: a stack with powertune from the SAM template (`-c source=template`, the default,
// with the steps' bootstraps in `-c buildDir=...`, default ../../.aws-sam/build) or from the
// Serverless Application Repository (`-c source=sar -c applicationId=arn:... -c
// semanticVersion=0.1.0`). Props come from `-c props='{"powerValues": [128, 512], ...}'`.
import * as path from 'path';
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import { PowertuneFromSar, PowertuneFromTemplate, PowertuneProps } from '../lib/powertune';

const app = new App();
const root = path.resolve(__dirname, '..', '..', '..', '..');
const context = (name: string): string | undefined => app.node.tryGetContext(name);
const props: PowertuneProps = JSON.parse(context('props') ?? '{}');
const stack = new Stack(app, context('stackName') ?? 'powertune', {
  description: 'powertune, deployed with the AWS CDK',
});

switch (context('source') ?? 'template') {
  case 'template':
    // The template's own StateMachineARN output comes with it.
    new PowertuneFromTemplate(stack, 'Powertune', {
      ...props,
      templateFile: path.join(root, 'template.yaml'),
      buildDir: path.resolve(context('buildDir') ?? path.join(root, '.aws-sam', 'build')),
    });
    break;
  case 'sar': {
    const applicationId = context('applicationId');
    if (!applicationId) {
      throw new Error('-c source=sar needs -c applicationId=arn:aws:serverlessrepo:REGION:ACCOUNT:applications/powertune');
    }
    const nested = new PowertuneFromSar(stack, 'Powertune', {
      ...props,
      applicationId,
      semanticVersion: context('semanticVersion') ?? '0.1.0',
    });
    new CfnOutput(stack, 'StateMachineARN', {
      description: 'ARN of the powertune state machine; start executions of it (scripts/execute.sh, powertune tune --state-machine-arn).',
      value: nested.stateMachineArn,
    });
    break;
  }
  default:
    throw new Error(`-c source must be "template" or "sar", not "${context('source')}"`);
}
