//! Lambda's runtimes in the emulator: which ones run here (`provided*`, `python3.x`,
//! `nodejs<N>.x`), the interpreter and Lambda's own runtime interface client each managed
//! runtime needs (prepared once into a cache), and the command line and environment that start
//! an execution environment for it.

use crate::sync::lock;
use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

/// Lambda's runtime interface client for Python, from PyPI (manylinux wheels, nothing to build).
pub const PYTHON_RIC: &str = "awslambdaric==4.2.2";
/// Lambda's runtime interface client for Node.js, from npm; 3.3.0 is the last release that
/// supports Node.js 18 and 20 (4.x needs 22 or later). Installed without its install scripts:
/// [`NODE_ENTRY`] stands in for the native addon they would compile.
pub const NODE_RIC: &str = "aws-lambda-ric@3.3.0";
/// Our entry into [`NODE_RIC`]: its Runtime API client in JavaScript (the file says why).
const NODE_ENTRY: &str = include_str!("languages/node-entry.mjs");
/// The entry's file name in the prepared directory.
const NODE_ENTRY_FILE: &str = "powertune-entry.mjs";

/// A function's `Runtime`, as far as the emulator can run it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Runtime {
    /// `provided`, `provided.al2`, `provided.al2023`: the code's own `bootstrap`.
    Provided(String),
    /// `python3.<minor>`.
    Python {
        /// The `x` of `python3.x`.
        minor: u32,
    },
    /// `nodejs<major>.x`.
    Node {
        /// The `N` of `nodejsN.x`.
        major: u32,
    },
}

impl Runtime {
    /// Parses a `Runtime` value; the error says which runtimes the emulator runs.
    pub fn parse(name: &str) -> Result<Runtime, String> {
        if name == "provided" || name.starts_with("provided.") {
            return Ok(Runtime::Provided(name.to_string()));
        }
        if let Some(minor) = name
            .strip_prefix("python3.")
            .and_then(|m| m.parse::<u32>().ok())
        {
            return Ok(Runtime::Python { minor });
        }
        if let Some(major) = name
            .strip_prefix("nodejs")
            .and_then(|m| m.strip_suffix(".x"))
            .and_then(|m| m.parse::<u32>().ok())
        {
            return Ok(Runtime::Node { major });
        }
        Err(format!(
            "The runtime {name:?} does not run in the emulator: it runs provided.al2023, provided.al2 and provided (a bootstrap), python3.x and nodejsN.x functions."
        ))
    }

    /// Whether the function names a handler that the runtime loads (not a `bootstrap`).
    pub fn is_managed(&self) -> bool {
        !matches!(self, Runtime::Provided(_))
    }

    /// Lambda's `AWS_EXECUTION_ENV`; not defined for the OS-only runtimes.
    fn execution_env(&self) -> Option<String> {
        self.is_managed().then(|| format!("AWS_Lambda_{self}"))
    }
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Runtime::Provided(name) => f.write_str(name),
            Runtime::Python { minor } => write!(f, "python3.{minor}"),
            Runtime::Node { major } => write!(f, "nodejs{major}.x"),
        }
    }
}

/// An interpreter found on this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interpreter {
    /// The executable.
    pub path: PathBuf,
    /// `3.11` for Python, `20` for Node.js.
    pub version: String,
}

/// Why a runtime cannot run here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeError(pub String);

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RuntimeError {}

