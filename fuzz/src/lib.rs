//! Helpers shared by the fuzz targets: the checks run on every scenario,
//! the structure-aware generator of the `evaluate` target, and counters.

pub mod generate;

use iamsim_core::diag::Sources;
use iamsim_core::eval::Outcome;
use iamsim_core::report::{Asked, RequestTrace};
use iamsim_core::request::Clock;
use iamsim_core::scenario::{Detail, Scenario, ScenarioFile, ScenarioResult, run_scenario};
use iamsim_core::world::World;
use std::sync::atomic::{AtomicU64, Ordering};

/// The fixed clock of every run (`aws:CurrentTime` = the Unix epoch), so
/// that a run depends on its input only.
pub fn clock() -> Clock {
    Clock::new(jiff::Timestamp::UNIX_EPOCH)
}

/// Everything a run decided, in a form that compares.
type Comparable = (
    Outcome,
    Option<usize>,
    Option<bool>,
    Vec<(String, Outcome, Vec<RequestTrace>)>,
);

fn comparable(r: &ScenarioResult) -> Comparable {
    (
        r.outcome,
        r.denied_at,
        r.pass,
        r.steps
            .iter()
            .map(|s| (s.principal.clone(), s.outcome, s.requests.clone()))
            .collect(),
    )
}

/// What a scenario run ended with, for the counters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ran {
    /// It ran to a decision.
    Decided(Outcome),
    /// It was bad input (an unknown principal or role...): the rendered
    /// diagnostic.
    Error(String),
}

/// Runs `sc` in `world` with [`Detail::Decisions`] and with
/// [`Detail::Explanations`], twice each, and (when given) once more in
/// `again`, the same world loaded a second time. Panics when the fast path
/// and the explaining path disagree, when a run is not deterministic, or
/// when the explanation does not fit the decision.
pub fn check_scenario(
    world: &World,
    again: Option<&World>,
    sources: &Sources,
    file: &ScenarioFile,
    sc: &Scenario,
) -> Ran {
    let clock = clock();
    let run = |w: &World, detail| run_scenario(w, file, sc, &clock, detail);
    let fast = run(world, Detail::Decisions);
    let slow = run(world, Detail::Explanations);
    let ran = match (&fast, &slow) {
        (Ok(f), Ok(s)) => {
            assert_eq!(
                (f.outcome, f.denied_at, f.pass),
                (s.outcome, s.denied_at, s.pass),
                "eval::decide (Detail::Decisions) and eval::evaluate (Detail::Explanations) disagree \
                 on scenario {:?}; explanation: {:#?}",
                sc.name,
                s.steps
            );
            assert!(f.steps.is_empty(), "Detail::Decisions kept explanations");
            assert_eq!(f.depends_on, s.depends_on, "the paths disagree on the unknowns");
            // With unknowns the run decides in two readings: the reading
            // that allows runs on past a step the other denies, and a
            // step's own decision need not be the scenario's (README,
            // "What the decisions mean").
            let one_reading = !world.has_unknowns();
            let ran_steps = s.denied_at.map_or(sc.steps.len(), |i| i + 1);
            assert!(
                !one_reading || s.steps.len() == ran_steps,
                "Detail::Explanations kept {} step results for {} steps run",
                s.steps.len(),
                ran_steps
            );
            for (i, st) in s.steps.iter().enumerate() {
                let expected = if Some(i) == s.denied_at {
                    s.outcome
                } else {
                    Outcome::Allow
                };
                assert!(
                    !one_reading || st.outcome == expected,
                    "step {i}'s explained outcome {:?}, not {expected:?}",
                    st.outcome
                );
                assert!(!st.requests.is_empty(), "step {i} has no request trace");
                for r in &st.requests {
                    let _ = r.to_json(Asked::FileKeys).to_string();
                }
            }
            Ran::Decided(s.outcome)
        }
        (Err(a), Err(b)) => {
            let (ra, rb) = (a.render(sources), b.render(sources));
            assert_eq!(ra, rb, "the two detail levels fail differently");
            Ran::Error(ra)
        }
        (Ok(f), Err(e)) => panic!(
            "Detail::Decisions decided {:?} but Detail::Explanations failed: {}",
            f.outcome,
            e.render(sources)
        ),
        (Err(e), Ok(s)) => panic!(
            "Detail::Explanations decided {:?} but Detail::Decisions failed: {}",
            s.outcome,
            e.render(sources)
        ),
    };
    // Determinism: the same run again, and the same run in a second load
    // of the same world.
    let same =
        |a: &Result<ScenarioResult, _>, b: &Result<ScenarioResult, _>, what: &str| match (a, b) {
            (Ok(x), Ok(y)) => assert_eq!(comparable(x), comparable(y), "{what}"),
            (Err(x), Err(y)) => assert_eq!(
                iamsim_core::diag::Diagnostic::render(x, sources),
                iamsim_core::diag::Diagnostic::render(y, sources),
                "{what}"
            ),
            _ => panic!("{what}: one run failed and the other did not"),
        };
    same(
        &fast,
        &run(world, Detail::Decisions),
        "Detail::Decisions is not deterministic",
    );
    same(
        &slow,
        &run(world, Detail::Explanations),
        "Detail::Explanations is not deterministic",
    );
    if let Some(w2) = again {
        same(
            &slow,
            &run(w2, Detail::Explanations),
            "the same world loaded twice explains differently",
        );
    }
    ran
}

/// Named counters, printed now and then to stderr (at 2^k executions)
/// so that a run shows what share of the inputs reached evaluation.
pub struct Counters {
    names: &'static [&'static str],
    values: &'static [AtomicU64],
    total: AtomicU64,
}

impl Counters {
    /// Counters with these names (`values` has as many zeroes).
    pub const fn new(names: &'static [&'static str], values: &'static [AtomicU64]) -> Counters {
        Counters {
            names,
            values,
            total: AtomicU64::new(0),
        }
    }

    /// Counts one execution that ended as `name`.
    pub fn bump(&self, name: &str) {
        if let Some(i) = self.names.iter().position(|n| *n == name) {
            if let Some(v) = self.values.get(i) {
                v.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Ends one execution; prints the counters when the total is a power
    /// of two past 1024.
    pub fn done(&self) {
        let n = self.total.fetch_add(1, Ordering::Relaxed) + 1;
        if n >= 1024 && n.is_power_of_two() {
            let parts: Vec<String> = self
                .names
                .iter()
                .zip(self.values)
                .map(|(k, v)| format!("{k}={}", v.load(Ordering::Relaxed)))
                .collect();
            eprintln!("iamsim-fuzz stats after {n} inputs: {}", parts.join(" "));
        }
    }
}

/// True when `IAMSIM_FUZZ_DUMP` is set: targets then print what they
/// generated (to reproduce a crash by hand).
pub fn dump() -> bool {
    std::env::var_os("IAMSIM_FUZZ_DUMP").is_some()
}
