//! The function a local run tunes: a `bootstrap`, a Cargo package, a directory or zip of
//! Python or Node.js code, or a function of a SAM template; its runtime detected from the code
//! when not given, and said.

use crate::template;
use anyhow::{bail, Context, Result};
use powertune_core::pricing::Architecture;
use powertune_emulator::{on_this_host, Runtime};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What the user named, from the flags.
#[derive(Debug, Default)]
pub struct Request<'a> {
    pub path: Option<&'a Path>,
    pub runtime: Option<&'a str>,
    pub handler: Option<&'a str>,
    pub template: Option<&'a Path>,
    pub function: Option<&'a str>,
    pub env: BTreeMap<String, String>,
}

/// A function ready for the emulator.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalFunction {
    /// The code: a directory holding `bootstrap`, or the handler's modules.
    pub code_dir: PathBuf,
    pub runtime: Runtime,
    pub handler: String,
    /// From a template; the run's defaults apply otherwise.
    pub memory_size: Option<u32>,
    pub timeout: Option<u32>,
    pub environment: BTreeMap<String, String>,
    pub architecture: Option<Architecture>,
    /// How messages name it.
    pub label: String,
    /// What was detected or left out, said before the run.
    pub notes: Vec<String>,
}

/// Resolves the request into a function, building a Cargo package or unpacking a zip on the
/// way. Every error names the flag, file or property at fault.
pub fn resolve(request: &Request<'_>) -> Result<LocalFunction> {
    match (request.path, request.template) {
        (Some(_), Some(_)) => bail!(
            "give the function either as --local FUNCTION or as --local --template FILE --function ID, not both"
        ),
        (None, None) => bail!(
            "--local needs the function: a directory, zip or bootstrap (--local PATH), or a SAM template (--local --template FILE --function ID)"
        ),
        (None, Some(file)) => from_template(request, file),
        (Some(path), None) => {
            let env = request.env.clone();
            let mut f = from_path(path, request.runtime, request.handler)?;
            f.environment = env;
            Ok(f)
        }
    }
}

fn from_template(request: &Request<'_>, file: &Path) -> Result<LocalFunction> {
    let t = template::read(file, request.function, &request.env).map_err(anyhow::Error::msg)?;
    let label = format!("{}#{}", file.display(), t.logical_id);
    let mut f = if t.cargo_lambda {
        from_path(&t.code_dir, None, None)?
    } else {
        let runtime = request.runtime.or(t.runtime.as_deref());
        let handler = request.handler.or(t.handler.as_deref());
        from_directory(&existing(&t.code_dir)?, runtime, handler)?
    };
    f.label = label;
    f.memory_size = t.memory_size;
    f.timeout = t.timeout;
    f.environment = t.environment;
    f.architecture = t.architecture;
    f.notes
        .extend(t.warnings.into_iter().map(|w| format!("warning: {w}")));
    Ok(f)
}

fn existing(path: &Path) -> Result<PathBuf> {
    path.canonicalize()
        .with_context(|| format!("{} does not exist", path.display()))
}

fn from_path(path: &Path, runtime: Option<&str>, handler: Option<&str>) -> Result<LocalFunction> {
    let label = path.display().to_string();
    let path = existing(path)?;
    let mut f = if path.is_dir() {
        let managed = runtime
            .map(Runtime::parse)
            .transpose()
            .map_err(anyhow::Error::msg)?
            .is_some_and(|r| r.is_managed());
        if path.join("Cargo.toml").is_file() && !managed {
            bootstrap_function(
                &build_package(&path)?,
                "a Cargo package, built for this host",
            )?
        } else {
            from_directory(&path, runtime, handler)?
        }
    } else if is_zip(&path) {
        let dir = unzip(&path)?;
        let mut f = from_directory(&dir, runtime, handler)?;
        f.notes.insert(
            0,
            format!("Unpacked {} into {}", path.display(), dir.display()),
        );
        f
    } else {
        if let Some(r) = runtime.filter(|r| !r.starts_with("provided")) {
            bail!("{} is a file, so it runs as a bootstrap; --runtime {r} needs the directory or zip that holds the handler's module", path.display());
        }
        bootstrap_function(&path, "an executable, run as bootstrap")?
    };
    f.label = label;
    Ok(f)
}

