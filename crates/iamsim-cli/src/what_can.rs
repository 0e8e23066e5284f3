//! `iamsim what-can`: what a principal can do to the world's resources,
//! directly and through the roles it can reach, grouped by service. The
//! analysis is `iamsim_core::access::what_can`; this module reads the
//! arguments and prints.

use crate::names::{Checks, UnknownNames};
use crate::who_can::Setup;
use crate::{AnswerFormat, fail, print};
use clap::Args;
use iamsim_core::access::open::Need;
use iamsim_core::access::what_can::{AsIdentity, Granted, Question, what_can};
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
    let found = match what_can(&s.world, &q) {
        Ok(f) => f,
        Err(e) => return fail(&s.sources, &[Diagnostic::bare(e)]),
    };
    let text = match args.format {
        AnswerFormat::Json => found
            .iter()
            .map(|a| identity_json(&args.principal, a).to_string() + "\n")
            .collect(),
        _ => table(&found),
    };
    print(&text);
    0
}

/// The service prefix of `service:Action`.
fn service(action: &str) -> &str {
    action.split(':').next().unwrap_or(action)
}

/// The actions allowed whatever is known only after apply, and those that
/// are indeterminate.
fn split(actions: &[Granted]) -> (Vec<Granted>, Vec<&Granted>) {
    let (sure, unsure): (Vec<&Granted>, Vec<&Granted>) =
        actions.iter().partition(|g| g.depends_on.is_empty());
    (sure.into_iter().cloned().collect(), unsure)
}

/// The actions by service, in order; each name with its needs.
fn by_service(actions: &[Granted]) -> Vec<(&str, Vec<&Granted>)> {
    let mut out: Vec<(&str, Vec<&Granted>)> = Vec::new();
    for g in actions {
        match out.last_mut() {
            Some((s, list)) if *s == service(&g.action) => list.push(g),
            _ => out.push((service(&g.action), vec![g])),
        }
    }
    out
}

fn needs_text(needs: &[Need]) -> String {
    needs
        .iter()
        .map(Need::text)
        .collect::<Vec<_>>()
        .join(" and ")
}

fn identity_json(principal: &str, a: &AsIdentity) -> Value {
    let resources: Vec<Value> = a
        .access
        .iter()
        .map(|r| {
            let mut actions = Map::new();
            let mut needs = Map::new();
            let (sure, unsure) = split(&r.actions);
            let indeterminate: Map<String, Value> = unsure
                .iter()
                .map(|g| (g.action.clone(), json!(g.depends_on)))
                .collect();
            for (svc, list) in by_service(&sure) {
                let names: Vec<&str> = list
                    .iter()
                    .map(|g| g.action.get(svc.len() + 1..).unwrap_or(&g.action))
                    .collect();
                actions.insert(svc.to_string(), json!(names));
                for g in list.iter().filter(|g| !g.needs.is_empty()) {
                    needs.insert(
                        g.action.clone(),
                        json!(g.needs.iter().map(Need::text).collect::<Vec<_>>()),
                    );
                }
            }
            json!({"resource": r.resource, "actions": actions, "needs": needs, "indeterminate": indeterminate})
        })
        .collect();
    json!({
        "principal": principal,
        "as": a.arn,
        "chain": a.chain,
        "needs": a.needs.iter().map(Need::text).collect::<Vec<_>>(),
        "resources": resources,
    })
}

fn table(found: &[AsIdentity]) -> String {
    let mut out = String::new();
    for a in found {
        // The chain ends with the role itself, which the line names.
        let how = match a.chain.split_last() {
            None => "itself".to_string(),
            Some((_, [])) => "assumed directly".to_string(),
            Some((_, before)) => format!("assumed through {}", before.join(" → ")),
        };
        let cond = if a.needs.is_empty() {
            String::new()
        } else {
            format!(", if {}", needs_text(&a.needs))
        };
        let _ = writeln!(out, "as {} ({how}{cond})", a.arn);
        if a.access.is_empty() {
            let _ = writeln!(out, "  nothing on the world's resources");
        }
        for r in &a.access {
            let _ = writeln!(out, "  {}", r.resource);
            let (sure, unsure) = split(&r.actions);
            for g in unsure {
                let _ = writeln!(
                    out,
                    "    indeterminate: {} (depends on {}, known only after apply)",
                    g.action,
                    g.depends_on.join(", ")
                );
            }
            for (svc, list) in by_service(&sure) {
                let names: Vec<String> = list
                    .iter()
                    .map(|g| {
                        let name = g.action.get(svc.len() + 1..).unwrap_or(&g.action);
                        if g.needs.is_empty() {
                            name.to_string()
                        } else {
                            format!("{name} (if {})", needs_text(&g.needs))
                        }
                    })
                    .collect();
                let _ = writeln!(out, "    {svc}: {}", names.join(", "));
            }
        }
    }
    out
}
