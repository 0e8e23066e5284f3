//! Output: a table a person reads, JSON lines a program reads, and the
//! numbered walk of `--explain`. Plain text only (no colour), so output is
//! the same on and off a terminal.

use crate::batch::Outcome;
use iamsim_core::eval::Outcome as Decision;
use iamsim_core::report::{Asked, RequestJson, RequestTrace};
use iamsim_core::scenario::run::AssumeParams;
use iamsim_core::scenario::{Expect, ScenarioResult, StepResult};
use serde_json::{Value, json};
use std::fmt::Write as _;

/// A scenario's JSON object, borrowed from its result and serialized
/// straight to text; keys in sorted order, as in
/// [`iamsim_core::report::RequestJson`].
#[derive(serde::Serialize)]
struct ScenarioJson<'a> {
    decision: &'static str,
    denied_at: Option<usize>,
    depends_on: &'a [String],
    expect: Option<&'static str>,
    file: &'a str,
    name: &'a str,
    pass: Option<bool>,
    steps: Vec<StepJson<'a>>,
}

/// A step's JSON object: its deciding request's, or, for a step that made
/// none, its decision alone.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum StepJson<'a> {
    Request(Box<RequestJson<'a>>),
    Bare {
        decision: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        parameters: Option<Value>,
    },
}

fn scenario_view<'a>(
    file: &'a str,
    r: &'a ScenarioResult,
    asked: Asked,
    walk: bool,
) -> ScenarioJson<'a> {
    ScenarioJson {
        decision: r.outcome.as_str(),
        denied_at: r.denied_at,
        depends_on: &r.depends_on,
        expect: r.expect.map(Expect::as_str),
        file,
        name: &r.name,
        pass: r.pass,
        steps: r.steps.iter().map(|s| step_view(s, asked, walk)).collect(),
    }
}

/// One JSON object for a scenario (README, "Commands");
/// `asked` spells how to change defaulted keys. Each request carries its
/// gate-by-gate walk under `explanation` only with `walk`.
pub fn scenario_json(file: &str, r: &ScenarioResult, asked: Asked, walk: bool) -> Value {
    serde_json::to_value(scenario_view(file, r, asked, walk)).unwrap_or_default()
}

/// A scenario's line of `run --format json`: the walk through every gate
/// with `explain_all`, or when it missed its expectation.
pub fn json_line(o: &Outcome, explain_all: bool) -> String {
    let walk = explain_all || o.result.pass == Some(false);
    let view = scenario_view(&o.file, &o.result, Asked::FileKeys, walk);
    let mut line = serde_json::to_string(&view).unwrap_or_default();
    line.push('\n');
    line
}

/// A step as JSON: its deciding request, every request when it made
/// several, and what an `assume_role` step passed; `asked` spells how to
/// change defaulted keys; `walk` keeps each request's `explanation`.
fn step_view(s: &StepResult, asked: Asked, walk: bool) -> StepJson<'_> {
    let decision = s.outcome.as_str();
    let parameters = s.assume.as_ref().map(parameters_json);
    let Some(main) = deciding(s) else {
        return StepJson::Bare {
            decision,
            parameters,
        };
    };
    let mut v = main.json(asked, walk);
    v.decision = decision;
    v.parameters = parameters;
    if s.requests.len() > 1 {
        v.requests = Some(s.requests.iter().map(|t| t.json(asked, walk)).collect());
    }
    StepJson::Request(Box::new(v))
}

/// What an `assume_role` step passed, under the scenario file's keys.
fn parameters_json(p: &AssumeParams) -> Value {
    let tags: serde_json::Map<String, Value> =
        p.tags.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    json!({
        "session_name": p.session_name,
        "external_id": p.external_id,
        "mfa": p.mfa,
        "source_identity": p.source_identity,
        "session_tags": tags,
        "transitive_tag_keys": p.transitive_keys,
        "session_policy": p.session_policy,
    })
}

