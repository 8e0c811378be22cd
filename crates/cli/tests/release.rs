//! The release's version check, run on the tree as the release workflow runs it before building
//! (issue 27: `sam publish` answers an existing version with a warning and exit 0, so a tag
//! whose version the tree does not state would republish the old code).

use std::path::PathBuf;
use std::process::{Command, Output};

fn check_version(tag: &str) -> Output {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    Command::new("bash")
        .args(["scripts/release.sh", "check-version", tag])
        .current_dir(root)
        .output()
        .unwrap_or_else(|e| panic!("cannot run scripts/release.sh: {e}"))
}

#[test]
fn the_tag_must_name_the_version_every_file_states() {
    let version = env!("CARGO_PKG_VERSION");
    let ok = check_version(&format!("v{version}"));
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains(version));

    let next = check_version("v999.0.0");
    assert_eq!(next.status.code(), Some(1));
    let said = String::from_utf8_lossy(&next.stderr);
    assert!(
        said.contains("the tag is v999.0.0") && said.contains(&format!("v{version}")),
        "{said}"
    );
}
