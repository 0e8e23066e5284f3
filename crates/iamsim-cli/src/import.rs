//! `iamsim import`: AWS CLI outputs, or a Terraform plan, in; a world file
//! out.

use crate::fail;
use crate::files::FsLoader;
use clap::Args;
use iamsim_core::diag::{Diagnostic, Sources};
use iamsim_core::import::{self, BucketSpec};
use iamsim_core::terraform::Moment;
use std::path::{Path, PathBuf};

/// Arguments of `iamsim import`.
#[derive(Args)]
pub struct ImportArgs {
    /// Where to write the world.
    #[arg(long)]
    out: PathBuf,
    /// A bucket: NAME=ACCOUNT, or NAME=ACCOUNT:FILE with FILE the output of
    /// `aws s3api get-bucket-policy --bucket NAME` (repeat for each bucket).
    #[arg(
        long = "bucket",
        value_name = "NAME=ACCOUNT[:FILE]",
        conflicts_with = "terraform"
    )]
    buckets: Vec<String>,
    /// Outputs of get-account-authorization-details and of AWS Organizations
    /// (list-roots, list-organizational-units-for-parent, list-accounts-for-parent,
    /// list-policies, describe-policy, list-targets-for-policy, describe-organization).
    #[arg(required_unless_present = "terraform", conflicts_with = "terraform")]
    dumps: Vec<PathBuf>,
    #[command(flatten)]
    plan: PlanArgs,
}

/// The arguments that read a Terraform plan (`import` and `diff`).
#[derive(Args, Clone, Debug, Default)]
pub struct PlanArgs {
    /// A Terraform plan as JSON (`terraform show -json PLANFILE`): the world after it.
    #[arg(long, value_name = "PLAN.json")]
    pub terraform: Option<PathBuf>,
    /// The account of the plan's provider configurations: ACCOUNT for every
    /// configuration without its own, PROVIDER=ACCOUNT for one (a key of the
    /// plan's configuration.provider_config, such as aws.west).
    #[arg(
        long = "terraform-account",
        value_name = "[PROVIDER=]ACCOUNT",
        requires = "terraform"
    )]
    pub accounts: Vec<String>,
    /// The deployed world the plan applies to (default: an empty world).
    #[arg(long, value_name = "W", requires = "terraform")]
    pub base: Option<PathBuf>,
    /// Anything the plan knows only after apply is an error.
    #[arg(long, requires = "terraform")]
    pub strict: bool,
}

/// Runs `iamsim import`; returns the exit status (0 written, 2 bad input).
pub fn import(args: &ImportArgs) -> u8 {
    if let Some(plan) = &args.plan.terraform {
        let mut sources = Sources::new();
        let world = match crate::terraform::world(&mut sources, plan, &args.plan, Moment::After) {
            Ok(w) => w,
            Err(errors) => return fail(&sources, &errors),
        };
        return write_world(&mut sources, &world, &args.out);
    }
    let mut sources = Sources::new();
    let mut loader = FsLoader::default();
    let mut errors = Vec::new();
    let mut dumps = Vec::new();
    for p in &args.dumps {
        match loader.read(&mut sources, p) {
            Ok(id) => dumps.push(id),
            Err(d) => errors.push(d),
        }
    }
    let mut buckets = Vec::new();
    for spec in &args.buckets {
        let Some((name, rest)) = spec.split_once('=') else {
            errors.push(Diagnostic::bare(format!(
                "--bucket \"{spec}\" must be NAME=ACCOUNT or NAME=ACCOUNT:FILE"
            )));
            continue;
        };
        let (account, file) = match rest.split_once(':') {
            Some((a, f)) => (a, Some(f)),
            None => (rest, None),
        };
        let policy = match file {
            None => None,
            Some(f) => match loader.read(&mut sources, &PathBuf::from(f)) {
                Ok(id) => Some(id),
                Err(d) => {
                    errors.push(d);
                    continue;
                }
            },
        };
        buckets.push(BucketSpec {
            name: name.to_string(),
            account: account.to_string(),
            policy,
        });
    }
    if !errors.is_empty() {
        return fail(&sources, &errors);
    }
    let world = match import::import(&mut sources, &dumps, &buckets) {
        Ok(w) => w,
        Err(errors) => return fail(&sources, &errors),
    };
    write_world(&mut sources, &world, &args.out)
}

/// Writes a world as pretty JSON, after checking that it loads as written.
fn write_world(sources: &mut Sources, world: &serde_json::Value, out: &Path) -> u8 {
    let mut loader = FsLoader::default();
    let text = match serde_json::to_string_pretty(world) {
        Ok(t) => t + "\n",
        Err(e) => {
            return fail(
                sources,
                &[Diagnostic::bare(format!("cannot write the world: {e}"))],
            );
        }
    };
    // The world must load as it is written: check it before writing.
    let check = sources.add(out.display().to_string(), text.clone());
    if let Err(errors) = iamsim_core::world::load_world(sources, check, &mut loader) {
        return fail(sources, &errors);
    }
    if let Err(e) = std::fs::write(out, text) {
        return fail(
            sources,
            &[Diagnostic::bare(format!(
                "{}: cannot write: {e}",
                out.display()
            ))],
        );
    }
    0
}
