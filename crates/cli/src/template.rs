//! A function of a SAM template, as a local run needs it: its code directory, `Runtime`,
//! `Handler`, `MemorySize`, `Timeout`, `Environment.Variables` and `Architectures`, with
//! `Globals.Function` beneath its own properties as SAM merges them.

use powertune_core::pricing::Architecture;
use serde_yaml::{Mapping, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One `AWS::Serverless::Function`, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateFunction {
    pub logical_id: String,
    /// `CodeUri`, relative to the template's directory.
    pub code_dir: PathBuf,
    /// `None` for a Rust function built with `BuildMethod: rust-cargolambda`.
    pub runtime: Option<String>,
    pub handler: Option<String>,
    pub memory_size: Option<u32>,
    pub timeout: Option<u32>,
    pub environment: BTreeMap<String, String>,
    pub architecture: Option<Architecture>,
    /// `Metadata.BuildMethod: rust-cargolambda`: `code_dir` is a Cargo package.
    pub cargo_lambda: bool,
    /// What the template has that a local run leaves out (said to the user).
    pub warnings: Vec<String>,
}

/// Reads `path` and resolves `logical_id` (or the template's only function). `env` gives
/// values for variables the template computes with intrinsic functions.
pub fn read(
    path: &Path,
    logical_id: Option<&str>,
    env: &BTreeMap<String, String>,
) -> Result<TemplateFunction, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let doc: Value = serde_yaml::from_str(&text)
        .map_err(|e| format!("{} is not a YAML or JSON template: {e}", path.display()))?;
    let base = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    resolve(&doc, &base, logical_id, env).map_err(|e| format!("{}: {e}", path.display()))
}

/// [`read`] on a parsed template whose relative paths start at `base`.
pub fn resolve(
    doc: &Value,
    base: &Path,
    logical_id: Option<&str>,
    env: &BTreeMap<String, String>,
) -> Result<TemplateFunction, String> {
    let resources = doc
        .get("Resources")
        .and_then(Value::as_mapping)
        .ok_or("the template has no Resources")?;
    let id = choose_function(resources, logical_id)?;
    let resource = &resources[id.as_str()];
    let p = Properties {
        id: &id,
        own: resource.get("Properties").cloned().unwrap_or(Value::Null),
        globals: doc
            .get("Globals")
            .and_then(|g| g.get("Function"))
            .cloned()
            .unwrap_or(Value::Null),
        params: doc.get("Parameters").cloned().unwrap_or(Value::Null),
    };
    let code_uri = p.code_uri()?;
    let build_method = resource
        .get("Metadata")
        .and_then(|m| m.get("BuildMethod"))
        .and_then(Value::as_str);
    let cargo_lambda = build_method == Some("rust-cargolambda");
    if let Some(method) = build_method.filter(|_| !cargo_lambda) {
        return Err(format!(
            "Resources.{id}.Metadata.BuildMethod {method} is not built by powertune: run sam build, then tune .aws-sam/build/{id} with --local DIR --runtime and --handler"
        ));
    }

    let runtime = p.text("Runtime")?;
    if let Some(name) = &runtime {
        powertune_emulator::Runtime::parse(name)
            .map_err(|e| format!("{}: {e}", p.at("Runtime")))?;
    } else if !cargo_lambda {
        return Err(format!("{} is missing", p.at("Runtime")));
    }
    let mut warnings = Vec::new();
    if p.get("Layers").is_some() {
        warnings.push(format!(
            "{} are not loaded locally: code the function imports from a layer is missing (Runtime.ImportModuleError)",
            p.at("Layers")
        ));
    }
    Ok(TemplateFunction {
        code_dir: base.join(code_uri),
        runtime,
        handler: p.text("Handler")?,
        memory_size: p.number("MemorySize")?,
        timeout: p.number("Timeout")?,
        environment: p.environment(env)?,
        architecture: p.architecture()?,
        cargo_lambda,
        warnings,
        logical_id: id,
    })
}

