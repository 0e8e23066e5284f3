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
use std::time::{Duration, Instant};

/// Files larger than this are read scenario by scenario ([`crate::stream`]).
pub const STREAM_ABOVE: u64 = 8 << 20;

/// Which files are read scenario by scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Streaming {
    /// Files above [`STREAM_ABOVE`].
    Auto,
    /// Every file.
    Always,
    /// None.
    Never,
}

/// Scenario files with their worlds, ready to run.
pub struct Batch {
    /// Every text read, for error messages.
    pub sources: Sources,
    /// Reads the files documents name.
    pub loader: FsLoader,
    /// The files read whole, each with the index of its world.
    pub files: Vec<(ScenarioFile, usize)>,
    /// Large files to read scenario by scenario, and whether a directory
    /// walk found them.
    pub streamed: Vec<(PathBuf, bool)>,
    /// The worlds.
    pub worlds: Vec<World>,
    /// Every scenario file found, read whole or streamed.
    pub scenario_files: Vec<PathBuf>,
    world_index: HashMap<PathBuf, usize>,
    override_world: Option<usize>,
    /// `--allow-unknown-names`: names newer than the shipped service
    /// reference are warnings in every file.
    pub allow_unknown_names: bool,
    /// What the checks of the files' names warn about.
    pub warnings: Vec<Diagnostic>,
    /// Scenarios whose name an earlier scenario of their file has.
    pub duplicate_names: Vec<Diagnostic>,
}

/// One scenario's result, with the file it came from.
pub struct Outcome {
    /// The scenario file's name.
    pub file: String,
    /// What it decided.
    pub result: ScenarioResult,
    /// How long deciding it took (JUnit's `time`).
    pub time: Duration,
}

impl Batch {
    /// Reads the files (directories: every `*.json` in them, world files
    /// and AWS CLI dumps skipped) and their worlds; `world` overrides the
    /// files' `world`. Files above [`STREAM_ABOVE`] are only listed.
    /// `allow_unknown_names` makes unknown actions and keys warnings.
    pub fn load(
        paths: &[PathBuf],
        world: Option<&Path>,
        streaming: Streaming,
        allow_unknown_names: bool,
    ) -> Result<Batch, (Sources, Vec<Diagnostic>)> {
        let mut b = Batch {
            sources: Sources::new(),
            loader: FsLoader::default(),
            files: Vec::new(),
            streamed: Vec::new(),
            worlds: Vec::new(),
            scenario_files: Vec::new(),
            world_index: HashMap::new(),
            override_world: None,
            allow_unknown_names,
            warnings: Vec::new(),
            duplicate_names: Vec::new(),
        };
        if let Some(p) = world {
            match b.world_file(p) {
                Ok(w) => b.override_world = Some(w),
                Err(ds) => return Err((b.sources, ds)),
            }
        }
        let listed = match collect(paths) {
            Ok(l) => l,
            Err(d) => return Err((b.sources, vec![d])),
        };
        let mut errors = Vec::new();
        for (path, from_dir) in listed {
            let large = std::fs::metadata(&path).is_ok_and(|m| m.len() > STREAM_ABOVE);
            if streaming == Streaming::Always || (streaming == Streaming::Auto && large) {
                b.streamed.push((path, from_dir));
                continue;
            }
            let id = match b.loader.read(&mut b.sources, &path) {
                Ok(id) => id,
                Err(d) => {
                    errors.push(d);
                    continue;
                }
            };
            let node = match world::parse_source(&b.sources, id) {
                Ok(n) => n,
                Err(d) => {
                    errors.push(d);
                    continue;
                }
            };
            if from_dir && skipped_in_walks(&node) {
                continue;
            }
            if let Some(d) = named_plan(id, &node) {
                errors.push(d);
                continue;
            }
            b.duplicate_names
                .extend(scenario::duplicate_names(id, &node));
            let parsed = scenario::parse_node(
                &mut b.sources,
                id,
                &node,
                &mut b.loader,
                allow_unknown_names,
            );
            let file = match parsed {
                Ok(mut f) => {
                    b.warnings.append(&mut f.warnings);
                    f
                }
                Err(ds) => {
                    errors.extend(ds);
                    continue;
                }
            };
            match b.world_of(&file, &path) {
                Ok(w) => b.files.push((file, w)),
                Err(ds) => errors.extend(ds),
            }
            b.scenario_files.push(path);
        }
        if errors.is_empty() {
            Ok(b)
        } else {
            Err((b.sources, errors))
        }
    }

