//! Structure-aware: the world of `evaluate` (fuzz/src/generate.rs), then a
//! request (an action and resource of the scenario vocabulary), a user and
//! fixed values of `aws:MultiFactorAuthPresent`, `sts:ExternalId` and
//! `aws:SourceIp`. `access::who_can` is asked for the request twice, with
//! an empty context and with the fixed keys: it must not panic, its chain
//! lengths must not decrease in the order returned, a second call must
//! list the same principals, and every reach that needs nothing of open
//! keys, played as a scenario (its `assume_role` steps with session name
//! `iamsim`, then the request) with the same context as file context, must
//! be allowed. `access::what_can` is asked for the user (with the fixed
//! keys, limited to `arn:aws:s3:::NAME/*` when the request is on an object
//! of bucket NAME) and must not panic.
//!
//! `IAMSIM_FUZZ_DUMP=1` prints the generated world and request.
#![no_main]

use iamsim_core::access::what_can::{self, what_can};
use iamsim_core::access::who_can::{self, Reach, who_can};
use iamsim_core::catalog::check::{self, Severity};
use iamsim_core::context::Context;
use iamsim_core::diag::Sources;
use iamsim_core::eval::Outcome;
use iamsim_core::scenario::{Detail, parse_file, run_scenario};
use iamsim_core::world::{NoFiles, World, load_world};
use iamsim_fuzz::generate::{AccessInput, Request};
use iamsim_fuzz::{Counters, clock, dump};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};
use std::sync::atomic::AtomicU64;

const NAMES: &[&str] = &[
    "world_rejected",
    "question_error",
    "nobody",
    "reached",
    "played",
    "what_can_error",
    "names_refused",
];
static VALUES: [AtomicU64; 7] = [const { AtomicU64::new(0) }; 7];
static COUNTERS: Counters = Counters::new(NAMES, &VALUES);

fuzz_target!(|input: AccessInput| {
    run(&input);
    COUNTERS.done();
});

fn run(input: &AccessInput) {
    let (world_json, names) = input.world.to_json();
    let world_text =
        serde_json::to_string_pretty(&world_json).expect("a serde_json value serializes");
    let accounts = input.world.accounts();
    let request = input.request.resolve(&names, accounts);
    let verbose = dump();
    if verbose {
        eprintln!(
            "--- world.json\n{world_text}\n--- request {request:?}\n--- fixed {:?}",
            input.fixed.pairs()
        );
    }
    let mut sources = Sources::new();
    let wid = sources.add("world.json", world_text);
    let Ok(world) = load_world(&mut sources, wid, &mut NoFiles) else {
        COUNTERS.bump("world_rejected");
        return;
    };
    let pairs = input.fixed.pairs();
    let mut fixed = Context::new();
    for (k, v) in pairs {
        fixed.set(k, v);
    }
    let mut fixed_json = Map::new();
    for (k, v) in pairs {
        fixed_json.insert(k.into(), v.into());
    }
    check_who_can(&world, &mut sources, &request, &Context::new(), None);
    check_who_can(
        &world,
        &mut sources,
        &request,
        &fixed,
        Some(Value::Object(fixed_json)),
    );

    // what_can for one user of the world.
    let Some(user) = names.user(input.user) else {
        return;
    };
    let clock = clock();
    let q = what_can::Question {
        principal: user,
        resource: request.objects.as_deref(),
        context: &fixed,
        region: None,
        clock: &clock,
    };
    match what_can(&world, &q) {
        Ok(ids) => {
            if verbose {
                for id in &ids {
                    eprintln!(
                        "what-can {} via {:?}: {:?}",
                        id.arn,
                        id.chain,
                        id.access
                            .iter()
                            .map(|a| (&a.resource, a.actions.len()))
                            .collect::<Vec<_>>()
                    );
                }
            }
        }
        Err(e) => {
            COUNTERS.bump("what_can_error");
            if verbose {
                eprintln!("what-can error: {e}");
            }
        }
    }
}

