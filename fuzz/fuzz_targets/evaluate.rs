//! Structure-aware: a generated world (2-3 accounts, users, roles,
//! buckets, a KMS key, an optional organization with SCPs and RCPs) and a
//! generated scenario (a principal, optional `assume_role` steps, action
//! steps), written as the JSON of the README's "Formats" and read by the real
//! loaders. Each scenario runs with `Detail::Decisions` (`eval::decide`)
//! and `Detail::Explanations` (`eval::evaluate`): they must agree, and a
//! second run, or a run in a second load of the same world, must give the
//! same result. Inputs whose world does not load are skipped and counted.
//!
//! `IAMSIM_FUZZ_DUMP=1` prints the generated world and scenario file.
#![no_main]

use iamsim_core::diag::Sources;
use iamsim_core::eval::Outcome;
use iamsim_core::scenario::parse_file;
use iamsim_core::world::{NoFiles, load_world};
use iamsim_fuzz::generate::Input;
use iamsim_fuzz::{Counters, Ran, check_scenario, dump};
use libfuzzer_sys::fuzz_target;
use std::sync::atomic::AtomicU64;

const NAMES: &[&str] = &[
    "world_rejected",
    "scenario_rejected",
    "run_error",
    "allow",
    "implicit_deny",
    "explicit_deny",
];
static VALUES: [AtomicU64; 6] = [const { AtomicU64::new(0) }; 6];
static COUNTERS: Counters = Counters::new(NAMES, &VALUES);

fuzz_target!(|input: Input| {
    run(&input);
    COUNTERS.done();
});

fn run(input: &Input) {
    let (world_json, names) = input.world.to_json();
    let world_text =
        serde_json::to_string_pretty(&world_json).expect("a serde_json value serializes");
    let scenario_json = input.scenario.to_json(&names, input.world.accounts());
    let scenario_text =
        serde_json::to_string_pretty(&scenario_json).expect("a serde_json value serializes");
    let verbose = dump();
    if verbose {
        eprintln!("--- world.json\n{world_text}\n--- scenarios.json\n{scenario_text}");
    }
    let mut sources = Sources::new();
    let wid = sources.add("world.json", world_text.clone());
    let world = match load_world(&mut sources, wid, &mut NoFiles) {
        Ok(w) => w,
        Err(errors) => {
            COUNTERS.bump("world_rejected");
            for d in &errors {
                let r = d.render(&sources);
                if verbose {
                    eprintln!("{r}");
                }
            }
            return;
        }
    };
    // The same text loaded again, to catch order-dependent loading.
    let wid2 = sources.add("world-again.json", world_text);
    let again = load_world(&mut sources, wid2, &mut NoFiles).unwrap_or_else(|e| {
        panic!(
            "a world loaded once but not twice: {}",
            e[0].render(&sources)
        )
    });
    let sid = sources.add("scenarios.json", scenario_text);
    let file = match parse_file(&mut sources, sid, &mut NoFiles) {
        Ok(f) => f,
        Err(errors) => {
            COUNTERS.bump("scenario_rejected");
            for d in &errors {
                let r = d.render(&sources);
                if verbose {
                    eprintln!("{r}");
                }
            }
            return;
        }
    };
    for sc in &file.scenarios {
        let ran = check_scenario(&world, Some(&again), &sources, &file, sc);
        if verbose {
            eprintln!("ran: {ran:?}");
        }
        COUNTERS.bump(match ran {
            Ran::Error(_) => "run_error",
            Ran::Decided(Outcome::Allow) => "allow",
            Ran::Decided(Outcome::ImplicitDeny) => "implicit_deny",
            Ran::Decided(Outcome::ExplicitDeny) => "explicit_deny",
            Ran::Decided(Outcome::Indeterminate) => "indeterminate",
        });
    }
}
