//! Function code for CreateFunction: a zip (holding `bootstrap`, or the handler's modules), or
//! (an emulator extension) a local directory, named with `"S3Bucket": "__local__"` and
//! `"S3Key": "/path/to/dir"`.

use crate::error::ApiError;
use crate::languages::Runtime;
use crate::requests::CreateFunction;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The `S3Bucket` that marks a local directory as the code.
pub const LOCAL_BUCKET: &str = "__local__";

/// The `Runtime` of a CreateFunction request (`provided.al2023` when absent).
pub fn runtime_of(body: &CreateFunction) -> Result<Runtime, ApiError> {
    match &body.runtime {
        None => Ok(Runtime::Provided("provided.al2023".into())),
        Some(name) => Runtime::parse(name).map_err(ApiError::invalid),
    }
}

/// Unpacks the `Code` of a CreateFunction request for `runtime`; returns (directory,
/// CodeSha256, CodeSize).
pub fn unpack(
    body: &CreateFunction,
    runtime: &Runtime,
    root: &Path,
) -> Result<(PathBuf, String, u64), ApiError> {
    let code = &body.code;
    if let Some(zip) = &code.zip_file {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(zip)
            .map_err(|e| ApiError::invalid(format!("Code.ZipFile is not base64: {e}")))?;
        let sha = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&bytes));
        let name = body
            .function_name
            .as_deref()
            .unwrap_or("function")
            .replace([':', '/'], "_");
        let dir = root.join(format!("{name}-{}", &hex(&Sha256::digest(&bytes))[..16]));
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).map_err(|e| {
            ApiError::invalid(format!("Could not unzip the deployment package: {e}"))
        })?;
        std::fs::create_dir_all(&dir)
            .map_err(|e| ApiError::invalid(format!("Could not unpack the code: {e}")))?;
        archive.extract(&dir).map_err(|e| {
            ApiError::invalid(format!("Could not unzip the deployment package: {e}"))
        })?;
        if !runtime.is_managed() {
            make_executable(&dir.join("bootstrap"))?;
        }
        return Ok((dir, sha, bytes.len() as u64));
    }
    if code.s3_bucket.as_deref() == Some(LOCAL_BUCKET) {
        let dir = PathBuf::from(code.s3_key.as_deref().unwrap_or_default());
        if runtime.is_managed() {
            return local_modules(dir);
        }
        let bootstrap = dir.join("bootstrap");
        let meta = std::fs::metadata(&bootstrap).map_err(|e| {
            ApiError::invalid(format!("{} cannot be read: {e}. The local code directory must hold an executable named bootstrap.", bootstrap.display()))
        })?;
        // The code is not copied, so it is identified by where it is and when it changed rather
        // than by hashing a possibly large debug binary.
        let identity = identity(&bootstrap, &meta);
        let sha =
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(identity.as_bytes()));
        return Ok((dir, sha, meta.len()));
    }
    Err(ApiError::invalid(format!(
        "The emulator runs code from Code.ZipFile, or from a local directory given as Code.S3Bucket \"{LOCAL_BUCKET}\" and Code.S3Key = its path."
    )))
}

/// A local directory of modules, identified by the path, size and modification time of every
/// file in it (its contents are not copied or hashed).
fn local_modules(dir: PathBuf) -> Result<(PathBuf, String, u64), ApiError> {
    if !dir.is_dir() {
        return Err(ApiError::invalid(format!(
            "{} is not a directory: the local code of a managed runtime is the directory holding its handler's module.",
            dir.display()
        )));
    }
    let mut entries = Vec::new();
    let mut pending = vec![dir.clone()];
    let mut size = 0u64;
    while let Some(d) = pending.pop() {
        let list = std::fs::read_dir(&d)
            .map_err(|e| ApiError::invalid(format!("{} cannot be read: {e}", d.display())))?;
        for entry in list.flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                pending.push(path);
                continue;
            }
            size += meta.len();
            entries.push(identity(&path, &meta));
        }
    }
    entries.sort();
    let sha = base64::engine::general_purpose::STANDARD
        .encode(Sha256::digest(entries.join("\n").as_bytes()));
    Ok((dir, sha, size))
}

/// A file as its path, size and modification time.
fn identity(path: &Path, meta: &std::fs::Metadata) -> String {
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{}:{}:{modified}", path.display(), meta.len())
}

fn make_executable(path: &Path) -> Result<(), ApiError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path)
        .map_err(|_| ApiError::invalid("The deployment package has no bootstrap at its root: a provided.al2023 function needs one."))?;
    let mut perms = meta.permissions();
    perms.set_mode(perms.mode() | 0o755);
    std::fs::set_permissions(path, perms)
        .map_err(|e| ApiError::invalid(format!("Could not make bootstrap executable: {e}")))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
