//! Records the git commit of the code being built (the code under test:
//! the Raft and everything around it) as `FAULTLINE_GIT_COMMIT`, so suite
//! summaries can say which build produced them and `faultline merge` can
//! refuse to mix builds. A tree with uncommitted changes to tracked files
//! gets `-dirty`; no git (a source tarball) leaves it unset, and setting
//! `FAULTLINE_GIT_COMMIT` in the build's environment overrides it.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
}

fn main() {
    println!("cargo:rerun-if-env-changed=FAULTLINE_GIT_COMMIT");
    // Rerun when HEAD moves or a tracked source changes (for `-dirty`).
    for path in [
        "src",
        "raft",
        "sim",
        "nemesis",
        "workloads",
        "checker",
        "reports",
        "Cargo.toml",
        "Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={path}");
    }
    for name in ["HEAD", "packed-refs"] {
        if let Some(path) = git(&["rev-parse", "--git-path", name]) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    if let Some(reference) = git(&["symbolic-ref", "-q", "HEAD"]) {
        if let Some(path) = git(&["rev-parse", "--git-path", &reference]) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    if std::env::var_os("FAULTLINE_GIT_COMMIT").is_some() {
        return;
    }
    if let Some(commit) = git(&["rev-parse", "HEAD"]) {
        let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some();
        let suffix = if dirty { "-dirty" } else { "" };
        println!("cargo:rustc-env=FAULTLINE_GIT_COMMIT={commit}{suffix}");
    }
}