/// Finds the interpreter for `runtime` on `search_path` (a `PATH` value): the exact version
/// first (`python3.12`), then the generic command (`python3`, `node`). `POWERTUNE_PYTHON` or
/// `POWERTUNE_NODE` names one explicitly.
pub fn find_interpreter(
    runtime: &Runtime,
    search_path: &std::ffi::OsStr,
) -> Result<Option<Interpreter>, RuntimeError> {
    let (explicit, candidates, version_args): (_, Vec<String>, &[&str]) = match runtime {
        Runtime::Provided(_) => return Ok(None),
        Runtime::Python { minor } => (
            std::env::var_os("POWERTUNE_PYTHON"),
            vec![format!("python3.{minor}"), "python3".into()],
            &["-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        ),
        Runtime::Node { .. } => (
            std::env::var_os("POWERTUNE_NODE"),
            vec!["node".into()],
            &["--version"],
        ),
    };
    let found: Vec<PathBuf> = match explicit {
        Some(path) => vec![PathBuf::from(path)],
        None => candidates
            .iter()
            .filter_map(|c| on_path(c, search_path))
            .collect(),
    };
    if found.is_empty() {
        return Err(RuntimeError(match runtime {
            Runtime::Python { minor } => format!(
                "{runtime} needs a Python 3 interpreter, and neither python3.{minor} nor python3 is on the PATH. Install Python 3 (Debian/Ubuntu: apt-get install python3 python3-pip), or name one with POWERTUNE_PYTHON."
            ),
            _ => format!(
                "{runtime} needs Node.js, and node is not on the PATH. Install Node.js and npm (Debian/Ubuntu: apt-get install nodejs npm), or name one with POWERTUNE_NODE."
            ),
        }));
    }
    // The first that runs: a version manager's shim for a version it does not activate (pyenv's
    // python3.12 with 3.11 selected) is on the PATH but fails.
    let mut failures = Vec::new();
    for path in found {
        match version_of(runtime, &path, version_args) {
            Ok(version) => return Ok(Some(Interpreter { path, version })),
            Err(e) => failures.push(e),
        }
    }
    Err(RuntimeError(failures.join("; ")))
}

fn version_of(runtime: &Runtime, path: &Path, version_args: &[&str]) -> Result<String, String> {
    let out = Command::new(path)
        .args(version_args)
        .output()
        .map_err(|e| format!("Could not run {}: {e}", path.display()))?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let version = match runtime {
        Runtime::Node { .. } => text
            .trim_start_matches('v')
            .split('.')
            .next()
            .unwrap_or_default()
            .to_string(),
        _ => text,
    };
    if !out.status.success() || version.is_empty() {
        return Err(format!(
            "{} did not report its version: {}",
            path.display(),
            tail(&String::from_utf8_lossy(&out.stderr))
        ));
    }
    Ok(version)
}

fn on_path(command: &str, search_path: &std::ffi::OsStr) -> Option<PathBuf> {
    std::env::split_paths(search_path)
        .map(|dir| dir.join(command))
        .find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The managed runtime this host runs for `language` (`python` or `nodejs`): `python3.11` when
/// its `python3` is 3.11, `nodejs20.x` when its `node` is 20.
pub fn on_this_host(language: &str) -> Result<Runtime, RuntimeError> {
    let search_path = std::env::var_os("PATH").unwrap_or_default();
    // A version no interpreter has, so the generic command is the one found.
    let any = match language {
        "python" => Runtime::Python { minor: u32::MAX },
        "nodejs" => Runtime::Node { major: u32::MAX },
        other => return Err(RuntimeError(format!("no managed runtime for {other}"))),
    };
    let interpreter = find_interpreter(&any, &search_path)?
        .ok_or_else(|| RuntimeError(format!("no interpreter for {language}")))?;
    let parsed = match any {
        Runtime::Python { .. } => interpreter
            .version
            .strip_prefix("3.")
            .and_then(|m| m.parse().ok())
            .map(|minor| Runtime::Python { minor }),
        _ => interpreter
            .version
            .parse()
            .ok()
            .map(|major| Runtime::Node { major }),
    };
    parsed.ok_or_else(|| {
        RuntimeError(format!(
            "{} reports version {:?}, which is not a Lambda runtime",
            interpreter.path.display(),
            interpreter.version
        ))
    })
}

/// The warning to give once when the host's interpreter is not the version the function
/// declares (it still runs).
pub fn version_mismatch(runtime: &Runtime, interpreter: &Interpreter) -> Option<String> {
    let declared = match runtime {
        Runtime::Provided(_) => return None,
        Runtime::Python { minor } => format!("3.{minor}"),
        Runtime::Node { major } => major.to_string(),
    };
    (declared != interpreter.version).then(|| {
        let language = match runtime {
            Runtime::Node { .. } => "Node.js",
            _ => "Python",
        };
        format!(
            "the function declares {runtime}; this machine runs it with {language} {} ({}), so durations may differ from Lambda's {runtime}",
            interpreter.version,
            interpreter.path.display()
        )
    })
}

/// A managed runtime ready to start: its interpreter and its runtime interface client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// The runtime.
    pub runtime: Runtime,
    /// The interpreter; `None` for `provided`.
    pub interpreter: Option<Interpreter>,
    /// `LAMBDA_RUNTIME_DIR`: where the runtime interface client is; the code directory for
    /// `provided`.
    pub runtime_dir: Option<PathBuf>,
    /// Set when the host's interpreter differs from the declared version.
    pub mismatch: Option<String>,
}

/// How to start one execution environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// What to execute.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// Variables the runtime sets, beside those every function gets.
    pub env: Vec<(String, String)>,
    /// Whether `RLIMIT_AS` may stand in for the memory limit where no cgroup can be made. V8
    /// reserves gigabytes of address space it never uses, so Node.js cannot start under it.
    pub address_space_limit: bool,
}

impl Prepared {
    /// The command line and variables for an environment of `memory_mb` running `handler`
    /// from `code_dir`.
    pub fn launch(&self, code_dir: &Path, handler: &str, memory_mb: u32) -> Launch {
        let runtime_dir = self
            .runtime_dir
            .clone()
            .unwrap_or_else(|| code_dir.to_path_buf());
        let mut env = vec![(
            "LAMBDA_RUNTIME_DIR".to_string(),
            runtime_dir.display().to_string(),
        )];
        if let Some(exec) = self.runtime.execution_env() {
            env.push(("AWS_EXECUTION_ENV".into(), exec));
        }
        let interpreter = self
            .interpreter
            .as_ref()
            .map(|i| i.path.clone())
            .unwrap_or_default();
        match &self.runtime {
            Runtime::Provided(_) => Launch {
                program: code_dir.join("bootstrap"),
                args: vec![],
                env,
                address_space_limit: true,
            },
            Runtime::Python { .. } => {
                // Lambda: PYTHONPATH is the runtime directory; the code directory comes first on
                // sys.path (here as the working directory of `-m`). Lambda's code directory is
                // read-only, so no bytecode is written into the user's directory here either.
                env.push(("PYTHONPATH".into(), runtime_dir.display().to_string()));
                env.push(("PYTHONDONTWRITEBYTECODE".into(), "1".into()));
                env.push(("PYTHONUNBUFFERED".into(), "1".into()));
                Launch {
                    program: interpreter,
                    args: vec!["-m".into(), "awslambdaric".into(), handler.into()],
                    env,
                    address_space_limit: true,
                }
            }
            Runtime::Node { .. } => {
                // Lambda's Node.js bootstrap: a tenth of the memory is new space (half of it
                // per semi-space), the rest old space.
                let new_space = memory_mb / 10;
                let modules = runtime_dir.join("node_modules");
                env.push(("NODE_PATH".into(), modules.display().to_string()));
                Launch {
                    program: interpreter,
                    args: vec![
                        "--expose-gc".into(),
                        "--max-http-header-size".into(),
                        "81920".into(),
                        format!("--max-semi-space-size={}", new_space / 2).into(),
                        format!("--max-old-space-size={}", memory_mb - new_space).into(),
                        runtime_dir.join(NODE_ENTRY_FILE).into(),
                        handler.into(),
                    ],
                    env,
                    address_space_limit: false,
                }
            }
        }
    }
}

/// Prepared runtimes, cached on disk under `root` (one directory per runtime interface client
/// and interpreter version) and in memory for this process.
#[derive(Debug)]
pub struct Runtimes {
    root: PathBuf,
    search_path: OsString,
    prepared: Mutex<HashMap<Runtime, Arc<Prepared>>>,
}

/// The default cache: `$POWERTUNE_RUNTIME_CACHE`, else `$XDG_CACHE_HOME/powertune/runtimes`,
/// else `~/.cache/powertune/runtimes`.
pub fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("POWERTUNE_RUNTIME_CACHE") {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("powertune").join("runtimes")
}

impl Runtimes {
    /// Runtimes prepared under `root`, finding interpreters on this process's `PATH`.
    pub fn new(root: PathBuf) -> Runtimes {
        Runtimes {
            root,
            search_path: std::env::var_os("PATH").unwrap_or_default(),
            prepared: Mutex::new(HashMap::new()),
        }
    }

    /// The runtime if this process prepared it already.
    pub fn cached(&self, runtime: &Runtime) -> Option<Arc<Prepared>> {
        lock(&self.prepared).get(runtime).cloned()
    }

    /// The runtime, prepared: found in memory, else on disk, else installed now (blocking: a
    /// few seconds the first time). `notice` hears what is about to take long, and the version
    /// warning.
    pub fn prepare(
        &self,
        runtime: &Runtime,
        notice: &dyn Fn(&str),
    ) -> Result<Arc<Prepared>, RuntimeError> {
        if let Some(p) = self.cached(runtime) {
            return Ok(p);
        }
        let interpreter = find_interpreter(runtime, &self.search_path)?;
        let runtime_dir = match (runtime, &interpreter) {
            (Runtime::Python { .. }, Some(i)) => Some(self.install_python_ric(i, notice)?),
            (Runtime::Node { .. }, Some(i)) => Some(self.install_node_ric(i, notice)?),
            _ => None,
        };
        let mismatch = interpreter
            .as_ref()
            .and_then(|i| version_mismatch(runtime, i));
        if let Some(warning) = &mismatch {
            notice(&format!("warning: {warning}"));
        }
        let prepared = Arc::new(Prepared {
            runtime: runtime.clone(),
            interpreter,
            runtime_dir,
            mismatch,
        });
        lock(&self.prepared).insert(runtime.clone(), prepared.clone());
        Ok(prepared)
    }

    fn install_python_ric(
        &self,
        python: &Interpreter,
        notice: &dyn Fn(&str),
    ) -> Result<PathBuf, RuntimeError> {
        let name = format!("python{}-{}", python.version, PYTHON_RIC.replace("==", "-"));
        self.install(
            &name,
            notice,
            &format!("Python {} ({PYTHON_RIC} from PyPI)", python.version),
            |dir| {
                let out = Command::new(&python.path)
                    .args([
                        "-m",
                        "pip",
                        "install",
                        "--quiet",
                        "--disable-pip-version-check",
                        "--no-input",
                        "--target",
                    ])
                    .arg(dir)
                    .arg(PYTHON_RIC)
                    .env("PIP_ROOT_USER_ACTION", "ignore")
                    .output()
                    .map_err(|e| {
                        RuntimeError(format!(
                            "Could not run {} -m pip: {e}",
                            python.path.display()
                        ))
                    })?;
                if out.status.success() {
                    return Ok(());
                }
                let stderr = String::from_utf8_lossy(&out.stderr);
                let hint = if stderr.contains("No module named pip") {
                    " Install pip for it (Debian/Ubuntu: apt-get install python3-pip)."
                } else {
                    ""
                };
                Err(RuntimeError(format!(
                    "pip could not install {PYTHON_RIC} for Python {} ({}):{hint} {}",
                    python.version,
                    python.path.display(),
                    tail(&stderr)
                )))
            },
        )
    }

    fn install_node_ric(
        &self,
        node: &Interpreter,
        notice: &dyn Fn(&str),
    ) -> Result<PathBuf, RuntimeError> {
        // The entry is part of what is prepared: a changed entry is a new directory.
        let entry_id = hex8(NODE_ENTRY.as_bytes());
        let name = format!(
            "nodejs{}-{}-{entry_id}",
            node.version,
            NODE_RIC.replace('@', "-")
        );
        if on_path("npm", &self.search_path).is_none() {
            return Err(RuntimeError(format!(
                "Node.js functions run on Lambda's runtime interface client ({NODE_RIC}), installed once with npm, and npm is not on the PATH. Debian/Ubuntu: apt-get install npm."
            )));
        }
        self.install(
            &name,
            notice,
            &format!("Node.js {} ({NODE_RIC} from npm)", node.version),
            |dir| {
                let out = Command::new("npm")
                    .args([
                        "install",
                        "--ignore-scripts",
                        "--no-audit",
                        "--no-fund",
                        "--no-save",
                        "--loglevel=error",
                        "--prefix",
                    ])
                    .arg(dir)
                    .arg(NODE_RIC)
                    .env("PATH", &self.search_path)
                    .output()
                    .map_err(|e| RuntimeError(format!("Could not run npm: {e}")))?;
                let dist = dir.join("node_modules/aws-lambda-ric/dist");
                if !out.status.success() || !dist.join("index.mjs").is_file() {
                    return Err(RuntimeError(format!(
                        "npm could not install {NODE_RIC} for Node.js {}: {}",
                        node.version,
                        tail(&String::from_utf8_lossy(&out.stderr))
                    )));
                }
                let io = |e: std::io::Error| {
                    RuntimeError(format!("Could not write into {}: {e}", dir.display()))
                };
                // The client resolves its addon's path before loading it; the entry answers the load.
                std::fs::write(dist.join("rapid-client.node"), b"").map_err(io)?;
                std::fs::write(dir.join(NODE_ENTRY_FILE), NODE_ENTRY).map_err(io)?;
                Ok(())
            },
        )
    }

    /// Installs into `root/name` once, across threads and processes: under an exclusive lock
    /// on `root/name.lock`, into a temporary directory renamed into place when complete.
    fn install(
        &self,
        name: &str,
        notice: &dyn Fn(&str),
        what: &str,
        fill: impl FnOnce(&Path) -> Result<(), RuntimeError>,
    ) -> Result<PathBuf, RuntimeError> {
        let dir = self.root.join(name);
        if dir.join(COMPLETE).exists() {
            return Ok(dir);
        }
        let io = |e: std::io::Error| {
            RuntimeError(format!(
                "Could not prepare the runtime cache {}: {e}",
                self.root.display()
            ))
        };
        std::fs::create_dir_all(&self.root).map_err(io)?;
        let lock = std::fs::File::create(self.root.join(format!("{name}.lock"))).map_err(io)?;
        let _held = FileLock::exclusive(&lock).map_err(io)?;
        if dir.join(COMPLETE).exists() {
            return Ok(dir);
        }
        notice(&format!(
            "Preparing the runtime for {what}, once, into {}",
            dir.display()
        ));
        let started = std::time::Instant::now();
        let staging = self
            .root
            .join(format!(".{name}.{}.partial", std::process::id()));
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir_all(&staging).map_err(io)?;
        if let Err(e) = fill(&staging) {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
        std::fs::write(staging.join(COMPLETE), what).map_err(io)?;
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::rename(&staging, &dir).map_err(io)?;
        notice(&format!(
            "Prepared in {:.1} s",
            started.elapsed().as_secs_f64()
        ));
        Ok(dir)
    }
}

/// The first 8 hex digits of a hash of `bytes` (FNV-1a: stable across builds and hosts).
fn hex8(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{:08x}", hash >> 32)
}

/// The marker of a complete installation.
const COMPLETE: &str = ".powertune-complete";

/// The last lines of a tool's error output, for a message.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(8)..].join(" | ")
}

/// `flock(LOCK_EX)`, released on drop.
struct FileLock<'a>(&'a std::fs::File);

impl<'a> FileLock<'a> {
    fn exclusive(file: &'a std::fs::File) -> std::io::Result<FileLock<'a>> {
        use std::os::fd::AsRawFd;
        // SAFETY: the descriptor is `file`'s, open for at least as long as the borrow the lock
        // holds; flock(2) reads no memory of ours.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(FileLock(file))
    }
}

impl Drop for FileLock<'_> {
    fn drop(&mut self) {
        use std::os::fd::AsRawFd;
        // SAFETY: the file is borrowed for the lock's life, so its descriptor is still open.
        unsafe {
            libc::flock(self.0.as_raw_fd(), libc::LOCK_UN);
        }
    }
}

#[cfg(test)]
mod tests;
