//! Arbitrary bytes (non-UTF-8 read lossily, as the CLI does) as a
//! Terraform plan (`terraform show -json`), imported with
//! `terraform::import` five ways: the worlds after and before the plan on
//! an empty world and on a small base world (testdata's update-destroy
//! `base.json`), each with `--terraform-account 111111111111` for every
//! provider configuration; and the world after it with no account
//! argument, so the plan's own caller identities and known ARNs settle the
//! accounts. Nothing may panic. A world the importer writes must load with
//! `world::load_world` (a world the importer writes and the loader refuses
//! is an importer bug: the target panics with the loader's errors). A
//! refused plan has at least one diagnostic, and every one of them renders
//! and is located (in the plan, or in a policy document embedded in it as
//! a JSON string, which is registered as a source of its own).
#![no_main]

use iamsim_core::diag::{Diagnostic, SourceId, Sources};
use iamsim_core::terraform::{self, AccountArg, Moment, Options};
use iamsim_core::world::{NoFiles, load_world};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::sync::LazyLock;

/// The base world of the `--base` runs: a deployed account with roles,
/// users, policies and a bucket, which the seed plans update and destroy.
static BASE: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(include_str!(
        "../../testdata/terraform/update-destroy/base.json"
    ))
    .expect("the base world is JSON")
});

fuzz_target!(|data: &[u8]| {
    let mut sources = Sources::new();
    let plan = sources.add("plan.json", String::from_utf8_lossy(data).into_owned());
    let default_account = Options {
        accounts: vec![AccountArg {
            provider: None,
            account: "111111111111".into(),
        }],
        strict: false,
    };
    for base in [None, Some(&*BASE)] {
        for moment in [Moment::After, Moment::Before] {
            check(&mut sources, plan, base, &default_account, moment);
        }
    }
    check(&mut sources, plan, None, &Options::default(), Moment::After);
});

/// One import of the plan: its world loads, or its errors are located.
fn check(
    sources: &mut Sources,
    plan: SourceId,
    base: Option<&Value>,
    opts: &Options,
    moment: Moment,
) {
    match terraform::import(sources, plan, base.cloned(), opts, moment) {
        Ok(imported) => {
            let text = serde_json::to_string_pretty(&imported.world)
                .expect("a serde_json value serializes");
            let world = sources.add("world.json", text);
            if let Err(errors) = load_world(sources, world, &mut NoFiles) {
                let rendered: Vec<String> = errors.iter().map(|d| d.render(sources)).collect();
                panic!(
                    "the world imported {moment:?} the plan (base: {}) does not load:\n{}",
                    base.is_some(),
                    rendered.join("\n")
                );
            }
            for d in &imported.warnings {
                assert_located(d, sources);
                let _ = d.render_as(sources, "warning");
            }
        }
        Err(errors) => {
            assert!(!errors.is_empty(), "the import failed without a diagnostic");
            for d in &errors {
                assert_located(d, sources);
                let _ = d.render(sources);
            }
        }
    }
}

/// A diagnostic of the importer points into a registered source.
fn assert_located(d: &Diagnostic, sources: &Sources) {
    let Some(loc) = &d.location else {
        panic!("an unlocated diagnostic: {}", d.message);
    };
    assert!(
        sources.get(loc.source).is_some(),
        "a diagnostic located in no source: {}",
        d.message
    );
}
