"""AWS's own SAM transform (aws-sam-translator, the library behind CloudFormation's
AWS::Serverless-2016-10-31) on templates exactly as a deploy path submits them: `sam package`'s
output, or a `cdk synth` output. Nothing in a template is rewritten first (cfn-lint, by contrast,
puts a fake S3 URI in place of a local DefinitionUri before it translates, and so cannot see one).

    translate.py TEMPLATE...

Each template is transformed, then checked: the state machine's definition comes from S3, every
function's code from S3, the nested application becomes a stack, and no role may delete a whole
Lambda function (DeleteFunction only on qualified ARNs, that is versions). Exits 1 with what is
wrong.

The one stand-in: the Serverless Application Repository API, which the transform calls for a
nested application (AWS::Serverless::Application); it answers as SAR does for a public version.
"""

import json
import sys

import boto3

from samcli.yamlhelper import yaml_parse
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.parser.parser import Parser
from samtranslator.plugins.application.serverless_app_plugin import ServerlessAppPlugin
from samtranslator.translator.translator import Translator


class ServerlessRepo:
    """The SAR API calls the transform makes, answered as for an available public version."""

    def get_application(self, ApplicationId, SemanticVersion):
        return {"ApplicationId": ApplicationId, "Version": {"SemanticVersion": SemanticVersion}}

    def create_cloud_formation_template(self, ApplicationId, SemanticVersion):
        return {
            "ApplicationId": ApplicationId,
            "SemanticVersion": SemanticVersion,
            "Status": "ACTIVE",
            "TemplateId": "00000000-0000-0000-0000-000000000000",
            "TemplateUrl": "https://awsserverlessrepo-changesets.s3.amazonaws.com/powertune.yaml",
        }

    def get_cloud_formation_template(self, ApplicationId, TemplateId):
        return self.create_cloud_formation_template(ApplicationId, "0.1.0")


def transform(path):
    with open(path, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    parameters = {
        name: p["Default"]
        for name, p in template.get("Parameters", {}).items()
        if "Default" in p
    }
    translator = Translator(
        None,
        Parser(),
        plugins=[ServerlessAppPlugin(sar_client=ServerlessRepo(), parameters=parameters)],
        # The region of the pseudo parameters (AWS::Region); no AWS call is made with it.
        boto_session=boto3.session.Session(region_name="us-east-1"),
    )
    return translator.translate(
        template, parameter_values=parameters, get_managed_policy_map=lambda: {}
    )


def actions(statement):
    a = statement.get("Action", [])
    return [a] if isinstance(a, str) else a


def qualified_only(resource):
    """Whether a policy Resource matches qualified function ARNs only: `...:function:NAME:*`,
    or the template's If over those."""
    if isinstance(resource, dict) and "Fn::If" in resource:
        return all(qualified_only(r) for r in resource["Fn::If"][1:])
    if isinstance(resource, dict) and "Fn::Sub" in resource:
        resource = resource["Fn::Sub"]
    return isinstance(resource, str) and resource.endswith(":*") and resource not in ("*", "*:*")


def check(path, out):
    problems = []
    resources = out.get("Resources", {})
    by_type = {}
    for name, r in resources.items():
        by_type.setdefault(r["Type"], []).append((name, r))
    serverless = [t for t in by_type if t.startswith("AWS::Serverless::")]
    if serverless:
        problems.append(f"untransformed resources: {serverless}")
    for name, r in by_type.get("AWS::StepFunctions::StateMachine", []):
        location = r["Properties"].get("DefinitionS3Location")
        if not isinstance(location, dict) or not {"Bucket", "Key"} <= location.keys():
            problems.append(f"{name} has no DefinitionS3Location: {r['Properties'].keys()}")
    for name, r in by_type.get("AWS::Lambda::Function", []):
        code = r["Properties"].get("Code", {})
        if not {"S3Bucket", "S3Key"} <= code.keys():
            problems.append(f"{name}'s code is not from S3: {code}")
    for name, r in by_type.get("AWS::IAM::Role", []):
        for policy in r["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"].get("Statement", []):
                if "lambda:DeleteFunction" in actions(statement) and not qualified_only(
                    statement.get("Resource")
                ):
                    problems.append(
                        f"{name} may delete whole functions: {json.dumps(statement['Resource'])}"
                    )
    summary = {t: len(v) for t, v in sorted(by_type.items()) if not t.startswith("AWS::Logs")}
    return problems, summary


def main(paths):
    failed = False
    for path in paths:
        try:
            out = transform(path)
        except InvalidDocumentException as e:
            causes = "; ".join(str(c) for c in e.causes)
            print(f"{path}: the SAM transform refuses it: {causes}", file=sys.stderr)
            failed = True
            continue
        problems, summary = check(path, out)
        for p in problems:
            print(f"{path}: {p}", file=sys.stderr)
        failed = failed or bool(problems)
        print(f"{path}: transformed by aws-sam-translator: {summary}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
