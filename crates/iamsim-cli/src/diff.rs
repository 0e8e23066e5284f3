//! `iamsim diff`: the scenarios whose decision differs between two worlds,
//! with what decided each side; a policy change reviewed by its effects.
//! Without scenario files, the semantic diff of the two worlds
//! ([`crate::semdiff`]).

use crate::batch::{Batch, Outcome, Streaming};
use crate::import::PlanArgs;
use crate::names::UnknownNames;
use crate::render::{self, deciding};
use crate::semdiff::{self, DiffFormat, FailOn};
use crate::{fail, print};
use clap::Args;
use iamsim_core::diag::Diagnostic;
use iamsim_core::request::Clock;
use iamsim_core::scenario::{Detail, ScenarioResult};
use serde_json::json;
use std::fmt::Write as _;
use std::path::PathBuf;

/// Arguments of `iamsim diff`.
#[derive(Args)]
pub struct DiffArgs {
    /// The world before the change.
    #[arg(
        long,
        required_unless_present = "terraform",
        conflicts_with = "terraform"
    )]
    before: Option<PathBuf>,
    /// The world after the change.
    #[arg(
        long,
        required_unless_present = "terraform",
        conflicts_with = "terraform"
    )]
    after: Option<PathBuf>,
    /// Semantic diff of a Terraform plan: the world before it (the base and
    /// the plan's prior state) against the world after it.
    #[command(flatten)]
    plan: PlanArgs,
    /// Output format (markdown: the semantic diff only).
    #[arg(long, value_enum, default_value = "table")]
    format: DiffFormat,
    /// Scenario files or directories; their own `world` is overridden.
    /// Without any, the semantic diff of the two worlds.
    paths: Vec<PathBuf>,
    /// Semantic diff: the most roles a chain assumes.
    #[arg(long, default_value_t = 4, value_name = "N")]
    max_chain: usize,
    /// Semantic diff: print every finding, not the first 5 of each cause.
    #[arg(long)]
    all: bool,
    /// Semantic diff: also exit 1 when something is newly denied (any-change).
    #[arg(long, value_enum, default_value = "new-access")]
    fail_on: FailOn,
    /// Semantic diff: fix a request context key, KEY=VALUE; keys left open
    /// become needs.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
    /// Semantic diff: fix the region of the requests.
    #[arg(long)]
    region: Option<String>,
    #[command(flatten)]
    names: UnknownNames,
}

impl DiffArgs {
    /// The flags only the semantic diff reads, named, when given.
    fn semantic_flags(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let given = [
            (self.max_chain != 4, "--max-chain"),
            (self.all, "--all"),
            (self.fail_on != FailOn::NewAccess, "--fail-on"),
            (!self.context.is_empty(), "--context"),
            (self.region.is_some(), "--region"),
            (self.format == DiffFormat::Markdown, "--format markdown"),
        ];
        for (on, flag) in given {
            if on {
                out.push(flag);
            }
        }
        out
    }
}

/// The scenarios' outcomes under one world; `warn` prints the files'
/// warnings (once: both worlds read the same files).
fn outcomes(
    args: &DiffArgs,
    world: &std::path::Path,
    clock: &Clock,
    warn: bool,
) -> Result<Vec<Outcome>, u8> {
    let allow = args.names.allow_unknown_names;
    let batch = Batch::load(&args.paths, Some(world), Streaming::Never, allow)
        .map_err(|(sources, errors)| fail(&sources, &errors))?;
    let empty = batch.without_scenarios(&args.paths);
    if !empty.is_empty() {
        return Err(fail(&batch.sources, &empty));
    }
    if warn {
        crate::warn(&batch.sources, &batch.warnings);
    }
    batch
        .run(clock, Detail::Explanations)
        .map_err(|errors| fail(&batch.sources, &errors))
}

