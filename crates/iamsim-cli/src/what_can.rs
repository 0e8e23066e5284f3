//! `iamsim what-can`: what a principal can do to the world's resources,
//! directly and through the roles it can reach, grouped by service. The
//! analysis is `iamsim_core::access::what_can`; this module reads the
//! arguments and prints.

use crate::names::{Checks, UnknownNames};
use crate::timings::Timings;
use crate::who_can::Setup;
use crate::{AnswerFormat, fail, print};
use clap::Args;
use iamsim_core::access::grouped::{Group, Reached, group, needs_text};
use iamsim_core::access::open::Need;
use iamsim_core::access::what_can::{Question, what_can};
use iamsim_core::catalog::check;
use iamsim_core::diag::Diagnostic;
use serde_json::{Map, Value, json};
use std::fmt::Write as _;
use std::path::PathBuf;

/// Arguments of `iamsim what-can`.
#[derive(Args)]
pub struct WhatCanArgs {
    /// Who: a user, role or account root ARN of the world.
    principal: String,
    /// The world file.
    #[arg(long)]
    world: PathBuf,
    /// Only resources whose ARN matches this pattern (* and ? wildcards).
    #[arg(long, value_name = "PATTERN")]
    resource: Option<String>,
    /// Fix a request context key: KEY=VALUE; a JSON list as VALUE makes it
    /// multivalued. Conditions on keys left open are reported as needs.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
    /// Fix the region of the requests (aws:RequestedRegion); else it is
    /// open, a need when a condition tests it.
    #[arg(long)]
    region: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: AnswerFormat,
    #[command(flatten)]
    names: UnknownNames,
}

/// Runs `iamsim what-can`; returns the exit status (0, or 2 on bad input).
pub fn run(args: &WhatCanArgs) -> u8 {
    let mut timings = Timings::start();
    // The question asks every service's actions: any service's keys apply.
    let s = match Setup::load(
        &args.context,
        args.region.as_deref(),
        &args.world,
        |context| {
            let mut checks = Checks::default();
            if let Some(p) = &args.resource {
                checks.add(|| format!("--resource '{p}'"), check::resource_pattern(p));
            }
            checks.context(context, (None, None), args.names.allow_unknown_names);
            checks
        },
    ) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let q = Question {
        principal: &args.principal,
        resource: args.resource.as_deref(),
        context: &s.context,
        region: s.region.as_deref(),
        clock: &s.clock,
    };
    timings.lap("load");
    let found = match what_can(&s.world, &q) {
        Ok(f) => f,
        Err(e) => return fail(&s.sources, &[Diagnostic::bare(e)]),
    };
    timings.lap("analysis");
    let groups = group(found);
    timings.lap("grouping");
    let text = match args.format {
        AnswerFormat::Json => groups
            .iter()
            .map(|g| group_json(&args.principal, g).to_string() + "\n")
            .collect(),
        _ => table(&groups),
    };
    print(&text);
    timings.lap("output");
    timings.print();
    0
}

/// The service prefix of `service:Action`.
fn service(action: &str) -> &str {
    action.split(':').next().unwrap_or(action)
}

/// The actions by service, in order: `s3: GetObject, PutObject; sts: ...`
/// as (service, names).
fn by_service(actions: &[String]) -> Vec<(&str, Vec<&str>)> {
    let mut out: Vec<(&str, Vec<&str>)> = Vec::new();
    for a in actions {
        let svc = service(a);
        let name = a.get(svc.len() + 1..).unwrap_or(a);
        match out.last_mut() {
            Some((s, list)) if *s == svc => list.push(name),
            _ => out.push((svc, vec![name])),
        }
    }
    out
}

/// How an identity is reached, for the table: `itself`, `assumed
/// directly` or `assumed through ...`, with the chain's needs.
fn how(r: &Reached) -> String {
    // The chain ends with the role itself, which the line names.
    let how = match r.chain.split_last() {
        None => "itself".to_string(),
        Some((_, [])) => "assumed directly".to_string(),
        Some((_, before)) => format!("assumed through {}", before.join(" → ")),
    };
    if r.needs.is_empty() {
        how
    } else {
        format!("{how}, if {}", needs_text(&r.needs))
    }
}

fn group_json(principal: &str, g: &Group) -> Value {
    let identities: Vec<Value> = g
        .identities
        .iter()
        .map(|r| {
            json!({
                "as": r.arn,
                "chain": r.chain,
                "needs": r.needs.iter().map(Need::text).collect::<Vec<_>>(),
            })
        })
        .collect();
    let grants: Vec<Value> = g
        .grants
        .iter()
        .map(|grant| {
            let actions: Map<String, Value> = by_service(&grant.actions)
                .into_iter()
                .map(|(svc, names)| (svc.to_string(), json!(names)))
                .collect();
            json!({
                "actions": actions,
                "resources": grant.resources,
                "needs": grant.needs.iter().map(Need::text).collect::<Vec<_>>(),
                "depends_on": grant.depends_on,
            })
        })
        .collect();
    json!({"principal": principal, "identities": identities, "grants": grants})
}

fn table(groups: &[Group]) -> String {
    let mut out = String::new();
    for g in groups {
        match g.identities.as_slice() {
            [one] => {
                let _ = writeln!(out, "as {} ({})", one.arn, how(one));
            }
            many => {
                let _ = writeln!(out, "as {} identities with the same grants:", many.len());
                for r in many {
                    let _ = writeln!(out, "  - {} ({})", r.arn, how(r));
                }
            }
        }
        if g.grants.is_empty() {
            let _ = writeln!(out, "  nothing on the world's resources");
        }
        for grant in &g.grants {
            let line = if grant.depends_on.is_empty() {
                let services: Vec<String> = by_service(&grant.actions)
                    .into_iter()
                    .map(|(svc, names)| format!("{svc}: {}", names.join(", ")))
                    .collect();
                let cond = if grant.needs.is_empty() {
                    String::new()
                } else {
                    format!(" (if {})", needs_text(&grant.needs))
                };
                format!("{}{cond}", services.join("; "))
            } else {
                format!(
                    "indeterminate: {} (depends on {}, known only after apply)",
                    grant.actions.join(", "),
                    grant.depends_on.join(", ")
                )
            };
            let _ = writeln!(out, "  {line}");
            for r in &grant.resources {
                let _ = writeln!(out, "    {r}");
            }
        }
    }
    out
}