/// A directory holding `bootstrap` (linked to `executable`).
fn bootstrap_function(executable: &Path, what: &str) -> Result<LocalFunction> {
    let dir = std::env::temp_dir().join(format!("powertune-local-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let link = dir.join("bootstrap");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(executable, &link)
        .with_context(|| format!("cannot link {} as {}", executable.display(), link.display()))?;
    let mut f = provided(dir);
    f.notes.push(format!("Runtime provided.al2023: {what}"));
    Ok(f)
}

fn provided(code_dir: PathBuf) -> LocalFunction {
    LocalFunction {
        code_dir,
        runtime: Runtime::Provided("provided.al2023".into()),
        handler: "bootstrap".into(),
        memory_size: None,
        timeout: None,
        environment: BTreeMap::new(),
        architecture: None,
        label: String::new(),
        notes: Vec::new(),
    }
}

/// A directory of code: `runtime` and `handler` as given, or detected (a `bootstrap`; the
/// handler's module as a `.py` or `.js`/`.mjs`/`.cjs` file; Lambda's console defaults
/// `lambda_function.lambda_handler` and `index.handler`).
pub fn from_directory(
    dir: &Path,
    runtime: Option<&str>,
    handler: Option<&str>,
) -> Result<LocalFunction> {
    let runtime = runtime
        .map(Runtime::parse)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let (runtime, handler, how) = match (runtime, handler) {
        (Some(r @ Runtime::Provided(_)), _) => {
            if !dir.join("bootstrap").is_file() {
                bail!(
                    "--runtime {r} runs a bootstrap, and {} holds none",
                    dir.display()
                );
            }
            (r, "bootstrap".to_string(), None)
        }
        (Some(r), given) => {
            let language = language_of(&r);
            let handler = given
                .map(str::to_string)
                .unwrap_or_else(|| default_handler(language).into());
            if module_file(dir, language, &handler).is_none() {
                bail!(
                    "the handler {handler} needs {} in {}{}",
                    expected_files(language, &handler),
                    dir.display(),
                    if given.is_none() {
                        " (or give --handler MODULE.FUNCTION)"
                    } else {
                        ""
                    }
                );
            }
            (r, handler, None)
        }
        (None, _) if dir.join("bootstrap").is_file() => (
            Runtime::Provided("provided.al2023".into()),
            "bootstrap".to_string(),
            Some("Runtime provided.al2023: the directory holds a bootstrap".to_string()),
        ),
        (None, Some(handler)) => {
            let found = ["python", "nodejs"]
                .into_iter()
                .find_map(|l| module_file(dir, l, handler).map(|file| (l, file)));
            let Some((language, file)) = found else {
                bail!(
                    "cannot tell the runtime of {}: the handler {handler} needs {} or {}; give --runtime",
                    dir.display(),
                    expected_files("python", handler),
                    expected_files("nodejs", handler)
                );
            };
            let r = on_this_host(language).map_err(|e| anyhow::anyhow!("{e}"))?;
            let how = format!(
                "Detected {r}: {} holds the handler's module (--runtime chooses another)",
                file.display()
            );
            (r, handler.to_string(), Some(how))
        }
        (None, None) => {
            let found = ["python", "nodejs"].into_iter().find_map(|l| {
                let h = default_handler(l);
                module_file(dir, l, h).map(|file| (l, h, file))
            });
            let Some((language, handler, file)) = found else {
                let sources = source_files(dir);
                bail!(
                    "cannot tell what to run in {}: it holds no bootstrap, lambda_function.py or index.js/.mjs/.cjs{}; give --handler MODULE.FUNCTION",
                    dir.display(),
                    if sources.is_empty() { String::new() } else { format!(" (it holds {})", sources.join(", ")) }
                );
            };
            let r = on_this_host(language).map_err(|e| anyhow::anyhow!("{e}"))?;
            let how = format!(
                "Detected {r} with handler {handler} (Lambda's default): {} (--runtime and --handler choose others)",
                file.display()
            );
            (r, handler.to_string(), Some(how))
        }
    };
    let mut f = provided(dir.to_path_buf());
    f.runtime = runtime;
    f.handler = handler;
    f.notes.extend(how);
    Ok(f)
}

fn language_of(r: &Runtime) -> &'static str {
    match r {
        Runtime::Node { .. } => "nodejs",
        _ => "python",
    }
}

fn default_handler(language: &str) -> &'static str {
    match language {
        "nodejs" => "index.handler",
        _ => "lambda_function.lambda_handler",
    }
}

/// The module part of a handler and the files that can hold it. Python: `pkg.mod.fn` ->
/// `pkg/mod.py` or `pkg/mod/__init__.py`. Node.js: `dir/index.fn` -> `dir/index.js`, `.mjs` or
/// `.cjs` (the module name ends at the first dot of the last path segment).
fn candidates(language: &str, handler: &str) -> Vec<String> {
    match language {
        "nodejs" => {
            let (dir, last) = handler
                .rsplit_once('/')
                .map_or(("", handler), |(d, l)| (d, l));
            let module = last.split('.').next().unwrap_or(last);
            let stem = if dir.is_empty() {
                module.to_string()
            } else {
                format!("{dir}/{module}")
            };
            ["js", "mjs", "cjs"]
                .iter()
                .map(|ext| format!("{stem}.{ext}"))
                .collect()
        }
        _ => match handler.rsplit_once('.') {
            Some((module, _)) => {
                let path = module.replace('.', "/");
                vec![format!("{path}.py"), format!("{path}/__init__.py")]
            }
            None => vec![],
        },
    }
}

fn module_file(dir: &Path, language: &str, handler: &str) -> Option<PathBuf> {
    candidates(language, handler)
        .into_iter()
        .map(|c| dir.join(c))
        .find(|p| p.is_file())
}

fn expected_files(language: &str, handler: &str) -> String {
    let c = candidates(language, handler);
    if c.is_empty() {
        format!("a MODULE.FUNCTION handler, not {handler}")
    } else {
        c.join(" or ")
    }
}

