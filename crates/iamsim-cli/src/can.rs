//! `iamsim can`: one question, answered with its explanation. The question
//! becomes a one-scenario file (registered as `<command line>`), so it runs
//! through exactly the same code as `iamsim run`; an error in that file is
//! reported against the argument it came from, which the user typed.

use crate::files::{self, FsLoader};
use crate::names::{Checks, UnknownNames};
use crate::who_can::{owner_arg, region_arg};
use crate::{AnswerFormat, fail, print, render};
use clap::Args;
use iamsim_core::diag::{Diagnostic, Doc, JsonPath, SourceId, Sources};
use iamsim_core::eval::Outcome;
use iamsim_core::report::Asked;
use iamsim_core::scenario;
use iamsim_core::scenario::params;
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
    /// What every --via AssumeRole call passes.
    #[command(flatten)]
    call: AssumeArgs,
    /// The owner of a resource the world does not declare.
    #[arg(long)]
    resource_account: Option<String>,
    /// The region the requests are sent to (aws:RequestedRegion); else the
    /// resource's region, the world's default_region, else us-east-1.
    #[arg(long)]
    region: Option<String>,
    /// Walk through every gate of AWS's evaluation.
    #[arg(long)]
    explain: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: AnswerFormat,
    #[command(flatten)]
    names: UnknownNames,
}

/// What every `--via` step passes to `AssumeRole`, as its parameters
/// (STS API reference:
/// <https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html>).
/// Per-step parameters are what scenario files are for.
#[derive(Args)]
struct AssumeArgs {
    /// RoleSessionName of every --via call (default iamsim).
    #[arg(long, value_name = "NAME")]
    session_name: Option<String>,
    /// ExternalId of every --via call.
    #[arg(long, value_name = "ID")]
    external_id: Option<String>,
    /// Every --via call passes an MFA code (SerialNumber and TokenCode): it
    /// carries aws:MultiFactorAuthPresent=true, and so does the session.
    #[arg(long)]
    mfa: bool,
    /// SourceIdentity of every --via call.
    #[arg(long, value_name = "ID")]
    source_identity: Option<String>,
    /// A session tag every --via call passes (repeatable).
    #[arg(long = "session-tag", value_name = "KEY=VALUE")]
    session_tags: Vec<String>,
}

impl AssumeArgs {
    /// The flags given, by name, for the error when there is no `--via`.
    fn given(&self) -> Vec<&'static str> {
        let flags = [
            ("--session-name", self.session_name.is_some()),
            ("--external-id", self.external_id.is_some()),
            ("--mfa", self.mfa),
            ("--source-identity", self.source_identity.is_some()),
            ("--session-tag", !self.session_tags.is_empty()),
        ];
        flags
            .iter()
            .filter(|(_, on)| *on)
            .map(|(f, _)| *f)
            .collect()
    }

    /// The parameters of one `assume_role` step, checked as a scenario
    /// file's are (`scenario::params`), each error naming its flag.
    fn step_keys(&self) -> Result<Map<String, Value>, Diagnostic> {
        let bare = |m: String| Diagnostic::bare(m);
        let mut keys = Map::new();
        let name = self.session_name.as_deref().unwrap_or("iamsim");
        params::checked("--session-name", name, params::session_name).map_err(bare)?;
        keys.insert("session_name".into(), json!(name));
        if let Some(id) = &self.external_id {
            params::checked("--external-id", id, params::external_id).map_err(bare)?;
            keys.insert("external_id".into(), json!(id));
        }
        if self.mfa {
            keys.insert("mfa".into(), json!(true));
        }
        if let Some(id) = &self.source_identity {
            params::checked("--source-identity", id, params::source_identity).map_err(bare)?;
            keys.insert("source_identity".into(), json!(id));
        }
        if self.session_tags.len() > params::MAX_SESSION_TAGS {
            return Err(bare(format!(
                "--session-tag is given {} times: AWS takes at most {} session tags",
                self.session_tags.len(),
                params::MAX_SESSION_TAGS
            )));
        }
        let mut tags: Vec<(String, String)> = Vec::new();
        for kv in &self.session_tags {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| bare(format!("--session-tag \"{kv}\" must be KEY=VALUE")))?;
            params::checked("--session-tag key", k, params::session_tag_key).map_err(bare)?;
            params::checked("--session-tag value", v, params::session_tag_value).map_err(bare)?;
            if params::tag_given(&tags, k) {
                return Err(bare(format!(
                    "--session-tag \"{k}\" is given twice ignoring case: AWS refuses duplicate session tag keys"
                )));
            }
            tags.push((k.to_string(), v.to_string()));
        }
        if !tags.is_empty() {
            let tags: Map<String, Value> = tags.into_iter().map(|(k, v)| (k, json!(v))).collect();
            keys.insert("session_tags".into(), Value::Object(tags));
        }
        Ok(keys)
    }
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
    let given = args.call.given();
    if args.via.is_empty() && !given.is_empty() {
        return Err(vec![Diagnostic::bare(format!(
            "{} describe{} the AssumeRole calls of --via, and there is no --via",
            given.join(", "),
            if given.len() == 1 { "s" } else { "" }
        ))]);
    }
    let call = args.call.step_keys().map_err(|d| vec![d])?;
    check_names(args, &context)?;
    let mut steps: Vec<Value> = args
        .via
        .iter()
        .map(|r| {
            let mut step = call.clone();
            step.insert("assume_role".into(), json!(r));
            Value::Object(step)
        })
        .collect();
    let mut last = json!({"action": args.action, "resource": args.resource});
    if let (Some(a), Some(obj)) = (&args.resource_account, last.as_object_mut()) {
        obj.insert("resource_account".into(), json!(a));
    }
    steps.push(last);
    let mut file = json!({
        "context": context,
        "scenarios": [{
            "name": format!("can {} {} {}", args.principal, args.action, args.resource),
            "principal": args.principal,
            "steps": steps,
        }],
    });
    let region = region_arg(args.region.as_deref()).map_err(|d| vec![d])?;
    if let (Some(r), Some(obj)) = (region, file.as_object_mut()) {
        obj.insert("region".into(), json!(r));
    }
    Ok(file)
}