/// The step that decides a changed scenario on side `r`, as one line: its
/// denied step; on an allowed side, the step the other side was denied at,
/// which is where the change lies (the last step only if neither side was
/// denied).
fn why(r: &ScenarioResult, other: &ScenarioResult) -> String {
    let step = r
        .denied_at
        .or(other.denied_at)
        .and_then(|i| r.steps.get(i).map(|s| (i, s)))
        .or_else(|| r.steps.iter().enumerate().next_back());
    match step.and_then(|(i, s)| deciding(s).map(|t| (i, t))) {
        Some((i, t)) => format!(
            "step {}: {} on {}: {}",
            i + 1,
            t.action,
            t.resource,
            t.summary
        ),
        None => String::new(),
    }
}

fn side(r: &ScenarioResult, other: &ScenarioResult) -> serde_json::Value {
    json!({"decision": r.outcome.as_str(), "depends_on": r.depends_on, "denied_at": r.denied_at, "why": why(r, other)})
}

/// Runs `iamsim diff`; returns the exit status (0 none differ, 1 some do, 2 bad input).
pub fn diff(args: &DiffArgs) -> u8 {
    let none = iamsim_core::diag::Sources::new();
    if args.plan.terraform.is_some() && !args.paths.is_empty() {
        return fail(
            &none,
            &[Diagnostic::bare(
                "--terraform runs the semantic diff of the plan; it reads no scenario files",
            )],
        );
    }
    if args.paths.is_empty() {
        if args.max_chain == 0 {
            return fail(&none, &[Diagnostic::bare("--max-chain must be at least 1")]);
        }
        let ask = semdiff::Ask {
            context: &args.context,
            region: args.region.as_deref(),
            max_chain: args.max_chain,
            all: args.all,
            fail_on: args.fail_on,
            format: args.format,
            allow_unknown: args.names.allow_unknown_names,
        };
        return match (&args.plan.terraform, &args.before, &args.after) {
            (Some(plan), _, _) => crate::terraform::diff(&ask, plan, &args.plan),
            (None, Some(before), Some(after)) => semdiff::run(&ask, before, after),
            _ => fail(
                &none,
                &[Diagnostic::bare(
                    "give --before and --after, or --terraform",
                )],
            ),
        };
    }
    let (Some(before_world), Some(after_world)) = (&args.before, &args.after) else {
        return fail(&none, &[Diagnostic::bare("give --before and --after")]);
    };
    let semantic = args.semantic_flags();
    if !semantic.is_empty() {
        return fail(
            &iamsim_core::diag::Sources::new(),
            &[Diagnostic::bare(format!(
                "{} {} for the semantic diff, without scenario files",
                semantic.join(", "),
                if semantic.len() == 1 { "is" } else { "are" }
            ))],
        );
    }
    let clock = Clock::new(jiff::Timestamp::now());
    let before = match outcomes(args, before_world, &clock, true) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let after = match outcomes(args, after_world, &clock, false) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let mut text = String::new();
    let mut changed = 0;
    for (b, a) in before.iter().zip(&after) {
        if b.result.outcome == a.result.outcome {
            continue;
        }
        changed += 1;
        if args.format == DiffFormat::Json {
            let line = json!({"file": b.file, "name": b.result.name, "before": side(&b.result, &a.result), "after": side(&a.result, &b.result)});
            let _ = writeln!(text, "{line}");
        } else {
            let _ = writeln!(
                text,
                "CHANGED  {} -> {}  {}  {}",
                b.result.outcome.as_str(),
                a.result.outcome.as_str(),
                b.file,
                b.result.name
            );
            for (when, r) in [("before", &b.result), ("after", &a.result)] {
                let depends = render::depends(r);
                if !depends.is_empty() {
                    let _ = writeln!(text, "      {when}{depends}");
                }
            }
            let _ = writeln!(text, "      before: {}", why(&b.result, &a.result));
            let _ = writeln!(text, "      after:  {}", why(&a.result, &b.result));
        }
    }
    if args.format == DiffFormat::Table {
        let _ = writeln!(
            text,
            "{changed} changed, {} unchanged",
            before.len() - changed
        );
    }
    print(&text);
    if changed == 0 { 0 } else { 1 }
}
