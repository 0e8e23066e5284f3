//! The checks of `iamsim_core::catalog::check` applied to command-line
//! arguments: each finding names its argument (`argument ACTION
//! 's3:GetObjekt': ...`); warnings go to stderr, errors are returned.

use clap::Args;
use iamsim_core::catalog::check::{self, Finding, Severity};
use iamsim_core::diag::Diagnostic;
use serde_json::{Map, Value};
use std::io::Write as _;

/// The flag every command that takes questions shares.
#[derive(Args, Clone, Copy, Debug, Default)]
pub struct UnknownNames {
    /// Accept actions and condition keys the shipped service reference does
    /// not know (newer than it), with a warning instead of an error.
    #[arg(long)]
    pub allow_unknown_names: bool,
}

/// Findings about arguments, each with the argument it is about.
#[derive(Default)]
pub struct Checks {
    found: Vec<(String, Finding)>,
}

impl Checks {
    /// Records what a check found about an argument (`ACTION 's3:Get'`).
    pub fn add(&mut self, argument: impl FnOnce() -> String, finding: Option<Finding>) {
        if let Some(f) = finding {
            self.found.push((argument(), f));
        }
    }

    /// Checks the arguments of a question about one request: the action,
    /// the resource for it, and the `--context` keys for the requests the
    /// question makes: the action's, and STS's when `via_roles` (it
    /// assumes roles first).
    pub fn request(
        &mut self,
        (action, resource): (&str, &str),
        context: &Map<String, Value>,
        via_roles: bool,
        allow_unknown: bool,
    ) {
        self.add(
            || format!("ACTION '{action}'"),
            check::action(action, allow_unknown),
        );
        self.add(
            || format!("RESOURCE '{resource}'"),
            check::resource(action, resource),
        );
        let mut services = check::services_of(action);
        if via_roles {
            services.extend(check::services_of_assume_role());
        }
        self.context(context, (Some(&services), Some(action)), allow_unknown);
    }

    /// Checks the `--context` keys and values of a question whose
    /// requests belong to `services` (`None`: any service) and, when it
    /// asks one `action`, that the action takes its service's keys.
    pub fn context(
        &mut self,
        context: &Map<String, Value>,
        (services, action): (Option<&[String]>, Option<&str>),
        allow_unknown: bool,
    ) {
        for (k, v) in context {
            let label = || format!("--context '{k}={}'", text(v));
            let unknown = check::key(k, services, allow_unknown);
            let known = unknown.is_none();
            self.add(label, unknown);
            if known {
                let (values, is_list) = match v {
                    Value::Array(items) => (items.iter().map(text).collect(), true),
                    other => (vec![text(other)], false),
                };
                self.add(label, check::value(k, &values, is_list));
                if let Some(a) = action {
                    self.add(label, check::key_for_action(k, a));
                }
            }
        }
    }

    /// Prints the warnings to stderr; returns the errors, if any.
    pub fn finish(self) -> Result<(), Vec<Diagnostic>> {
        let mut errors = Vec::new();
        let mut err = std::io::stderr().lock();
        for (argument, f) in self.found {
            let message = format!("argument {argument}: {}", f.message);
            match f.severity {
                Severity::Error => errors.push(Diagnostic::bare(message)),
                Severity::Warning => {
                    let _ = writeln!(err, "warning: {message}");
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// A context value as the command line gave it.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