/// The logical ID of the function to tune: the one named, or the template's only one.
fn choose_function(resources: &Mapping, logical_id: Option<&str>) -> Result<String, String> {
    let functions: Vec<String> = resources
        .iter()
        .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some("AWS::Serverless::Function"))
        .filter_map(|(k, _)| k.as_str().map(str::to_string))
        .collect();
    match logical_id {
        Some(id) => {
            let resource = resources.get(id).ok_or_else(|| {
                format!("no resource {id}; its functions are {}", list(&functions))
            })?;
            let kind = resource.get("Type").and_then(Value::as_str).unwrap_or("?");
            if kind != "AWS::Serverless::Function" {
                return Err(format!(
                    "Resources.{id} is {kind}; powertune tunes an AWS::Serverless::Function ({})",
                    list(&functions)
                ));
            }
            Ok(id.to_string())
        }
        None => match functions.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err("the template has no AWS::Serverless::Function".into()),
            many => Err(format!(
                "the template has {} functions: choose one with --function ({})",
                many.len(),
                list(many)
            )),
        },
    }
}

/// A function's properties over the template's `Globals.Function`, with its parameters' defaults.
struct Properties<'a> {
    id: &'a str,
    own: Value,
    globals: Value,
    params: Value,
}

impl Properties<'_> {
    /// Where a property is, for errors.
    fn at(&self, name: &str) -> String {
        format!("Resources.{}.Properties.{name}", self.id)
    }

    /// SAM: a function's own property replaces the global one; maps are merged.
    fn get(&self, name: &str) -> Option<&Value> {
        self.own.get(name).or_else(|| self.globals.get(name))
    }

    /// A scalar property, with `Ref`s to parameters resolved.
    fn text(&self, name: &str) -> Result<Option<String>, String> {
        self.get(name)
            .map(|v| scalar(v, &self.params, &self.at(name)))
            .transpose()
    }

    fn number(&self, name: &str) -> Result<Option<u32>, String> {
        self.text(name)?
            .map(|text| {
                text.parse::<u32>()
                    .map_err(|_| format!("{} must be a whole number, not {text}", self.at(name)))
            })
            .transpose()
    }

    /// `CodeUri`, for a Zip function whose code is a local directory.
    fn code_uri(&self) -> Result<String, String> {
        if let Some(kind) = self.get("PackageType").and_then(Value::as_str) {
            if kind != "Zip" {
                return Err(format!(
                    "{} is {kind}: container images do not run locally; powertune runs Zip functions",
                    self.at("PackageType")
                ));
            }
        }
        if self.get("InlineCode").is_some() {
            return Err(format!(
                "{} is not supported locally: put the code in a directory and name it in CodeUri",
                self.at("InlineCode")
            ));
        }
        let code_uri = self
            .text("CodeUri")?
            .ok_or_else(|| format!("{} is missing", self.at("CodeUri")))?;
        if code_uri.starts_with("s3://") {
            return Err(format!(
                "{} is {code_uri}: powertune runs code from a local directory",
                self.at("CodeUri")
            ));
        }
        Ok(code_uri)
    }

    /// The environment variables: the global ones, the function's own, then `--env` over both.
    fn environment(
        &self,
        env: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>, String> {
        let mut environment = BTreeMap::new();
        for source in [&self.globals, &self.own] {
            let Some(vars) = source
                .get("Environment")
                .and_then(|e| e.get("Variables"))
                .and_then(Value::as_mapping)
            else {
                continue;
            };
            for (k, v) in vars {
                let Some(name) = k.as_str() else { continue };
                let path = format!("{}.Variables.{name}", self.at("Environment"));
                match env.get(name) {
                    Some(given) => environment.insert(name.to_string(), given.clone()),
                    None => environment.insert(
                        name.to_string(),
                        scalar(v, &self.params, &path)
                            .map_err(|e| format!("{e}; give its value with --env {name}=VALUE"))?,
                    ),
                };
            }
        }
        for (name, value) in env {
            environment.insert(name.clone(), value.clone());
        }
        Ok(environment)
    }

    /// `Architectures`: a list of one.
    fn architecture(&self) -> Result<Option<Architecture>, String> {
        let Some(v) = self.get("Architectures") else {
            return Ok(None);
        };
        let at = self.at("Architectures");
        let list = v
            .as_sequence()
            .filter(|l| l.len() == 1)
            .ok_or_else(|| format!("{at} must be a list of one architecture"))?;
        let name = scalar(&list[0], &self.params, &at)?;
        name.parse::<Architecture>()
            .map(Some)
            .map_err(|e| format!("{at}: {e}"))
    }
}

