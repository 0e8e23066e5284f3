//! Output: a table a person reads, JSON lines a program reads, and the
//! numbered walk of `--explain`. Plain text only (no colour), so output is
//! the same on and off a terminal.

use crate::batch::Outcome;
use iamsim_core::report::RequestTrace;
use iamsim_core::scenario::{ScenarioResult, StepResult};
use serde_json::{Value, json};
use std::fmt::Write as _;

/// One JSON object for a scenario (formats.md "Decisions and results").
pub fn scenario_json(file: &str, r: &ScenarioResult) -> Value {
    json!({
        "file": file,
        "name": r.name,
        "decision": r.outcome.as_str(),
        "denied_at": r.denied_at,
        "expect": r.expect.as_str(),
        "pass": r.pass,
        "steps": r.steps.iter().map(step_json).collect::<Vec<_>>(),
    })
}

/// A step as JSON: its deciding request, and every request when it made several.
pub fn step_json(s: &StepResult) -> Value {
    let main = deciding(s);
    let mut v = main.map(RequestTrace::to_json).unwrap_or_else(|| json!({}));
    if let Some(obj) = v.as_object_mut() {
        obj.insert("decision".into(), json!(s.outcome.as_str()));
        if s.requests.len() > 1 {
            obj.insert(
                "requests".into(),
                Value::Array(s.requests.iter().map(RequestTrace::to_json).collect()),
            );
        }
    }
    v
}

/// The request that decided a step: the first denied one, else the first.
pub fn deciding(s: &StepResult) -> Option<&RequestTrace> {
    s.requests
        .iter()
        .find(|r| r.outcome == s.outcome)
        .or_else(|| s.requests.first())
}

/// The batch as a table: one line per scenario, the reason under each
/// failure (or, with `explain`, the walk through every gate), and the
/// closing count.
pub fn table(outcomes: &[Outcome], explain_all: bool) -> String {
    let mut out = String::new();
    for o in outcomes {
        let r = &o.result;
        let mark = if r.pass { "PASS" } else { "FAIL" };
        let _ = writeln!(
            out,
            "{mark}  {:<13} {:<20} {}  {}",
            r.outcome.as_str(),
            format!("(want {})", r.expect.as_str()),
            o.file,
            r.name
        );
        if explain_all {
            out.push_str(&explain(r));
            out.push('\n');
        } else if !r.pass {
            if let Some((i, step)) = r
                .steps
                .iter()
                .enumerate()
                .find(|(_, s)| s.outcome == r.outcome)
                .or_else(|| r.steps.iter().enumerate().next_back())
            {
                if let Some(t) = deciding(step) {
                    let _ = writeln!(
                        out,
                        "      step {}: {} {} on {}: {}",
                        i + 1,
                        t.principal,
                        t.action,
                        t.resource,
                        t.summary
                    );
                }
            }
        }
    }
    let passed = outcomes.iter().filter(|o| o.result.pass).count();
    let _ = writeln!(out, "{passed} passed, {} failed", outcomes.len() - passed);
    out
}

/// A numbered walk through every gate of every request, for `--explain`.
pub fn explain(r: &ScenarioResult) -> String {
    let mut out = String::new();
    for (i, s) in r.steps.iter().enumerate() {
        for t in &s.requests {
            let _ = writeln!(
                out,
                "Step {}: {} calls {} on {}",
                i + 1,
                t.principal,
                t.action,
                t.resource
            );
            for (n, g) in t.gates.iter().enumerate() {
                let _ = write!(out, "  {:>2}. {:<28} {}", n + 1, g.gate, g.verdict);
                if !g.note.is_empty() {
                    let _ = write!(out, " — {}", g.note);
                }
                out.push('\n');
                for st in &g.statements {
                    let _ = writeln!(out, "        {} {}", st.effect, st.text);
                }
            }
            let _ = writeln!(out, "  => {} ({})", t.summary, t.outcome.as_str());
        }
    }
    let _ = writeln!(out, "Decision: {}", r.outcome.as_str());
    out
}

/// The short answer of `can`: each request's decision and reason.
pub fn answer(r: &ScenarioResult) -> String {
    let mut out = String::new();
    for (i, s) in r.steps.iter().enumerate() {
        for t in &s.requests {
            let _ = writeln!(
                out,
                "step {}: {} {} on {}: {}",
                i + 1,
                t.principal,
                t.action,
                t.resource,
                t.outcome.as_str()
            );
            let _ = writeln!(out, "  {}", t.summary);
        }
    }
    let _ = writeln!(out, "Decision: {}", r.outcome.as_str());
    out
}