    /// The world of a scenario file: `--world`, else the file's own (a path,
    /// read once however many files name it, or inline).
    pub fn world_of(&mut self, file: &ScenarioFile, path: &Path) -> Result<usize, Vec<Diagnostic>> {
        let id = file.source;
        match (self.override_world, &file.world) {
            (Some(w), _) => Ok(w),
            (None, WorldRef::Path(rel, n)) => {
                let p = self.loader.resolve(id, rel);
                if !p.exists() {
                    let msg = format!("world file {} does not exist", p.display());
                    return Err(vec![Doc { source: id }.err(
                        n,
                        &JsonPath::ROOT.key("world"),
                        msg,
                    )]);
                }
                self.world_file(&p)
            }
            (None, WorldRef::Inline(n)) => {
                let root = JsonPath::ROOT;
                let wp = root.key("world");
                let w = world::load_world_node(
                    &mut self.sources,
                    Doc { source: id },
                    n,
                    &wp,
                    &mut self.loader,
                )?;
                self.worlds.push(w);
                Ok(self.worlds.len() - 1)
            }
            (None, WorldRef::Missing) => Err(vec![Diagnostic::bare(format!(
                "{}: the file names no \"world\"; give one with --world",
                path.display()
            ))]),
        }
    }

    /// An error for each directory of `paths` under which no scenario
    /// file was found: a batch that runs nothing is a mistake, not a pass.
    /// Call it once every file is read, streamed ones included.
    pub fn without_scenarios(&self, paths: &[PathBuf]) -> Vec<Diagnostic> {
        paths
            .iter()
            .filter(|p| p.is_dir() && !self.scenario_files.iter().any(|f| f.starts_with(p)))
            .map(|p| {
                Diagnostic::bare(format!(
                    "no scenario file under {} (world files, AWS CLI dumps and folders named bad are not run)",
                    p.display()
                ))
            })
            .collect()
    }

    fn world_file(&mut self, path: &Path) -> Result<usize, Vec<Diagnostic>> {
        let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        if let Some(i) = self.world_index.get(&key) {
            return Ok(*i);
        }
        let id = self
            .loader
            .read(&mut self.sources, path)
            .map_err(|d| vec![d])?;
        let w = world::load_world(&mut self.sources, id, &mut self.loader)?;
        self.worlds.push(w);
        self.world_index.insert(key, self.worlds.len() - 1);
        Ok(self.worlds.len() - 1)
    }

    /// Runs every scenario in parallel; results keep file and scenario order.
    /// Without [`Detail::Explanations`], a scenario that misses its expectation
    /// is run again with explanations, so that its failure can say why.
    pub fn run(&self, clock: &Clock, detail: Detail) -> Result<Vec<Outcome>, Vec<Diagnostic>> {
        let jobs: Vec<(usize, usize)> = self
            .files
            .iter()
            .enumerate()
            .flat_map(|(f, (file, _))| (0..file.scenarios.len()).map(move |s| (f, s)))
            .collect();
        let progress = crate::progress::bar(u64::try_from(jobs.len()).ok());
        let results: Vec<Result<Outcome, Diagnostic>> = jobs
            .par_iter()
            .map(|&(f, s)| {
                progress.inc(1);
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
                let started = Instant::now();
                let result = crate::stream::decide(world, file, sc, clock, detail)?;
                Ok(Outcome {
                    file: self.name(file.source),
                    result,
                    time: started.elapsed(),
                })
            })
            .collect();
        progress.finish_and_clear();
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

/// Files a directory walk passes over: worlds and AWS CLI dumps, which are
/// read through the scenario files that name them, and Terraform plans,
/// which `iamsim import --terraform` reads.
pub fn skipped_in_walks(node: &iamsim_core::json::Node) -> bool {
    scenario::is_world_document(node)
        || iamsim_core::import::is_dump(node)
        || scenario::is_terraform_plan(node)
}

/// The error for a Terraform plan named as a scenario file: it says which
/// command reads it, where the scenario format would only list its keys.
pub fn named_plan(id: SourceId, node: &iamsim_core::json::Node) -> Option<Diagnostic> {
    scenario::is_terraform_plan(node).then(|| {
        Doc { source: id }.err(
            node,
            &JsonPath::ROOT,
            "a Terraform plan (terraform show -json), not a scenario file; use iamsim import --terraform",
        )
    })
}
