//! `iamsim can`: one question, answered with its explanation. The question
//! becomes a one-scenario file (registered as `<command line>`), so it runs
//! through exactly the same code as `iamsim run`.

use crate::files::{self, FsLoader};
use crate::names::{Checks, UnknownNames};
use crate::{Format, fail, print, render};
use clap::Args;
use iamsim_core::diag::{Diagnostic, Doc, JsonPath, Sources};
use iamsim_core::eval::Outcome;
use iamsim_core::scenario;
use iamsim_core::world;
use serde_json::{Map, Value, json};
use std::path::PathBuf;

/// Arguments of `iamsim can`.
#[derive(Args)]
pub struct CanArgs {
    /// The world file.
    #[arg(long)]
    world: PathBuf,
    /// Who asks: a user, account root, role or assumed-role session ARN.
    principal: String,
    /// The action, e.g. s3:GetObject.
    action: String,
    /// The resource ARN, or * for actions without resource-level permissions.
    resource: String,
    /// Assume this role first (repeat for a chain, in order).
    #[arg(long = "via", value_name = "ROLE_ARN")]
    via: Vec<String>,
    /// A request context key: KEY=VALUE; a JSON list as VALUE makes it multivalued.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
    /// The owner of a resource the world does not declare.
    #[arg(long)]
    resource_account: Option<String>,
    /// Walk through every gate of AWS's evaluation.
    #[arg(long)]
    explain: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    #[command(flatten)]
    names: UnknownNames,
}

/// The `--context KEY=VALUE` arguments as JSON: a string, or a list when
/// VALUE is a JSON list. A key given twice (key names ignore case) is an
/// error.
pub fn context_args(pairs: &[String]) -> Result<Map<String, Value>, Diagnostic> {
    let mut context = Map::new();
    for kv in pairs {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| Diagnostic::bare(format!("--context \"{kv}\" must be KEY=VALUE")))?;
        if context.keys().any(|c| c.eq_ignore_ascii_case(k)) {
            return Err(Diagnostic::bare(format!(
                "argument --context '{kv}': the key {k} is given twice (key names ignore case)"
            )));
        }
        let value = match serde_json::from_str::<Value>(v) {
            Ok(list @ Value::Array(_)) => list,
            _ => Value::String(v.to_string()),
        };
        context.insert(k.to_string(), value);
    }
    Ok(context)
}

/// Checks the names the arguments give; the roles of `--via` make STS
/// requests too.
fn check_names(args: &CanArgs, context: &Map<String, Value>) -> Result<(), Vec<Diagnostic>> {
    let mut checks = Checks::default();
    checks.request(
        (&args.action, &args.resource),
        context,
        !args.via.is_empty(),
        args.names.allow_unknown_names,
    );
    checks.finish()
}

fn question(args: &CanArgs) -> Result<Value, Vec<Diagnostic>> {
    let context = context_args(&args.context).map_err(|d| vec![d])?;
    check_names(args, &context)?;
    let mut steps: Vec<Value> = args
        .via
        .iter()
        .map(|r| json!({"assume_role": r, "session_name": "iamsim"}))
        .collect();
    let mut last = json!({"action": args.action, "resource": args.resource});
    if let (Some(a), Some(obj)) = (&args.resource_account, last.as_object_mut()) {
        obj.insert("resource_account".into(), json!(a));
    }
    steps.push(last);
    Ok(json!({
        "context": context,
        "scenarios": [{
            "name": format!("can {} {} {}", args.principal, args.action, args.resource),
            "principal": args.principal,
            "steps": steps,
            "expect": "allow",
        }],
    }))
}

/// Runs `iamsim can`; returns the exit status (0 allowed, 1 denied, 2 bad input).
pub fn can(args: &CanArgs) -> u8 {
    let mut sources = Sources::new();
    let q = match question(args) {
        Ok(q) => q,
        Err(errors) => return fail(&sources, &errors),
    };
    let text = serde_json::to_string_pretty(&q).unwrap_or_default();
    let world = match files::load_world(&mut sources, &args.world) {
        Ok(w) => w,
        Err(errors) => return fail(&sources, &errors),
    };
    let mut loader = FsLoader::default();
    let id = sources.add("<command line>", text);
    let node = match world::parse_source(&sources, id) {
        Ok(n) => n,
        Err(d) => return fail(&sources, &[d]),
    };
    // The names were checked, and their warnings printed, argument by
    // argument: the question's own warnings would repeat them.
    let allow = args.names.allow_unknown_names;
    let file = match scenario::parse_node(&mut sources, id, &node, &mut loader, allow) {
        Ok(f) => f,
        Err(errors) => return fail(&sources, &errors),
    };
    let Some(sc) = file.scenarios.first() else {
        return fail(
            &sources,
            &[Doc { source: id }.err(&node, &JsonPath::ROOT, "no question")],
        );
    };
    let result = match scenario::run_scenario(
        &world,
        id,
        &file.context,
        sc,
        &iamsim_core::request::Clock::new(jiff::Timestamp::now()),
        scenario::Detail::Explanations,
    ) {
        Ok(r) => r,
        Err(d) => return fail(&sources, &[d]),
    };
    let text = match args.format {
        Format::Junit => {
            return fail(
                &sources,
                &[Diagnostic::bare("--format junit is for iamsim run")],
            );
        }
        Format::Json => render::scenario_json("<command line>", &result).to_string() + "\n",
        Format::Table if args.explain => render::explain(&result),
        Format::Table => render::answer(&result),
    };
    print(&text);
    if result.outcome == Outcome::Allow {
        0
    } else {
        1
    }
}
