//! Reading files for the library: the [`Loader`] that resolves paths named
//! inside documents relative to the file that names them, and the walk that
//! turns command-line paths into the JSON files to read.

use iamsim_core::diag::{Diagnostic, SourceId, Sources};
use iamsim_core::world::Loader;
use std::path::{Path, PathBuf};

/// Reads and loads the world file a command names.
pub fn load_world(
    sources: &mut Sources,
    path: &Path,
) -> Result<iamsim_core::world::World, Vec<Diagnostic>> {
    let mut loader = FsLoader::default();
    let id = loader.read(sources, path).map_err(|d| vec![d])?;
    iamsim_core::world::load_world(sources, id, &mut loader)
}

/// Reads files from disk, relative to the naming file's directory.
#[derive(Default)]
pub struct FsLoader {
    /// The path on disk of every source read from disk.
    paths: Vec<(SourceId, PathBuf)>,
}

impl FsLoader {
    /// Reads a file the user named and registers it.
    pub fn read(&mut self, sources: &mut Sources, path: &Path) -> Result<SourceId, Diagnostic> {
        let bytes = std::fs::read(path)
            .map_err(|e| Diagnostic::bare(format!("{}: cannot read: {e}", path.display())))?;
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let offset = e.utf8_error().valid_up_to();
                let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
                let id = sources.add(path.display().to_string(), lossy);
                return Err(Diagnostic::syntax(
                    id,
                    &iamsim_core::json::SyntaxError {
                        offset,
                        message: "the file is not valid UTF-8".into(),
                    },
                ));
            }
        };
        let id = sources.add(path.display().to_string(), text);
        self.paths.push((id, path.to_path_buf()));
        Ok(id)
    }

    /// Records the path of a source registered without reading it (a file
    /// that is streamed), so that paths it names resolve next to it.
    pub fn register(&mut self, id: SourceId, path: &Path) {
        self.paths.push((id, path.to_path_buf()));
    }

    /// The path a source was read from.
    pub fn path_of(&self, id: SourceId) -> Option<&Path> {
        self.paths
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, p)| p.as_path())
    }

    /// Resolves `relative` against the directory of source `from`.
    pub fn resolve(&self, from: SourceId, relative: &str) -> PathBuf {
        let base = self
            .path_of(from)
            .and_then(Path::parent)
            .unwrap_or(Path::new("."));
        base.join(relative)
    }
}

impl Loader for FsLoader {
    fn load(
        &mut self,
        sources: &mut Sources,
        from: SourceId,
        relative: &str,
    ) -> Result<SourceId, String> {
        let path = self.resolve(from, relative);
        self.read(sources, &path).map_err(|d| d.message)
    }
}

/// The JSON files of the command line: files as given, directories walked
/// recursively for `*.json` (but for folders named `bad`), in sorted order. The flag says whether the file
/// came from a directory walk.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<(PathBuf, bool)>, Diagnostic> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found)?;
            found.sort();
            out.extend(found.into_iter().map(|f| (f, true)));
        } else if p.exists() {
            out.push((p.clone(), false));
        } else {
            return Err(Diagnostic::bare(format!(
                "{}: no such file or directory",
                p.display()
            )));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Diagnostic> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Diagnostic::bare(format!("{}: cannot read directory: {e}", dir.display())))?;
    for entry in entries {
        let path = entry
            .map_err(|e| Diagnostic::bare(format!("{}: {e}", dir.display())))?
            .path();
        if path.is_dir() && path.file_name().is_some_and(|n| n == "bad") {
            // By convention a folder named bad holds inputs meant to be
            // rejected (testdata/bad); run them by naming them.
            eprintln!(
                "iamsim: skipped {}: a folder named bad holds inputs meant to be rejected",
                path.display()
            );
        } else if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(())
}