/// What an `assume_role` step passed, in AssumeRole's parameter names.
fn parameters_text(p: &AssumeParams) -> String {
    let mut parts = vec![format!("RoleSessionName={}", p.session_name)];
    if let Some(id) = &p.external_id {
        parts.push(format!("ExternalId={id}"));
    }
    if p.mfa {
        parts.push("SerialNumber and TokenCode (MFA)".into());
    }
    if let Some(id) = &p.source_identity {
        parts.push(format!("SourceIdentity={id}"));
    }
    for (k, v) in &p.tags {
        parts.push(format!("Tags {k}={v}"));
    }
    if !p.transitive_keys.is_empty() {
        parts.push(format!("TransitiveTagKeys={}", p.transitive_keys.join(",")));
    }
    if p.session_policy {
        parts.push("Policy (a session policy)".into());
    }
    parts.join(", ")
}

/// The request that decided a step: the first denied one, else the first.
pub fn deciding(s: &StepResult) -> Option<&RequestTrace> {
    s.requests
        .iter()
        .find(|r| r.outcome == s.outcome)
        .or_else(|| s.requests.first())
}

/// What a scenario's decision depends on, as a phrase to put after it:
/// empty when it rests on nothing known only after apply.
pub fn depends(r: &ScenarioResult) -> String {
    if r.depends_on.is_empty() {
        return String::new();
    }
    let list = r.depends_on.join(", ");
    match r.outcome {
        Decision::Indeterminate => format!(" (depends on {list}, known only after apply)"),
        _ => format!(
            " (denied either way; whether explicitly depends on {list}, known only after apply)"
        ),
    }
}

/// The closing line CI systems read: `N passed, M failed`, then how many
/// scenarios stated no expectation, when some did not.
pub fn closing(passed: usize, failed: usize, without: usize) -> String {
    if without == 0 {
        format!("{passed} passed, {failed} failed\n")
    } else {
        format!("{passed} passed, {failed} failed, {without} without expectation\n")
    }
}

/// One scenario's table line, with the reason under a failure (or, with
/// `explain_all`, the walk through every gate).
pub fn line(o: &Outcome, explain_all: bool) -> String {
    let r = &o.result;
    let (mark, want) = match (r.pass, r.expect) {
        (Some(pass), Some(e)) => (
            if pass { "PASS" } else { "FAIL" },
            format!("(want {})", e.as_str()),
        ),
        _ => ("----", "(no expectation)".to_string()),
    };
    let mut out = format!(
        "{mark}  {:<13} {want:<20} {}  {}{}\n",
        r.outcome.as_str(),
        o.file,
        r.name,
        depends(r)
    );
    if explain_all {
        out.push_str(&explain(r, Asked::FileKeys));
        out.push('\n');
    } else if r.pass == Some(false) {
        let denied = r
            .steps
            .iter()
            .enumerate()
            .find(|(_, s)| s.outcome == r.outcome)
            .or_else(|| r.steps.iter().enumerate().next_back());
        if let Some(t) = denied.and_then(|(i, step)| deciding(step).map(|t| (i, t))) {
            let (i, t) = t;
            let _ = writeln!(
                out,
                "      step {}: {} {} on {}: {}",
                i + 1,
                t.principal,
                t.action,
                t.resource,
                t.summary
            );
            out.push_str(&decisive_defaults(t, Asked::FileKeys, "      "));
        }
    }
    out
}

/// A numbered walk through every gate of every request, for `--explain`,
/// with the keys iamsim gave values of its own and how to change them
/// (spelt as `asked`); each request closes with the AWS page of the rule
/// that decided it.
pub fn explain(r: &ScenarioResult, asked: Asked) -> String {
    let mut out = String::new();
    for (i, s) in r.steps.iter().enumerate() {
        for (j, t) in s.requests.iter().enumerate() {
            let _ = writeln!(
                out,
                "Step {}: {} calls {} on {}",
                i + 1,
                t.principal,
                t.action,
                t.resource
            );
            if let (0, Some(p)) = (j, &s.assume) {
                let _ = writeln!(out, "  passing {}", parameters_text(p));
            }
            for (n, g) in t.gates.iter().enumerate() {
                let _ = write!(out, "  {:>2}. {:<28} {}", n + 1, g.gate, g.verdict);
                if !g.note.is_empty() {
                    let _ = write!(out, " — {}", g.note);
                }
                out.push('\n');
                for st in &g.statements {
                    let _ = writeln!(out, "        {} {}", st.effect, st.text);
                }
                for m in &g.misses {
                    let _ = writeln!(out, "        not   {}: {}", m.text, m.reason);
                }
            }
            if !t.missing_context.is_empty() {
                let _ = writeln!(
                    out,
                    "  missing context: {} (tested by a statement on the decision path, absent from the request: the decision may rest on its absence)",
                    t.missing_context.join(", ")
                );
            }
            for d in &t.defaults {
                let _ = writeln!(out, "  default: {}", asked.describe(d));
            }
            let _ = writeln!(out, "  => {} ({})", t.summary, t.outcome.as_str());
            let _ = writeln!(out, "     see {}", t.page);
        }
    }
    let _ = writeln!(out, "Decision: {}{}", r.outcome.as_str(), depends(r));
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
            out.push_str(&decisive_defaults(t, Asked::Flags, "  "));
        }
    }
    let _ = writeln!(out, "Decision: {}{}", r.outcome.as_str(), depends(r));
    out
}