/// The argument of `args` that put the value at `path` of the question's
/// scenario file, as the command line spells it.
fn argument(args: &CanArgs, path: &str) -> String {
    let Some(rest) = path.strip_prefix("$.scenarios[0].") else {
        return match path {
            p if p.starts_with("$.context") => "argument --context".to_string(),
            "$.region" => format!(
                "argument --region '{}'",
                args.region.as_deref().unwrap_or_default()
            ),
            _ => "the question".to_string(),
        };
    };
    if rest.starts_with("principal") {
        return format!("argument PRINCIPAL '{}'", args.principal);
    }
    let step = rest
        .strip_prefix("steps[")
        .and_then(|r| r.split_once(']'))
        .and_then(|(i, key)| i.parse::<usize>().ok().map(|i| (i, key)));
    match step {
        Some((i, _)) if i < args.via.len() => {
            format!(
                "argument --via '{}'",
                args.via.get(i).map_or("", String::as_str)
            )
        }
        Some((_, ".action")) => format!("argument ACTION '{}'", args.action),
        Some((_, ".resource")) => format!("argument RESOURCE '{}'", args.resource),
        Some((_, ".resource_account")) => format!(
            "argument --resource-account '{}'",
            args.resource_account.as_deref().unwrap_or_default()
        ),
        _ => format!(
            "arguments ACTION '{}' and RESOURCE '{}'",
            args.action, args.resource
        ),
    }
}

/// The errors located in the question's scenario file (`source`), said of
/// the arguments that gave the values; errors elsewhere (the world) keep
/// their location.
fn of_arguments(args: &CanArgs, source: SourceId, errors: Vec<Diagnostic>) -> Vec<Diagnostic> {
    errors
        .into_iter()
        .map(|d| match &d.location {
            Some(loc) if loc.source == source => {
                Diagnostic::bare(format!("{}: {}", argument(args, &loc.path), d.message))
            }
            _ => d,
        })
        .collect()
}

/// Runs `iamsim can`; returns the exit status (0 allowed, 1 denied, 2 bad
/// input, 3 indeterminate: the decision rests on what is known only after
/// apply).
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
    // Reported after the question's own errors, in the arguments' order.
    let resource_account = args.resource_account.as_deref();
    let owner = owner_arg(&world, (&args.action, &args.resource), resource_account).err();
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
        Err(errors) => {
            let mut errors = of_arguments(args, id, errors);
            errors.extend(owner);
            return fail(&sources, &errors);
        }
    };
    if let Some(d) = owner {
        return fail(&sources, &[d]);
    }
    let Some(sc) = file.scenarios.first() else {
        return fail(
            &sources,
            &[Doc { source: id }.err(&node, &JsonPath::ROOT, "no question")],
        );
    };
    let result = match scenario::run_scenario(
        &world,
        &file,
        sc,
        &iamsim_core::request::Clock::new(jiff::Timestamp::now()),
        scenario::Detail::Explanations,
    ) {
        Ok(r) => r,
        Err(d) => return fail(&sources, &of_arguments(args, id, vec![d])),
    };
    let text = match args.format {
        AnswerFormat::Json => {
            // A question has no expectation: nothing to hold or miss. Its
            // JSON keeps the whole walk, as `run --explain` does.
            let mut line = render::scenario_json("<command line>", &result, Asked::Flags, true);
            if let Some(obj) = line.as_object_mut() {
                obj.remove("expect");
                obj.remove("pass");
            }
            line.to_string() + "\n"
        }
        AnswerFormat::Table if args.explain => render::explain(&result, Asked::Flags),
        AnswerFormat::Table => render::answer(&result),
    };
    print(&text);
    match result.outcome {
        Outcome::Allow => 0,
        Outcome::Indeterminate => 3,
        Outcome::ImplicitDeny | Outcome::ExplicitDeny => 1,
    }
}
