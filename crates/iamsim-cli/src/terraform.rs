//! `--terraform PLAN.json`: the world after a Terraform plan (`import`),
//! and the semantic diff of the worlds before and after it (`diff`). What
//! the import could not read exactly goes to stderr: warnings, every
//! `ADDRESS ATTRIBUTE` known only after apply, and the resources skipped.

use crate::files::FsLoader;
use crate::import::PlanArgs;
use crate::semdiff::{self, Ask};
use crate::timings::Timings;
use crate::{fail, warn};
use iamsim_core::diag::{Diagnostic, Sources};
use iamsim_core::terraform::{self, AccountArg, Moment, Options};
use serde_json::Value as Out;
use std::io::Write as _;
use std::path::Path;

/// The plan, base and options, read and checked.
struct Inputs {
    plan: iamsim_core::diag::SourceId,
    base: Option<Out>,
    opts: Options,
}

fn inputs(sources: &mut Sources, plan: &Path, args: &PlanArgs) -> Result<Inputs, Vec<Diagnostic>> {
    let mut loader = FsLoader::default();
    let mut errors = Vec::new();
    let mut accounts = Vec::new();
    for a in &args.accounts {
        match AccountArg::parse(a) {
            Ok(a) => accounts.push(a),
            Err(d) => errors.push(d),
        }
    }
    let plan = loader.read(sources, plan).map_err(|d| vec![d])?;
    let base = match &args.base {
        None => None,
        Some(p) => {
            let id = loader.read(sources, p).map_err(|d| vec![d])?;
            iamsim_core::world::load_world(sources, id, &mut loader)?;
            let node = iamsim_core::world::parse_source(sources, id).map_err(|d| vec![d])?;
            let value = node.to_value();
            if names_files(&value) {
                errors.push(Diagnostic::bare(format!(
                    "argument --base '{}': the world names other files ({{\"file\": ...}} or authorization_details), which a world written elsewhere would not find; give a self-contained world (iamsim import writes one)",
                    p.display()
                )));
            }
            Some(value)
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Inputs {
        plan,
        base,
        opts: Options {
            accounts,
            strict: args.strict,
        },
    })
}

/// True when a world refers to other files.
fn names_files(v: &Out) -> bool {
    match v {
        Out::Object(m) => {
            (m.len() == 1 && m.contains_key("file"))
                || m.contains_key("authorization_details")
                || m.values().any(names_files)
        }
        Out::Array(items) => items.iter().any(names_files),
        _ => false,
    }
}

/// Builds one world of the plan; `report` prints what the import could not
/// read exactly.
fn build(
    sources: &mut Sources,
    inputs: &Inputs,
    moment: Moment,
    report: bool,
) -> Result<Out, Vec<Diagnostic>> {
    let imported = terraform::import(
        sources,
        inputs.plan,
        inputs.base.clone(),
        &inputs.opts,
        moment,
    )?;
    if report {
        warn(sources, &imported.warnings);
        let mut err = std::io::stderr().lock();
        for u in &imported.unknowns {
            let _ = writeln!(err, "unknown until apply: {u}");
        }
        if !imported.skipped.is_empty() {
            let _ = writeln!(
                err,
                "skipped (no IAM meaning iamsim reads): {}",
                imported.skipped.join(", ")
            );
        }
    }
    Ok(imported.world)
}

/// The world after the plan, for `import --terraform`.
pub fn world(
    sources: &mut Sources,
    plan: &Path,
    args: &PlanArgs,
    moment: Moment,
) -> Result<Out, Vec<Diagnostic>> {
    let inputs = inputs(sources, plan, args)?;
    build(sources, &inputs, moment, true)
}

/// Loads a built world, named for the plan and the moment.
fn load(
    sources: &mut Sources,
    plan: &Path,
    world: &Out,
    moment: &str,
) -> Result<iamsim_core::world::World, Vec<Diagnostic>> {
    let text = serde_json::to_string_pretty(world)
        .map_err(|e| vec![Diagnostic::bare(e.to_string())])?
        + "\n";
    let id = sources.add(format!("{} ({moment} the plan)", plan.display()), text);
    iamsim_core::world::load_world(sources, id, &mut FsLoader::default())
}

/// `diff --terraform`: the semantic diff of the world before the plan
/// against the world after it; returns the exit status.
pub fn diff(ask: &Ask<'_>, plan: &Path, args: &PlanArgs) -> u8 {
    let mut timings = Timings::start();
    let mut sources = Sources::new();
    let worlds = inputs(&mut sources, plan, args).and_then(|inputs| {
        let before = build(&mut sources, &inputs, Moment::Before, false)?;
        let after = build(&mut sources, &inputs, Moment::After, true)?;
        let before = load(&mut sources, plan, &before, "before")?;
        let after = load(&mut sources, plan, &after, "after")?;
        Ok((before, after))
    });
    match worlds {
        Ok((before, after)) => {
            timings.lap("load");
            semdiff::run_worlds(ask, &sources, &before, &after, timings)
        }
        Err(errors) => fail(&sources, &errors),
    }
}
