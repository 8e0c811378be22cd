// The constructs check their props as template.yaml checks its parameters: a synth with a bad
// value throws, naming it. Run with `node --test dist/test` after `tsc` (deploy/cdk/check.sh).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { PowertuneFromSar, PowertuneFromTemplate, RETENTION_DAYS, validateProps } from '../lib/powertune';

const root = path.resolve(__dirname, '..', '..', '..', '..');
const buildDir = process.env.POWERTUNE_CDK_BUILD_DIR ?? '';

test("the retention periods are the template's AllowedValues", () => {
  const template = fs.readFileSync(path.join(root, 'template.yaml'), 'utf8');
  const listed = /logGroupRetentionInDays:[\s\S]*?AllowedValues: \[([^\]]*)\]/.exec(template);
  assert.ok(listed, 'template.yaml lists logGroupRetentionInDays AllowedValues');
  assert.deepEqual(listed[1].split(',').map((d) => Number(d.trim())), RETENTION_DAYS);
});

test('good props pass', () => {
  validateProps({});
  validateProps({
    lambdaResource: 'arn:aws:lambda:*:*:function:my-*',
    totalExecutionTimeout: 900,
    stateMachineNamePrefix: 'a'.repeat(43),
    powerValues: [128, 10240],
    logGroupRetentionInDays: 7,
  });
});

test('each bad prop is refused with its name and value', () => {
  const cases: [object, RegExp][] = [
    [{ lambdaResource: 'arn:aws:lambda:us-east-1:123456789012:function:f' }, /lambdaResource .*function:f" must end with \*/],
    [{ totalExecutionTimeout: 5 }, /totalExecutionTimeout 5 must be .* from 10 to 900/],
    [{ totalExecutionTimeout: 901 }, /totalExecutionTimeout 901/],
    [{ totalExecutionTimeout: 30.5 }, /totalExecutionTimeout 30.5/],
    [{ stateMachineNamePrefix: 'a'.repeat(44) }, /stateMachineNamePrefix/],
    [{ stateMachineNamePrefix: 'has space' }, /stateMachineNamePrefix "has space"/],
    [{ powerValues: [128, 64] }, /powerValues has 64/],
    [{ logGroupRetentionInDays: 0 }, /logGroupRetentionInDays 0/],
    [{ environmentKmsKeyArn: 'alias/my-key' }, /environmentKmsKeyArn "alias\/my-key" must be a KMS key ARN/],
    // A whole number CloudFormation refuses for a log group.
    [{ logGroupRetentionInDays: 10 }, /logGroupRetentionInDays 10 must be one of .*1096/],
  ];
  for (const [props, message] of cases) {
    assert.throws(() => validateProps(props), message, JSON.stringify(props));
  }
});

test('a synth with a bad value throws, for either construct', () => {
  const stack = new Stack(new App(), 'test');
  assert.throws(
    () => new PowertuneFromSar(stack, 'Sar', {
      applicationId: 'arn:aws:serverlessrepo:us-east-1:123456789012:applications/powertune',
      semanticVersion: '0.1.0',
      lambdaResource: 'arn:aws:lambda:us-east-1:123456789012:function:f',
    }),
    /must end with \*/,
  );
  assert.throws(
    () => new PowertuneFromTemplate(stack, 'Template', {
      templateFile: path.join(root, 'template.yaml'),
      buildDir,
      totalExecutionTimeout: 3,
    }),
    /totalExecutionTimeout 3/,
  );
});