/// Up to five Python and JavaScript files at the top of `dir`, for an error message.
fn source_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| {
            [".py", ".js", ".mjs", ".cjs"]
                .iter()
                .any(|ext| n.ends_with(ext))
        })
        .collect();
    names.sort();
    names.truncate(5);
    names
}

fn is_zip(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == *b"PK\x03\x04"
}

fn unzip(path: &Path) -> Result<PathBuf> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut archive = zip::ZipArchive::new(file)
        .with_context(|| format!("{} is not a readable zip", path.display()))?;
    let dir = std::env::temp_dir().join(format!("powertune-zip-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    archive
        .extract(&dir)
        .with_context(|| format!("cannot unpack {}", path.display()))?;
    Ok(dir)
}

fn build_package(dir: &Path) -> Result<PathBuf> {
    eprintln!("Building {} (release) for this host...", dir.display());
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--message-format=json-render-diagnostics",
            "--manifest-path",
        ])
        .arg(dir.join("Cargo.toml"))
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("cannot run cargo")?;
    if !out.status.success() {
        bail!("cargo build of {} failed", dir.display());
    }
    let executables: Vec<PathBuf> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| {
            m["reason"] == "compiler-artifact"
                && m["manifest_path"].as_str().map(Path::new) == Some(&dir.join("Cargo.toml"))
        })
        .filter_map(|m| m["executable"].as_str().map(PathBuf::from))
        .collect();
    match executables.as_slice() {
        [one] => Ok(one.clone()),
        [] => bail!("{} builds no binary", dir.display()),
        many => bail!(
            "{} builds {} binaries; give the one to tune as a file: {:?}",
            dir.display(),
            many.len(),
            many
        ),
    }
}

/// `--env NAME=VALUE` values.
pub fn parse_env(pairs: &[String]) -> Result<BTreeMap<String, String>> {
    pairs
        .iter()
        .map(|p| match p.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => bail!("--env {p:?} must be NAME=VALUE"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(name: &str, files: &[&str]) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("powertune-detect-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for f in files {
            let p = dir.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn handlers_name_their_module_files_as_each_runtime_loads_them() {
        assert_eq!(
            candidates("python", "app.handler"),
            ["app.py", "app/__init__.py"]
        );
        assert_eq!(
            candidates("python", "pkg.mod.fn"),
            ["pkg/mod.py", "pkg/mod/__init__.py"]
        );
        assert_eq!(
            candidates("nodejs", "src/index.handler"),
            ["src/index.js", "src/index.mjs", "src/index.cjs"]
        );
        assert_eq!(
            candidates("nodejs", "index.nested.fn"),
            ["index.js", "index.mjs", "index.cjs"]
        );
        assert!(candidates("python", "nodot").is_empty());
    }

    #[test]
    fn the_runtime_is_detected_from_the_code_and_said() {
        let py = dir_with("py", &["lambda_function.py"]);
        let f = from_directory(&py, None, None).unwrap();
        assert!(matches!(f.runtime, Runtime::Python { .. }), "{f:?}");
        assert_eq!(f.handler, "lambda_function.lambda_handler");
        assert!(f.notes[0].starts_with("Detected python3."), "{:?}", f.notes);

        let node = dir_with("node", &["src/app.mjs", "package.json"]);
        let f = from_directory(&node, None, Some("src/app.handler")).unwrap();
        assert!(matches!(f.runtime, Runtime::Node { .. }), "{f:?}");
        assert!(f.notes[0].contains("src/app.mjs"), "{:?}", f.notes);

        let both = dir_with("both", &["app.py", "bootstrap"]);
        let f = from_directory(&both, None, None).unwrap();
        assert_eq!(f.runtime, Runtime::Provided("provided.al2023".into()));

        let explicit = from_directory(&both, Some("python3.12"), Some("app.handler")).unwrap();
        assert_eq!(explicit.runtime, Runtime::Python { minor: 12 });
        assert!(explicit.notes.is_empty());
    }

    #[test]
    fn code_that_cannot_be_run_is_a_clear_error() {
        let odd = dir_with("odd", &["main.py", "util.js"]);
        let e = from_directory(&odd, None, None).unwrap_err().to_string();
        assert!(
            e.contains("--handler") && e.contains("main.py, util.js"),
            "{e}"
        );
        let e = from_directory(&odd, None, Some("app.handler"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("app.py") && e.contains("app.mjs") && e.contains("--runtime"),
            "{e}"
        );
        let e = from_directory(&odd, Some("python3.12"), None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("lambda_function.py") && e.contains("--handler"),
            "{e}"
        );
        let e = from_directory(&odd, Some("provided.al2023"), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("holds none"), "{e}");
        let e = from_directory(&odd, Some("ruby3.3"), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("ruby3.3"), "{e}");
    }

    #[test]
    fn env_flags_are_name_value_pairs() {
        let env = parse_env(&["A=1".into(), "B=x=y".into()]).unwrap();
        assert_eq!(env["B"], "x=y");
        assert!(parse_env(&["novalue".into()])
            .unwrap_err()
            .to_string()
            .contains("NAME=VALUE"));
    }
}