/// Asks `who_can` twice with `context`; checks the order, determinism and
/// every need-free reach against a scenario run with `file_context`.
fn check_who_can(
    world: &World,
    sources: &mut Sources,
    request: &Request,
    context: &Context,
    file_context: Option<Value>,
) {
    let clock = clock();
    let q = who_can::Question {
        action: request.action,
        resource: &request.resource,
        resource_account: request.resource_account,
        context,
        region: None,
        clock: &clock,
    };
    let found = match who_can(world, &q) {
        Ok(f) => f,
        Err(e) => {
            COUNTERS.bump("question_error");
            if dump() {
                eprintln!("who-can error: {e}");
            }
            // The same question must fail the same way.
            assert_eq!(
                who_can(world, &q).err(),
                Some(e),
                "who_can failed once but not twice"
            );
            return;
        }
    };
    if dump() {
        for r in &found {
            eprintln!(
                "who-can ({}): {} via {:?} needs {:?}",
                if file_context.is_some() {
                    "fixed"
                } else {
                    "empty"
                },
                r.principal,
                r.chain,
                r.needs().map(|n| n.text()).collect::<Vec<_>>()
            );
        }
    }
    COUNTERS.bump(if found.is_empty() { "nobody" } else { "reached" });
    for w in found.windows(2) {
        assert!(
            w[0].chain.len() <= w[1].chain.len(),
            "who_can's chains are not sorted by length: {} via {:?} before {} via {:?}",
            w[0].principal,
            w[0].chain,
            w[1].principal,
            w[1].chain
        );
    }
    let again = who_can(world, &q).expect("who_can answered once but failed the second time");
    let principals = |v: &[Reach]| -> Vec<(String, usize)> {
        v.iter()
            .map(|r| (r.principal.clone(), r.chain.len()))
            .collect()
    };
    assert_eq!(
        principals(&found),
        principals(&again),
        "who_can is not deterministic"
    );

    // Reaches that rest on what is known only after apply are
    // indeterminate, not allowed: the scenario runner says so too.
    let free: Vec<&Reach> = found
        .iter()
        .filter(|r| r.needs().next().is_none() && r.depends_on.is_empty())
        .collect();
    if free.is_empty() {
        return;
    }
    // A resource of no type its action takes: the command line and scenario
    // files refuse the question, so there is nothing to replay.
    if check::resource(request.action, &request.resource)
        .is_some_and(|f| f.severity == Severity::Error)
    {
        COUNTERS.bump("names_refused");
        return;
    }
    let scenarios: Vec<Value> = free
        .iter()
        .map(|r| {
            let mut steps: Vec<Value> = r
                .chain
                .iter()
                .map(|role| json!({"assume_role": role, "session_name": "iamsim"}))
                .collect();
            let mut act = json!({"action": request.action, "resource": request.resource});
            if let Some(a) = request.resource_account {
                act["resource_account"] = a.into();
            }
            steps.push(act);
            json!({"name": r.principal, "principal": r.principal, "steps": steps, "expect": "allow"})
        })
        .collect();
    let mut file = json!({"scenarios": scenarios});
    if let Some(mut c) = file_context {
        // An `sts:` key reaches no request of a file that assumes no role,
        // which scenario files refuse; it decides nothing there.
        let no_sts = free.iter().all(|r| r.chain.is_empty()) && !request.action.starts_with("sts:");
        if let (true, Some(keys)) = (no_sts, c.as_object_mut()) {
            keys.retain(|k, _| !k.starts_with("sts:"));
        }
        file["context"] = c;
    }
    let text = serde_json::to_string_pretty(&file).expect("a serde_json value serializes");
    let sid = sources.add("who-can-chains.json", text.clone());
    let parsed = parse_file(sources, sid, &mut NoFiles).unwrap_or_else(|e| {
        panic!(
            "the scenarios of who_can's chains do not parse: {}\n{text}",
            e[0].render(sources)
        )
    });
    assert_eq!(parsed.scenarios.len(), free.len());
    for (sc, r) in parsed.scenarios.iter().zip(&free) {
        COUNTERS.bump("played");
        let result = run_scenario(world, &parsed, sc, &clock, Detail::Explanations)
            .unwrap_or_else(|e| {
                panic!(
                    "who_can reports {} via {:?} with no needs, but the scenario fails to run: {}\n{text}",
                    r.principal,
                    r.chain,
                    e.render(sources)
                )
            });
        assert_eq!(
            result.outcome,
            Outcome::Allow,
            "who_can reports {} via {:?} needing nothing (for {} on {}), but playing the chain \
             gives {:?} at step {:?}\nscenario file:\n{text}\nwho_can steps: {:#?}\nscenario steps: {:#?}",
            r.principal,
            r.chain,
            request.action,
            request.resource,
            result.outcome,
            result.denied_at,
            r.steps.iter().map(|s| s.trace.to_json(iamsim_core::report::Asked::FileKeys).to_string()).collect::<Vec<_>>(),
            result.steps.iter().map(|s| s.requests.iter().map(|t| t.to_json(iamsim_core::report::Asked::FileKeys).to_string()).collect::<Vec<_>>()).collect::<Vec<_>>()
        );
    }
}