/// A line for each defaulted key that a deciding statement tested: the
/// decision rests on a value the question did not give.
fn decisive_defaults(t: &RequestTrace, asked: Asked, indent: &str) -> String {
    let mut out = String::new();
    for d in t
        .defaults
        .iter()
        .filter(|d| t.decided_with.contains(&d.key))
    {
        let _ = writeln!(out, "{indent}decided with {}", asked.describe(d));
    }
    out
}

/// The summary of the request that decided a scenario.
fn deciding_summary(r: &ScenarioResult) -> String {
    r.steps
        .iter()
        .find(|s| s.outcome == r.outcome)
        .and_then(deciding)
        .map(|t| t.summary.clone())
        .unwrap_or_default()
}

/// A scenario file's JUnit class name: its path without the extension,
/// with dots for separators (`testdata/rules/outsider.json` gives
/// `testdata.rules.outsider`), as JUnit tools read a class name as
/// packages and a class; `.`, `..` and the root are left out.
fn classname(file: &str) -> String {
    let path = std::path::Path::new(file);
    let parts: Vec<String> = path
        .with_extension("")
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(p) => Some(p.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    parts.join(".")
}

/// The batch as JUnit XML: one test suite per scenario file, one test case
/// per scenario; a missed expectation is a failure whose message says why
/// and whose text walks through every gate; a scenario without expectation
/// is skipped, its message giving its decision.
pub fn junit(outcomes: &[Outcome]) -> Result<String, String> {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new("iamsim");
    let mut suites: Vec<TestSuite> = Vec::new();
    for o in outcomes {
        if suites.last().is_none_or(|s| s.name.as_str() != o.file) {
            suites.push(TestSuite::new(o.file.as_str()));
        }
        let r = &o.result;
        let status = match (r.pass, r.expect) {
            (Some(true), _) => TestCaseStatus::success(),
            (Some(false), Some(expect)) => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(format!(
                    "expected {}, got {}{}: {}",
                    expect.as_str(),
                    r.outcome.as_str(),
                    depends(r),
                    deciding_summary(r)
                ));
                s.set_type("expectation");
                s.set_description(explain(r, Asked::FileKeys));
                s
            }
            _ => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(format!(
                    "no expectation; decided {}{}",
                    r.outcome.as_str(),
                    depends(r)
                ));
                s.set_type("no-expectation");
                s
            }
        };
        let mut case = TestCase::new(r.name.as_str(), status);
        case.set_classname(classname(&o.file));
        case.set_time(o.time);
        if let Some(suite) = suites.last_mut() {
            suite.add_test_case(case);
        }
    }
    report.add_test_suites(suites);
    report
        .to_string()
        .map_err(|e| format!("cannot write JUnit XML: {e}"))
}

#[cfg(test)]
mod tests {
    use super::classname;

    #[test]
    fn classnames_are_dotted_paths_without_the_extension() {
        assert_eq!(
            classname("testdata/rules/outsider.json"),
            "testdata.rules.outsider"
        );
        assert_eq!(classname("./s.json"), "s");
        assert_eq!(classname("../up/v1.2/s.json"), "up.v1.2.s");
        assert_eq!(classname("/tmp/x/s.json"), "tmp.x.s");
    }
}
