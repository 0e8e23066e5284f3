//! `iamsim import`: AWS CLI outputs in, a world file out.

use crate::fail;
use crate::files::FsLoader;
use clap::Args;
use iamsim_core::diag::{Diagnostic, Sources};
use iamsim_core::import::{self, BucketSpec};
use std::path::PathBuf;

/// Arguments of `iamsim import`.
#[derive(Args)]
pub struct ImportArgs {
    /// Where to write the world.
    #[arg(long)]
    out: PathBuf,
    /// A bucket: NAME=ACCOUNT, or NAME=ACCOUNT:FILE with FILE the output of
    /// `aws s3api get-bucket-policy --bucket NAME` (repeat for each bucket).
    #[arg(long = "bucket", value_name = "NAME=ACCOUNT[:FILE]")]
    buckets: Vec<String>,
    /// Outputs of get-account-authorization-details and of AWS Organizations
    /// (list-roots, list-organizational-units-for-parent, list-accounts-for-parent,
    /// list-policies, describe-policy, list-targets-for-policy, describe-organization).
    #[arg(required = true)]
    dumps: Vec<PathBuf>,
}

/// Runs `iamsim import`; returns the exit status (0 written, 2 bad input).
pub fn import(args: &ImportArgs) -> u8 {
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
    let text = match serde_json::to_string_pretty(&world) {
        Ok(t) => t + "\n",
        Err(e) => {
            return fail(
                &sources,
                &[Diagnostic::bare(format!("cannot write the world: {e}"))],
            );
        }
    };
    // The world must load as it is written: check it before writing.
    let check = sources.add(args.out.display().to_string(), text.clone());
    if let Err(errors) = iamsim_core::world::load_world(&mut sources, check, &mut loader) {
        return fail(&sources, &errors);
    }
    if let Err(e) = std::fs::write(&args.out, text) {
        return fail(
            &sources,
            &[Diagnostic::bare(format!(
                "{}: cannot write: {e}",
                args.out.display()
            ))],
        );
    }
    0
}
