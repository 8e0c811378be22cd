//! Tests of `runtimes`.

use super::*;

#[test]
fn runtimes_parse_as_lambda_names_them() {
    assert_eq!(
        Runtime::parse("python3.12"),
        Ok(Runtime::Python { minor: 12 })
    );
    assert_eq!(
        Runtime::parse("nodejs20.x"),
        Ok(Runtime::Node { major: 20 })
    );
    assert_eq!(
        Runtime::parse("provided.al2023"),
        Ok(Runtime::Provided("provided.al2023".into()))
    );
    for name in ["provided.al2023", "python3.9", "nodejs22.x"] {
        assert_eq!(Runtime::parse(name).unwrap().to_string(), name);
    }
    for bad in [
        "java21",
        "python2.7",
        "nodejs20",
        "python3.x",
        "dotnet8",
        "",
    ] {
        let e = Runtime::parse(bad).unwrap_err();
        assert!(
            e.contains(&format!("{bad:?}")) && e.contains("python3.x"),
            "{e}"
        );
    }
}

#[test]
fn execution_env_is_not_defined_for_os_only_runtimes() {
    assert_eq!(
        Runtime::Python { minor: 12 }.execution_env().as_deref(),
        Some("AWS_Lambda_python3.12")
    );
    assert_eq!(
        Runtime::Provided("provided.al2023".into()).execution_env(),
        None
    );
}

#[test]
fn a_missing_interpreter_names_what_to_install() {
    let empty = std::env::temp_dir().join("powertune-no-interpreters-here");
    let e = find_interpreter(&Runtime::Python { minor: 12 }, empty.as_os_str()).unwrap_err();
    assert!(
        e.0.contains("python3.12 nor python3") && e.0.contains("apt-get install python3"),
        "{e}"
    );
    let e = find_interpreter(&Runtime::Node { major: 20 }, empty.as_os_str()).unwrap_err();
    assert!(e.0.contains("node is not on the PATH"), "{e}");
    assert_eq!(
        find_interpreter(&Runtime::Provided("provided".into()), empty.as_os_str()),
        Ok(None)
    );
}

#[test]
fn a_version_shim_that_does_not_run_falls_through_to_the_generic_command() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("powertune-shims-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = |name: &str, body: &str| {
        let p = dir.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    // As pyenv's shim for an installed but inactive version does.
    script(
        "python3.12",
        "echo 'pyenv: python3.12: command not found' >&2; exit 127",
    );
    script("python3", "echo 3.11");
    let found = find_interpreter(&Runtime::Python { minor: 12 }, dir.as_os_str())
        .unwrap()
        .unwrap();
    assert_eq!(found.path, dir.join("python3"));
    assert_eq!(found.version, "3.11");

    script("python3", "exit 1");
    let e = find_interpreter(&Runtime::Python { minor: 12 }, dir.as_os_str()).unwrap_err();
    assert!(
        e.0.contains("command not found") && e.0.contains("python3 did not report"),
        "{e}"
    );
}

#[test]
fn a_different_host_version_is_a_warning_that_names_both() {
    let python = Interpreter {
        path: "/usr/bin/python3".into(),
        version: "3.11".into(),
    };
    let w = version_mismatch(&Runtime::Python { minor: 12 }, &python).unwrap();
    assert!(w.contains("python3.12") && w.contains("Python 3.11"), "{w}");
    assert_eq!(
        version_mismatch(&Runtime::Python { minor: 11 }, &python),
        None
    );
    let node = Interpreter {
        path: "/usr/bin/node".into(),
        version: "20".into(),
    };
    assert_eq!(version_mismatch(&Runtime::Node { major: 20 }, &node), None);
    assert!(version_mismatch(&Runtime::Node { major: 22 }, &node).is_some());
}

#[test]
fn launches_follow_lambdas_bootstraps() {
    let node = Prepared {
        runtime: Runtime::Node { major: 20 },
        interpreter: Some(Interpreter {
            path: "/usr/bin/node".into(),
            version: "20".into(),
        }),
        runtime_dir: Some("/cache/node".into()),
        mismatch: None,
    };
    let l = node.launch(Path::new("/code"), "index.handler", 1024);
    assert_eq!(l.program, PathBuf::from("/usr/bin/node"));
    let args: Vec<String> = l
        .args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    assert!(
        args.contains(&"--max-semi-space-size=51".to_string()),
        "{args:?}"
    );
    assert!(
        args.contains(&"--max-old-space-size=922".to_string()),
        "{args:?}"
    );
    assert_eq!(args.last().map(String::as_str), Some("index.handler"));
    assert!(!l.address_space_limit);
    assert!(l
        .env
        .contains(&("NODE_PATH".into(), "/cache/node/node_modules".into())));
    assert!(l
        .env
        .contains(&("AWS_EXECUTION_ENV".into(), "AWS_Lambda_nodejs20.x".into())));

    let provided = Prepared {
        runtime: Runtime::Provided("provided.al2023".into()),
        interpreter: None,
        runtime_dir: None,
        mismatch: None,
    };
    let l = provided.launch(Path::new("/code"), "bootstrap", 128);
    assert_eq!(l.program, PathBuf::from("/code/bootstrap"));
    assert!(l
        .env
        .contains(&("LAMBDA_RUNTIME_DIR".into(), "/code".into())));
    assert!(!l.env.iter().any(|(k, _)| k == "AWS_EXECUTION_ENV"));
}