fn list(ids: &[String]) -> String {
    if ids.is_empty() {
        "none".into()
    } else {
        ids.join(", ")
    }
}

/// A property's value as text: a scalar, or a `Ref` to a parameter with a `Default`. Other
/// intrinsic functions need the deployed stack, so they are an error naming the property.
fn scalar(value: &Value, params: &Value, at: &str) -> Result<String, String> {
    let reference = match value {
        Value::String(s) => return Ok(s.clone()),
        Value::Number(n) => return Ok(n.to_string()),
        Value::Bool(b) => return Ok(b.to_string()),
        Value::Tagged(t) if t.tag == "Ref" => t.value.as_str(),
        Value::Tagged(t) => {
            return Err(format!(
                "{at} uses {}, which powertune cannot resolve without the deployed stack",
                t.tag
            ))
        }
        Value::Mapping(m) if m.len() == 1 => match m.get("Ref") {
            Some(r) => r.as_str(),
            None => {
                let name = m.keys().next().and_then(Value::as_str).unwrap_or("?");
                return Err(format!(
                    "{at} uses {name}, which powertune cannot resolve without the deployed stack"
                ));
            }
        },
        _ => return Err(format!("{at} must be a single value")),
    };
    let name = reference.ok_or_else(|| format!("{at} has a Ref without a name"))?;
    let default = params.get(name).and_then(|p| p.get("Default"));
    match default {
        Some(d) if !matches!(d, Value::Tagged(_) | Value::Mapping(_)) => {
            scalar(d, &Value::Null, at)
        }
        _ => Err(format!(
            "{at} is !Ref {name}, and the template's Parameters give {name} no Default"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Value {
        serde_yaml::from_str(text).unwrap()
    }

    fn resolve_one(text: &str, id: Option<&str>) -> Result<TemplateFunction, String> {
        resolve(&doc(text), Path::new("/app"), id, &BTreeMap::new())
    }

    const TWO: &str = r#"
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Memory:
    Type: Number
    Default: 512
  Stage:
    Type: String
Globals:
  Function:
    Timeout: 10
    MemorySize: 256
    Environment:
      Variables:
        SHARED: from-globals
        LEVEL: info
Resources:
  Py:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/py/
      Runtime: python3.12
      Handler: app.handler
      MemorySize: !Ref Memory
      Architectures: [arm64]
      Environment:
        Variables:
          LEVEL: debug
  Node:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/node
      Runtime: nodejs20.x
      Handler: index.handler
      Layers: [!Ref Shared]
      Environment:
        Variables:
          TABLE: !GetAtt Table.Arn
          STAGE: !Ref Stage
  Table:
    Type: AWS::DynamoDB::Table
"#;

    #[test]
    fn globals_lie_beneath_the_functions_own_properties() {
        let f = resolve_one(TWO, Some("Py")).unwrap();
        assert_eq!(f.code_dir, PathBuf::from("/app/functions/py/"));
        assert_eq!(f.runtime.as_deref(), Some("python3.12"));
        assert_eq!(f.handler.as_deref(), Some("app.handler"));
        assert_eq!(f.memory_size, Some(512), "Ref to a parameter's Default");
        assert_eq!(f.timeout, Some(10), "from Globals");
        assert_eq!(f.architecture, Some(Architecture::Arm64));
        assert_eq!(f.environment["SHARED"], "from-globals");
        assert_eq!(
            f.environment["LEVEL"], "debug",
            "the function's own value wins"
        );
        assert!(f.warnings.is_empty());
    }

    #[test]
    fn values_that_need_the_deployed_stack_are_errors_naming_the_property() {
        let e = resolve_one(TWO, Some("Node")).unwrap_err();
        assert!(
            e.contains("Resources.Node.Properties.Environment.Variables.TABLE")
                && e.contains("GetAtt")
                && e.contains("--env TABLE=VALUE"),
            "{e}"
        );
        let mut env = BTreeMap::new();
        env.insert("TABLE".to_string(), "local-table".to_string());
        let e = resolve(&doc(TWO), Path::new("/app"), Some("Node"), &env).unwrap_err();
        assert!(e.contains("STAGE") && e.contains("no Default"), "{e}");
        env.insert("STAGE".to_string(), "dev".to_string());
        let f = resolve(&doc(TWO), Path::new("/app"), Some("Node"), &env).unwrap();
        assert_eq!(f.environment["TABLE"], "local-table");
        assert!(f.warnings[0].contains("Layers"), "{:?}", f.warnings);
    }

    #[test]
    fn the_function_must_be_named_when_there_are_several() {
        let e = resolve_one(TWO, None).unwrap_err();
        assert!(e.contains("--function") && e.contains("Py, Node"), "{e}");
        let e = resolve_one(TWO, Some("Table")).unwrap_err();
        assert!(e.contains("AWS::DynamoDB::Table"), "{e}");
        let e = resolve_one(TWO, Some("Nope")).unwrap_err();
        assert!(e.contains("no resource Nope"), "{e}");
    }

    #[test]
    fn unsupported_functions_are_errors_naming_the_property() {
        let cases = [
            ("Runtime: java21\n      Handler: a.B::c\n      CodeUri: x", "Properties.Runtime"),
            ("PackageType: Image", "Properties.PackageType"),
            ("Runtime: python3.12\n      Handler: a.b", "Properties.CodeUri is missing"),
            ("Runtime: python3.12\n      Handler: a.b\n      CodeUri: s3://b/k.zip", "s3://"),
            ("Runtime: python3.12\n      Handler: a.b\n      CodeUri: x\n      MemorySize: lots", "MemorySize must be a whole number"),
            ("Runtime: python3.12\n      Handler: a.b\n      CodeUri: x\n      Architectures: [sparc]", "sparc"),
            ("Runtime: python3.12\n      Handler: a.b\n      InlineCode: print(1)", "InlineCode"),
        ];
        for (properties, expected) in cases {
            let text = format!(
                "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      {properties}\n"
            );
            let e = resolve_one(&text, None).unwrap_err();
            assert!(e.contains(expected), "{properties}: {e}");
        }
    }

    #[test]
    fn rust_functions_built_with_cargo_lambda_need_no_runtime() {
        let text = "Resources:\n  Rs:\n    Type: AWS::Serverless::Function\n    Metadata:\n      BuildMethod: rust-cargolambda\n    Properties:\n      CodeUri: ../functions/cpu-bound\n      Handler: bootstrap\n      Runtime: provided.al2023\n";
        let f = resolve_one(text, None).unwrap();
        assert!(f.cargo_lambda);
        assert_eq!(f.code_dir, PathBuf::from("/app/../functions/cpu-bound"));
        let esbuild = text.replace("rust-cargolambda", "esbuild");
        let e = resolve_one(&esbuild, None).unwrap_err();
        assert!(
            e.contains("sam build") && e.contains(".aws-sam/build/Rs"),
            "{e}"
        );
    }

    #[test]
    fn json_templates_read_as_well() {
        let text = r#"{"Resources": {"F": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "f", "Runtime": "nodejs22.x", "Handler": "index.handler", "Timeout": {"Ref": "T"}}}}, "Parameters": {"T": {"Default": 7}}}"#;
        let f = resolve_one(text, None).unwrap();
        assert_eq!(f.timeout, Some(7));
        assert_eq!(f.runtime.as_deref(), Some("nodejs22.x"));
    }
}
