//! Helpers the integration-test binaries share: the repository root and
//! the `iamsim` binary run from it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root, where the tests run `iamsim`.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `iamsim` with `args` from the repository root.
pub fn iamsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iamsim"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("run iamsim")
}

/// Its stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Its stderr as text.
#[allow(dead_code, reason = "not every test binary reads stderr")]
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
