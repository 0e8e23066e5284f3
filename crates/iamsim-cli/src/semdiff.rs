//! `iamsim diff --before W1 --after W2` without scenario files: the
//! semantic diff of the two worlds (`iamsim_core::semdiff`), printed as a
//! table grouped by cause, JSON lines, or a Markdown pull-request comment.

use crate::can::context_args;
use crate::names::Checks;
use crate::timings::Timings;
use crate::who_can::{fixed_context, region_arg};
use crate::{fail, files, print};
use clap::ValueEnum;
use iamsim_core::diag::{Diagnostic, Sources};
use iamsim_core::request::Clock;
use iamsim_core::semdiff::{Change, Finding, Options, semantic_diff};
use iamsim_core::world::World;
use serde_json::json;
use std::fmt::Write as _;
use std::path::Path;

/// How many findings a cause shows in the table and Markdown without `--all`.
pub const PER_CAUSE: usize = 5;

/// How many actions a table line names before `+N more`.
const ACTIONS_SHOWN: usize = 6;

/// When the diff exits 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Something is newly allowed or indeterminate (the default).
    NewAccess,
    /// Also when something is newly denied.
    AnyChange,
}

/// Output formats of the diff.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// Grouped by cause, for a terminal.
    Table,
    /// One JSON object per line (per finding, or per changed scenario).
    Json,
    /// A pull-request comment: counts, then the findings, newly allowed first
    /// (semantic diff only).
    Markdown,
}

/// What the semantic diff is asked.
pub struct Ask<'a> {
    /// `--context` pairs.
    pub context: &'a [String],
    /// `--region`.
    pub region: Option<&'a str>,
    /// `--max-chain`.
    pub max_chain: usize,
    /// `--all`.
    pub all: bool,
    /// `--fail-on`.
    pub fail_on: FailOn,
    /// `--format`.
    pub format: DiffFormat,
    /// `--allow-unknown-names`.
    pub allow_unknown: bool,
}

/// Runs the semantic diff of two world files; returns the exit status.
pub fn run(ask: &Ask<'_>, before: &Path, after: &Path) -> u8 {
    let mut timings = Timings::start();
    let mut sources = Sources::new();
    let before = match files::load_world(&mut sources, before) {
        Ok(w) => w,
        Err(errors) => return fail(&sources, &errors),
    };
    let after = match files::load_world(&mut sources, after) {
        Ok(w) => w,
        Err(errors) => return fail(&sources, &errors),
    };
    timings.lap("load");
    run_worlds(ask, &sources, &before, &after, timings)
}

/// Runs the semantic diff of two loaded worlds; returns the exit status.
/// `timings` has timed the loading; the diff and the printing follow.
pub fn run_worlds(
    ask: &Ask<'_>,
    sources: &Sources,
    before: &World,
    after: &World,
    mut timings: Timings,
) -> u8 {
    let context = match context_args(ask.context) {
        Ok(c) => c,
        Err(d) => return fail(sources, &[d]),
    };
    let mut checks = Checks::default();
    checks.context(&context, (None, None), ask.allow_unknown);
    if let Err(errors) = checks.finish() {
        return fail(sources, &errors);
    }
    let (context, region) = match (fixed_context(context), region_arg(ask.region)) {
        (Ok(c), Ok(r)) => (c, r),
        (Err(d), _) | (_, Err(d)) => return fail(sources, &[d]),
    };
    let clock = Clock::new(jiff::Timestamp::now());
    let opts = Options {
        max_chain: ask.max_chain,
        context: &context,
        region: region.as_deref(),
        clock: &clock,
        sources: Some(sources),
    };
    let found = match semantic_diff(before, after, &opts) {
        Ok(f) => f,
        Err(e) => return fail(sources, &[Diagnostic::bare(e)]),
    };
    timings.lap("semantic diff");
    let text = match ask.format {
        DiffFormat::Json => found.iter().map(|f| json_line(f) + "\n").collect(),
        DiffFormat::Table => table(&found, ask.all),
        DiffFormat::Markdown => markdown(&found, ask.all),
    };
    print(&text);
    timings.lap("print");
    timings.print();
    let fails = |c: Change| match c {
        Change::NewlyAllowed | Change::Indeterminate => true,
        Change::NewlyDenied => ask.fail_on == FailOn::AnyChange,
        Change::NewlyReachable => false,
    };
    u8::from(found.iter().any(|f| fails(f.change)))
}

/// A finding as one JSON object.
fn json_line(f: &Finding) -> String {
    json!({
        "change": f.change.as_str(),
        "principal": f.principal,
        "via": f.via,
        "actions": f.actions,
        "resource": f.resource,
        "resource_account": f.resource_account,
        "needs": f.needs,
        "cause": f.cause.iter().map(|c| json!({
            "side": c.side.as_str(),
            "policy": c.policy,
            "statement": c.statement,
            "location": c.location,
            "terraform": c.terraform,
        })).collect::<Vec<_>>(),
        "witness": f.witness,
        "witness_allowed_in": f.witness_world.as_str(),
        "note": f.note,
    })
    .to_string()
}

/// The findings grouped by change (in [`Change`]'s order) and, within
/// one, by cause, in order of first appearance.
fn groups(found: &[Finding]) -> Vec<(Change, String, Vec<&Finding>)> {
    let mut out: Vec<(Change, String, Vec<&Finding>)> = Vec::new();
    for f in found {
        let cause = f
            .cause
            .iter()
            .map(|c| c.text())
            .collect::<Vec<_>>()
            .join("\n");
        match out
            .iter_mut()
            .find(|(ch, c, _)| *ch == f.change && *c == cause)
        {
            Some((_, _, list)) => list.push(f),
            None => out.push((f.change, cause, vec![f])),
        }
    }
    out
}

