//! `iamsim who-can`: every principal that can make a request, directly or
//! through role chains, with the chain and the statements that allow each
//! step. The search is `iamsim_core::access::who_can`; this module reads
//! the arguments and prints.

use crate::can::context_args;
use crate::names::{Checks, UnknownNames};
use crate::{AnswerFormat, fail, files, print};
use clap::Args;
use iamsim_core::access::open::Need;
use iamsim_core::access::who_can::{Question, Reach, Step, action_service, who_can};
use iamsim_core::context::Context;
use iamsim_core::diag::{Diagnostic, Sources};
use iamsim_core::region::{is_region_name, region_error};
use iamsim_core::report::Asked;
use iamsim_core::request::{Clock, TargetError, resolve_target};
use iamsim_core::world::World;
use serde_json::{Map, Value, json};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Arguments of `iamsim who-can`.
#[derive(Args)]
pub struct WhoCanArgs {
    /// The action, e.g. s3:GetObject.
    action: String,
    /// The resource ARN, or * for actions without resource-level permissions.
    resource: String,
    /// The world file.
    #[arg(long)]
    world: PathBuf,
    /// Fix a request context key: KEY=VALUE; a JSON list as VALUE makes it
    /// multivalued. Conditions on keys left open are reported as needs.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
    /// The owner of a resource the world does not declare.
    #[arg(long)]
    resource_account: Option<String>,
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

/// The `--context` arguments as a request context.
pub fn fixed_context(pairs: Map<String, Value>) -> Result<Context, Diagnostic> {
    let mut ctx = Context::new();
    for (k, v) in pairs {
        match v {
            Value::Array(items) => {
                let values = items
                    .into_iter()
                    .map(|i| match i {
                        Value::String(s) => Ok(s),
                        other => Err(Diagnostic::bare(format!(
                            "--context {k}: list values must be strings, not {other}"
                        ))),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                ctx.set_list(&k, values);
            }
            Value::String(s) => ctx.set(&k, s),
            other => ctx.set(&k, other.to_string()),
        }
    }
    Ok(ctx)
}

/// What an access question starts from: the world, the keys it fixes,
/// its time and the sources for located errors.
pub struct Setup {
    /// The files read, for error messages.
    pub sources: Sources,
    /// The `--context` keys.
    pub context: Context,
    /// The world.
    pub world: World,
    /// The time of the question: now.
    pub clock: Clock,
    /// `--region`, checked.
    pub region: Option<String>,
}

/// Checks `--region`: an AWS region name, or an error naming the argument.
pub fn region_arg(region: Option<&str>) -> Result<Option<String>, Diagnostic> {
    match region {
        Some(r) if !is_region_name(r) => {
            Err(Diagnostic::bare(format!("--region: {}", region_error(r))))
        }
        other => Ok(other.map(str::to_string)),
    }
}

/// Checks that the world, or `--resource-account`, says which account owns
/// the resource of a question, with an error naming the argument as the
/// command line spells it (the library's own words name the scenario file's
/// `resource_account` key).
pub fn owner_arg(
    world: &World,
    (action, resource): (&str, &str),
    resource_account: Option<&str>,
) -> Result<(), Diagnostic> {
    // An unknown service was refused with the names; `*` has an owner.
    let Ok(service) = action_service(action) else {
        return Ok(());
    };
    let error = match resolve_target(world, &service, resource, resource_account, "") {
        Ok(_) => return Ok(()),
        Err(e) => e,
    };
    let account = resource_account.unwrap_or_default();
    Err(Diagnostic::bare(match error {
        TargetError::UnknownOwner { .. } => format!(
            "argument RESOURCE '{resource}': its owner is unknown: declare the bucket in the world or give --resource-account"
        ),
        TargetError::BadAccount { .. } => {
            format!("argument --resource-account '{account}': not a 12-digit account id")
        }
        TargetError::Contradicts { owner, .. } => format!(
            "argument --resource-account '{account}': {resource} belongs to account {owner}"
        ),
        TargetError::BadResource(text) => format!("argument RESOURCE '{resource}': {text}"),
    }))
}

impl Setup {
    /// Reads `--context` and `--region`, checks the names the arguments
    /// give (`names`, given the context) and loads the world; on bad input,
    /// prints the errors and returns the exit status.
    pub fn load(
        context: &[String],
        region: Option<&str>,
        world: &Path,
        names: impl FnOnce(&Map<String, Value>) -> Checks,
    ) -> Result<Setup, u8> {
        let mut sources = Sources::new();
        let context = context_args(context).map_err(|d| fail(&sources, &[d]))?;
        names(&context)
            .finish()
            .map_err(|errors| fail(&sources, &errors))?;
        let context = fixed_context(context).map_err(|d| fail(&sources, &[d]))?;
        let region = region_arg(region).map_err(|d| fail(&sources, &[d]))?;
        let world =
            files::load_world(&mut sources, world).map_err(|errors| fail(&sources, &errors))?;
        Ok(Setup {
            sources,
            context,
            world,
            clock: Clock::new(jiff::Timestamp::now()),
            region,
        })
    }
}

/// Checks the names the arguments give; chains of roles make STS requests.
fn check_names(args: &WhoCanArgs, context: &Map<String, Value>) -> Checks {
    let mut checks = Checks::default();
    checks.request(
        (&args.action, &args.resource),
        context,
        true,
        args.names.allow_unknown_names,
    );
    checks
}

/// Runs `iamsim who-can`; returns the exit status (0 someone can, 1
/// nobody, 2 bad input).
pub fn run(args: &WhoCanArgs) -> u8 {
    let s = match Setup::load(
        &args.context,
        args.region.as_deref(),
        &args.world,
        |context| check_names(args, context),
    ) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let Err(d) = owner_arg(
        &s.world,
        (&args.action, &args.resource),
        args.resource_account.as_deref(),
    ) {
        return fail(&s.sources, &[d]);
    }
    let q = Question {
        action: &args.action,
        resource: &args.resource,
        resource_account: args.resource_account.as_deref(),
        context: &s.context,
        region: s.region.as_deref(),
        clock: &s.clock,
    };
    let found = match who_can(&s.world, &q) {
        Ok(f) => f,
        Err(e) => return fail(&s.sources, &[Diagnostic::bare(e)]),
    };
    let text = match args.format {
        AnswerFormat::Json => found
            .iter()
            .map(|r| reach_json(r).to_string() + "\n")
            .collect(),
        _ => table(&args.action, &args.resource, &found),
    };
    print(&text);
    if found.iter().any(|r| r.depends_on.is_empty()) {
        0
    } else if found.is_empty() {
        1
    } else {
        3
    }
}

/// A need as JSON.
pub fn need_json(n: &Need) -> Value {
    json!({
        "key": n.key,
        "operator": n.operator,
        "policy_values": n.policy_values,
        "to_match": n.to_match,
        "assumed": n.value,
        "text": n.text(),
    })
}

/// A step: the request's explanation, with its needs.
fn step_json(s: &Step) -> Value {
    let mut v = s.trace.to_json(Asked::Flags);
    if let Some(obj) = v.as_object_mut() {
        obj.insert(
            "needs".into(),
            Value::Array(s.needs.iter().map(need_json).collect()),
        );
    }
    v
}

fn reach_json(r: &Reach) -> Value {
    json!({
        "principal": r.principal,
        "kind": r.kind,
        "chain": r.chain,
        "decision": if r.depends_on.is_empty() { "allow" } else { "indeterminate" },
        "depends_on": r.depends_on,
        "needs": r.needs().map(Need::text).collect::<Vec<_>>(),
        "steps": r.steps.iter().map(step_json).collect::<Vec<_>>(),
    })
}

/// The gates whose statements grant: SCPs and RCPs only permit, and the
/// deny scan only finds what takes away.
const GRANTING: [&str; 4] = [
    "resource-based policy",
    "identity-based policies",
    "permissions boundary",
    "session policy",
];

/// The statements that allowed a step, one phrase each.
pub fn grants(s: &Step) -> Vec<String> {
    s.trace
        .gates
        .iter()
        .filter(|g| g.verdict == "pass" && GRANTING.contains(&g.gate.as_str()))
        .flat_map(|g| g.statements.iter().map(|st| st.text.clone()))
        .collect()
}

/// Writes one step of a chain: the request, its needs, what allowed it.
pub fn write_step(out: &mut String, n: usize, s: &Step) {
    let t = &s.trace;
    let _ = writeln!(out, "  {n}. {} {} {}", t.principal, t.action, t.resource);
    for need in &s.needs {
        let _ = writeln!(out, "       needs {}", need.text());
    }
    let by = grants(s);
    if by.is_empty() {
        let _ = writeln!(out, "       {}", t.summary);
    }
    for g in by {
        let _ = writeln!(out, "       by {g}");
    }
}

fn table(action: &str, resource: &str, all: &[Reach]) -> String {
    let mut out = String::new();
    let (found, unsure): (Vec<&Reach>, Vec<&Reach>) =
        all.iter().partition(|r| r.depends_on.is_empty());
    for (i, r) in found.iter().chain(&unsure).enumerate() {
        if i == found.len() {
            let _ = writeln!(
                out,
                "INDETERMINATE: these can only if what is known only after apply allows it"
            );
        }
        let how = match r.chain.len() {
            0 => "directly".to_string(),
            1 => "through 1 role".to_string(),
            n => format!("through {n} roles"),
        };
        let needs: Vec<String> = r.needs().map(Need::text).collect();
        let cond = if needs.is_empty() {
            String::new()
        } else {
            format!(", if {}", needs.join(" and "))
        };
        let _ = writeln!(out, "{} {} {how}{cond}", r.kind, r.principal);
        if !r.depends_on.is_empty() {
            let _ = writeln!(out, "  depends on {}", r.depends_on.join(", "));
        }
        for (i, s) in r.steps.iter().enumerate() {
            write_step(&mut out, i + 1, s);
        }
    }
    let more = if unsure.is_empty() {
        String::new()
    } else {
        format!(
            "; {} more indeterminate (can only if what is known only after apply allows it)",
            unsure.len()
        )
    };
    let conditional = found.iter().filter(|r| r.needs().next().is_some()).count();
    let _ = match (found.len(), conditional) {
        (0, _) => writeln!(out, "nobody can {action} on {resource}{more}"),
        (n, 0) => writeln!(
            out,
            "{n} principal{} can {action} on {resource}{more}",
            plural(n)
        ),
        (n, c) => writeln!(
            out,
            "{n} principal{} can {action} on {resource} ({c} only if the request meets the needs shown){more}",
            plural(n)
        ),
    };
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
