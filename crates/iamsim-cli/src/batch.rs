//! Loading a batch: scenario files, the worlds they name (each read once),
//! then every scenario run in parallel on rayon, results in file order.

use crate::files::{FsLoader, collect};
use iamsim_core::diag::{Diagnostic, Doc, JsonPath, SourceId, Sources};
use iamsim_core::request::Clock;
use iamsim_core::scenario::{self, Detail, ScenarioFile, ScenarioResult, WorldRef};
use iamsim_core::world::{self, World};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Scenario files with their worlds, ready to run.
pub struct Batch {
    /// Every text read, for error messages.
    pub sources: Sources,
    /// The files, each with the index of its world.
    pub files: Vec<(ScenarioFile, usize)>,
    /// The worlds.
    pub worlds: Vec<World>,
}

/// One scenario's result, with the file it came from.
pub struct Outcome {
    /// The scenario file's name.
    pub file: String,
    /// What it decided.
    pub result: ScenarioResult,
}

impl Batch {
    /// Reads the files (directories: every `*.json` in them, world files
    /// skipped) and their worlds; `world` overrides the files' `world`.
    pub fn load(
        paths: &[PathBuf],
        world: Option<&Path>,
    ) -> Result<Batch, (Sources, Vec<Diagnostic>)> {
        let mut sources = Sources::new();
        let mut loader = FsLoader::default();
        let mut errors = Vec::new();
        let mut worlds: Vec<World> = Vec::new();
        let mut world_index: HashMap<PathBuf, usize> = HashMap::new();
        let override_world = match world {
            Some(p) => {
                match load_world_file(&mut sources, &mut loader, p, &mut worlds, &mut world_index) {
                    Ok(w) => Some(w),
                    Err(ds) => return Err((sources, ds)),
                }
            }
            None => None,
        };
        let mut files = Vec::new();
        let listed = match collect(paths) {
            Ok(l) => l,
            Err(d) => return Err((sources, vec![d])),
        };
        for (path, from_dir) in listed {
            let id = match loader.read(&mut sources, &path) {
                Ok(id) => id,
                Err(d) => {
                    errors.push(d);
                    continue;
                }
            };
            let node = match world::parse_source(&sources, id) {
                Ok(n) => n,
                Err(d) => {
                    errors.push(d);
                    continue;
                }
            };
            if from_dir
                && (scenario::is_world_document(&node) || iamsim_core::import::is_dump(&node))
            {
                continue;
            }
            let file = match scenario::parse_node(&mut sources, id, &node, &mut loader) {
                Ok(f) => f,
                Err(ds) => {
                    errors.extend(ds);
                    continue;
                }
            };
            let w = match (override_world, &file.world) {
                (Some(w), _) => Ok(w),
                (None, WorldRef::Path(rel, n)) => {
                    let p = loader.resolve(id, rel);
                    load_world_file(&mut sources, &mut loader, &p, &mut worlds, &mut world_index)
                        .map_err(|mut ds| {
                            if !p.exists() {
                                ds = vec![Doc { source: id }.err(
                                    n,
                                    &JsonPath::ROOT.key("world"),
                                    format!("world file {} does not exist", p.display()),
                                )];
                            }
                            ds
                        })
                }
                (None, WorldRef::Inline(n)) => {
                    let root = JsonPath::ROOT;
                    let wp = root.key("world");
                    world::load_world_node(&mut sources, Doc { source: id }, n, &wp, &mut loader)
                        .map(|w| {
                            worlds.push(w);
                            worlds.len() - 1
                        })
                }
                (None, WorldRef::Missing) => Err(vec![Diagnostic::bare(format!(
                    "{}: the file names no \"world\"; give one with --world",
                    path.display()
                ))]),
            };
            match w {
                Ok(w) => files.push((file, w)),
                Err(ds) => errors.extend(ds),
            }
        }
        if errors.is_empty() {
            Ok(Batch {
                sources,
                files,
                worlds,
            })
        } else {
            Err((sources, errors))
        }
    }

    /// Runs every scenario in parallel; results keep file and scenario order.
    /// With [`Detail::Decisions`], a scenario that misses its expectation
    /// is run again with explanations, so that its failure can say why.
    pub fn run(&self, clock: &Clock, detail: Detail) -> Result<Vec<Outcome>, Vec<Diagnostic>> {
        let jobs: Vec<(usize, usize)> = self
            .files
            .iter()
            .enumerate()
            .flat_map(|(f, (file, _))| (0..file.scenarios.len()).map(move |s| (f, s)))
            .collect();
        let results: Vec<Result<Outcome, Diagnostic>> = jobs
            .par_iter()
            .map(|&(f, s)| {
                let (file, w) = self
                    .files
                    .get(f)
                    .ok_or_else(|| Diagnostic::bare("internal: file index"))?;
                let world = self
                    .worlds
                    .get(*w)
                    .ok_or_else(|| Diagnostic::bare("internal: world index"))?;
                let sc = file
                    .scenarios
                    .get(s)
                    .ok_or_else(|| Diagnostic::bare("internal: scenario index"))?;
                let mut result =
                    scenario::run_scenario(world, file.source, &file.context, sc, clock, detail)?;
                if !result.pass && detail == Detail::Decisions {
                    result = scenario::run_scenario(
                        world,
                        file.source,
                        &file.context,
                        sc,
                        clock,
                        Detail::Explanations,
                    )?;
                }
                Ok(Outcome {
                    file: self.name(file.source),
                    result,
                })
            })
            .collect();
        let mut out = Vec::with_capacity(results.len());
        let mut errors = Vec::new();
        for r in results {
            match r {
                Ok(o) => out.push(o),
                Err(d) => errors.push(d),
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    fn name(&self, id: SourceId) -> String {
        self.sources
            .get(id)
            .map(|f| f.name.clone())
            .unwrap_or_default()
    }
}

fn load_world_file(
    sources: &mut Sources,
    loader: &mut FsLoader,
    path: &Path,
    worlds: &mut Vec<World>,
    index: &mut HashMap<PathBuf, usize>,
) -> Result<usize, Vec<Diagnostic>> {
    let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    if let Some(i) = index.get(&key) {
        return Ok(*i);
    }
    let id = loader.read(sources, path).map_err(|d| vec![d])?;
    let w = world::load_world(sources, id, loader)?;
    worlds.push(w);
    index.insert(key, worlds.len() - 1);
    Ok(worlds.len() - 1)
}