/// The counts per change, as one line.
fn counts(found: &[Finding]) -> String {
    let n = |c: Change| found.iter().filter(|f| f.change == c).count();
    format!(
        "{} newly allowed, {} newly denied, {} indeterminate, {} newly reachable",
        n(Change::NewlyAllowed),
        n(Change::NewlyDenied),
        n(Change::Indeterminate),
        n(Change::NewlyReachable)
    )
}

/// The actions, the first few then `+N more`.
fn actions_text(actions: &[String], all: bool) -> String {
    let shown = if all { actions.len() } else { ACTIONS_SHOWN };
    let mut t = actions
        .iter()
        .take(shown)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if actions.len() > shown {
        let _ = write!(t, " +{} more", actions.len() - shown);
    }
    t
}

/// How the subject acts: `directly` or through its chain.
fn how(f: &Finding) -> String {
    if f.via.is_empty() {
        "directly".into()
    } else {
        format!("via {}", f.via.join(" -> "))
    }
}

fn table(found: &[Finding], all: bool) -> String {
    let mut out = String::new();
    for (change, cause, list) in groups(found) {
        let title = change.as_str().replace('_', " ").to_uppercase();
        let _ = writeln!(
            out,
            "{title} ({} finding{})",
            list.len(),
            plural(list.len())
        );
        for line in cause.lines() {
            let _ = writeln!(out, "  cause {line}");
        }
        let shown = if all { list.len() } else { PER_CAUSE };
        for f in list.iter().take(shown) {
            let _ = writeln!(out, "  {} {}", f.principal, how(f));
            let _ = writeln!(
                out,
                "    {} on {}",
                actions_text(&f.actions, all),
                resource_text(f)
            );
            if !f.needs.is_empty() {
                let _ = writeln!(out, "    needs {}", f.needs.join(" and "));
            }
            if let Some(note) = &f.note {
                let _ = writeln!(out, "    note: {note}");
            }
            let _ = writeln!(
                out,
                "    witness ({}): {}",
                f.witness_world.as_str(),
                f.witness
            );
        }
        if list.len() > shown {
            let _ = writeln!(
                out,
                "  ... and {} more (--all prints every finding)",
                list.len() - shown
            );
        }
    }
    let _ = writeln!(out, "{}", counts(found));
    out
}

fn markdown(found: &[Finding], all: bool) -> String {
    let mut out = String::from("## iamsim semantic diff\n\n");
    let _ = writeln!(out, "{}\n", counts(found));
    let mut last: Option<Change> = None;
    for (change, cause, list) in groups(found) {
        if last != Some(change) {
            let title = change.as_str().replace('_', " ");
            let _ = writeln!(
                out,
                "### {}{}\n",
                title.get(..1).unwrap_or("").to_uppercase(),
                title.get(1..).unwrap_or("")
            );
            last = Some(change);
        }
        let _ = writeln!(out, "Cause ({} finding{}):", list.len(), plural(list.len()));
        for line in cause.lines() {
            let _ = writeln!(out, "- {}", line.replace('|', "\\|"));
        }
        let mut notes: Vec<&str> = list.iter().filter_map(|f| f.note.as_deref()).collect();
        notes.sort_unstable();
        notes.dedup();
        for note in notes {
            let _ = writeln!(out, "\n{note}");
        }
        let _ = writeln!(
            out,
            "\n| principal | chain | actions | resource | needs |\n|---|---|---|---|---|"
        );
        let shown = if all { list.len() } else { PER_CAUSE };
        for f in list.iter().take(shown) {
            let cell = |s: String| s.replace('|', "\\|");
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | `{}` | {} |",
                f.principal,
                cell(how(f)),
                cell(actions_text(&f.actions, all)),
                resource_text(f),
                cell(f.needs.join(" and "))
            );
        }
        if list.len() > shown {
            let _ = writeln!(out, "\n... and {} more.", list.len() - shown);
        }
        let _ = writeln!(out, "\n<details><summary>witnesses</summary>\n\n```json");
        for f in list.iter().take(shown) {
            let _ = writeln!(out, "{}", f.witness);
        }
        let _ = writeln!(out, "```\n\n</details>\n");
    }
    out
}

/// The resource, with the account a `*` stands for.
fn resource_text(f: &Finding) -> String {
    match &f.resource_account {
        Some(a) => format!("{} in account {a}", f.resource),
        None => f.resource.clone(),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use iamsim_core::semdiff::Side;

    fn finding(change: Change, note: Option<&str>) -> Finding {
        Finding {
            change,
            principal: "arn:aws:iam::111111111111:role/Reader".into(),
            via: Vec::new(),
            actions: vec!["s3:GetObject".into()],
            resource: "arn:aws:s3:::data/*".into(),
            resource_account: None,
            needs: Vec::new(),
            cause: Vec::new(),
            witness: json!({"name": "w"}),
            witness_world: Side::After,
            note: note.map(str::to_string),
        }
    }

    /// An indeterminate finding has no statement to blame: the pull-request
    /// comment says why it is indeterminate, once per group; a flip
    /// without a note prints none.
    #[test]
    fn markdown_says_why_a_finding_is_indeterminate() {
        let why = "the values of aws:sourceip that could part the two worlds make more than 64 context classes";
        let md = markdown(
            &[
                finding(Change::Indeterminate, Some(why)),
                finding(Change::Indeterminate, Some(why)),
            ],
            false,
        );
        assert_eq!(md.matches(why).count(), 1, "{md}");
        let md = markdown(&[finding(Change::NewlyAllowed, None)], false);
        assert!(!md.contains("context classes"), "{md}");
        assert!(md.contains("### Newly allowed"), "{md}");
    }
}
