//! `iamsim-peer`: iamsim-core against `@cloud-copilot/iam-simulate` on the
//! same single-step requests (see `benches/peer/README.md`).
//!
//! ```text
//! iamsim-peer generate --count 1000 --seed 42 --out requests.json
//! iamsim-peer run --requests requests.json [--function decide|evaluate] [--threads 1]
//!                 [--min-seconds 3] [--decisions out.json]
//! iamsim-peer compare --requests requests.json --iamsim a.json [--iamsim b.json] --peer p.json [--peer q.json]
//! ```
//!
//! `run` loads one world per request and compiles every policy before the
//! clock starts; only the evaluation is timed: `--function evaluate` (the
//! decision with its explanation, `iamsim_core::eval::evaluate`) or
//! `--function decide` (the decision alone, `iamsim_core::eval::decide`).
//! Each timed request builds its context as iamsim's own runs do: the
//! request's keys over the keys iamsim derives (`Layered` over `Derived`).
//! It prints a JSON summary and writes every decision (with the summary) to
//! `--decisions`. `compare` reads the decision files of both sides, prints
//! every request on which they disagree with both answers, then the
//! throughputs and their ratios.

mod requests;

use iamsim_core::context::{Context, Layered};
use iamsim_core::diag::Sources;
use iamsim_core::eval::{self, Decision, Outcome, Request};
use iamsim_core::request::{Caller, Clock, Derived, Target};
use iamsim_core::world::{User, World};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("generate") => generate(args.get(1..).unwrap_or_default()),
        Some("run") => run(args.get(1..).unwrap_or_default()),
        Some("compare") => compare(args.get(1..).unwrap_or_default()),
        _ => Err(
            "usage: iamsim-peer generate|run|compare [options] (see benches/peer/README.md)"
                .to_string(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("iamsim-peer: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Command-line options: `--name value` pairs, a name may repeat.
struct Opts(Vec<(String, String)>);

impl Opts {
    fn parse(args: &[String], known: &[&str]) -> Result<Opts, String> {
        let mut out = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let name = a
                .strip_prefix("--")
                .filter(|n| known.contains(n))
                .ok_or_else(|| format!("unknown option {a} (known: --{})", known.join(", --")))?;
            let value = it.next().ok_or_else(|| format!("{a} needs a value"))?;
            out.push((name.to_string(), value.clone()));
        }
        Ok(Opts(out))
    }

    fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.all(name).last().copied()
    }

    fn need(&self, name: &str) -> Result<&str, String> {
        self.get(name)
            .ok_or_else(|| format!("--{name} is required"))
    }

    fn num<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| format!("--{name} {v}: not a number")),
        }
    }
}

fn read_json(path: &str) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))
}

fn write_json(path: &str, v: &Value) -> Result<(), String> {
    let text = serde_json::to_string_pretty(v).map_err(|e| e.to_string())?;
    std::fs::write(path, text + "\n").map_err(|e| format!("writing {path}: {e}"))
}

/// Parses the fixed request time (`aws:CurrentTime`).
fn parse_now(text: &str) -> Result<jiff::Timestamp, String> {
    text.parse()
        .map_err(|e| format!("bad request time {text}: {e}"))
}

/// `generate`: writes the requests file.
fn generate(args: &[String]) -> Result<(), String> {
    let o = Opts::parse(args, &["count", "seed", "out"])?;
    let count: usize = o.num("count", 1000)?;
    let seed: u64 = o.num("seed", 42)?;
    let out = o.need("out")?;
    let mut reqs = requests::generate(count, seed);
    requests::complete_contexts(&mut reqs, &Clock::new(parse_now(requests::NOW)?))?;
    let file = json!({
        "format": requests::FORMAT,
        "seed": seed,
        "now": requests::NOW,
        "organization": {"id": requests::ORG_ID, "management_account": requests::MANAGEMENT_ACCOUNT},
        "requests": reqs,
    });
    write_json(out, &file)?;
    eprintln!("wrote {count} requests (seed {seed}) to {out}");
    Ok(())
}

/// Which iamsim-core function `run` times.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Function {
    /// `eval::evaluate`: the decision and its explanation.
    Evaluate,
    /// `eval::decide`: the decision alone.
    Decide,
}

impl Function {
    fn name(self) -> &'static str {
        match self {
            Function::Evaluate => "iamsim_core::eval::evaluate",
            Function::Decide => "iamsim_core::eval::decide",
        }
    }
}

/// One request ready to evaluate: its world, caller, target and the keys
/// the request carries.
struct Prepared<'a> {
    id: u64,
    world: &'a World,
    user: &'a User,
    action: &'a str,
    target: Target<'a>,
    /// The request's own keys (`context` of the file).
    context: Context,
    clock: &'a Clock,
    empty: &'a Context,
}

impl Prepared<'_> {
    /// Builds the request (context: the request's keys over what iamsim
    /// derives) and hands it to `f`.
    fn with_request<R>(&self, f: impl FnOnce(&Request<'_>) -> R) -> R {
        let caller = Caller::User(self.user);
        let derived = Derived {
            world: self.world,
            caller,
            target: &self.target,
            clock: self.clock,
            assume: None,
            service: iamsim_core::request::service_of(self.action),
            region: None,
        };
        let ctx = Layered {
            layers: [&self.context, self.empty, self.empty],
            base: derived,
        };
        f(&Request {
            caller,
            action: self.action,
            target: &self.target,
            context: &ctx,
            identity_required: false,
        })
    }

    fn outcome(&self, function: Function) -> Outcome {
        self.with_request(|r| match function {
            Function::Evaluate => eval::evaluate(self.world, r).outcome,
            Function::Decide => eval::decide(self.world, r),
        })
    }

    fn explained(&self) -> (Outcome, String) {
        self.with_request(|r| {
            let d: Decision<'_> = eval::evaluate(self.world, r);
            (d.outcome, d.summary)
        })
    }
}

fn requests_of(file: &Value) -> Result<&Vec<Value>, String> {
    if file.get("format").and_then(Value::as_str) != Some(requests::FORMAT) {
        return Err(format!("not a {} file", requests::FORMAT));
    }
    file.get("requests")
        .and_then(Value::as_array)
        .ok_or_else(|| "no \"requests\" list".to_string())
}

fn prepare<'a>(
    worlds: &'a [World],
    reqs: &'a [Value],
    clock: &'a Clock,
    empty: &'a Context,
) -> Result<Vec<Prepared<'a>>, String> {
    worlds
        .iter()
        .zip(reqs)
        .map(|(world, req)| {
            let id = req.get("id").and_then(Value::as_u64).unwrap_or_default();
            let at = |e: String| format!("request {id}: {e}");
            let user = requests::user_of(world, req).map_err(at)?;
            let target = requests::target_of(world, user, req).map_err(at)?;
            // The file's aws_context must be what iamsim derives itself:
            // then the peer, which reads it, sees iamsim's context.
            let derived = requests::derived_context(world, user, &target, clock, req)?;
            let written = req.get("aws_context").and_then(Value::as_object);
            if written != Some(&derived) {
                return Err(at(format!(
                    "aws_context {} differs from what iamsim derives: {}",
                    req.get("aws_context").unwrap_or(&Value::Null),
                    Value::Object(derived)
                )));
            }
            Ok(Prepared {
                id,
                world,
                user,
                action: requests::str_field(req, "action")?,
                target,
                context: requests::file_context(req)?,
                clock,
                empty,
            })
        })
        .collect()
}

/// Evaluates every request once per pass until `min` has passed; returns
/// the number of decisions and the wall time.
fn timed(
    prepared: &[Prepared<'_>],
    function: Function,
    threads: usize,
    min: Duration,
) -> (u64, Duration) {
    let start = Instant::now();
    let total: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let mut n = 0u64;
                    let offset = prepared.len() * t / threads.max(1);
                    loop {
                        for p in prepared
                            .iter()
                            .skip(offset)
                            .chain(prepared.iter().take(offset))
                        {
                            black_box(p.outcome(function));
                            n += 1;
                        }
                        if start.elapsed() >= min {
                            break n;
                        }
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    (total, start.elapsed())
}

/// `run`: evaluates the requests file with iamsim-core and times it.
fn run(args: &[String]) -> Result<(), String> {
    let o = Opts::parse(
        args,
        &[
            "requests",
            "function",
            "threads",
            "min-seconds",
            "decisions",
        ],
    )?;
    let function = match o.get("function").unwrap_or("decide") {
        "decide" => Function::Decide,
        "evaluate" => Function::Evaluate,
        other => return Err(format!("--function {other}: decide or evaluate")),
    };
    let file = read_json(o.need("requests")?)?;
    let reqs = requests_of(&file)?;
    let threads: usize = o.num("threads", 1)?;
    let min_seconds: f64 = o.num("min-seconds", 3.0)?;
    if threads == 0 || min_seconds.is_nan() || min_seconds <= 0.0 {
        return Err("--threads and --min-seconds must be positive".into());
    }

    let load_start = Instant::now();
    let mut sources = Sources::new();
    let worlds = reqs
        .iter()
        .map(|r| requests::load(&mut sources, r))
        .collect::<Result<Vec<_>, _>>()?;
    let now = file
        .get("now")
        .and_then(Value::as_str)
        .ok_or("the requests file has no \"now\"")?;
    let clock = Clock::new(parse_now(now)?);
    let empty = Context::new();
    let prepared = prepare(&worlds, reqs, &clock, &empty)?;
    let load_time = load_start.elapsed();

    // Untimed pass: the decisions themselves.
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    let mut decisions = Vec::with_capacity(prepared.len());
    for p in &prepared {
        let (outcome, why) = p.explained();
        if p.outcome(function) != outcome {
            return Err(format!(
                "request {}: {} and evaluate decide differently",
                p.id,
                function.name()
            ));
        }
        *counts.entry(outcome.as_str()).or_default() += 1;
        decisions.push(json!({"id": p.id, "decision": outcome.as_str(), "why": why}));
    }
    // Warm-up, then the timed passes.
    let _ = timed(&prepared, function, threads, Duration::from_millis(300));
    let (n, wall) = timed(
        &prepared,
        function,
        threads,
        Duration::from_secs_f64(min_seconds),
    );
    #[allow(clippy::cast_precision_loss, reason = "a rate, not an exact count")]
    let per_second = n as f64 / wall.as_secs_f64();
    let summary = json!({
        "engine": "iamsim-core",
        "version": env!("CARGO_PKG_VERSION"),
        "function": function.name(),
        "threads": threads,
        "requests": prepared.len(),
        "decisions_timed": n,
        "seconds": wall.as_secs_f64(),
        "per_second": per_second,
        "mean_ns": wall.as_secs_f64() * 1e9 * threads as f64 / n.max(1) as f64,
        "load_and_compile_seconds": load_time.as_secs_f64(),
        "counts": counts,
    });
    println!("{summary}");
    if let Some(path) = o.get("decisions") {
        write_json(path, &json!({"summary": summary, "decisions": decisions}))?;
    }
    Ok(())
}

/// Decision by request id, with its explanation (`why`, any JSON).
type Decisions = BTreeMap<u64, (String, Value)>;

/// The decisions of a decision file.
fn decision_map(file: &Value) -> Decisions {
    file.get("decisions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|d| {
            let id = d.get("id")?.as_u64()?;
            let dec = d.get("decision")?.as_str()?.to_string();
            Some((id, (dec, d.get("why").cloned().unwrap_or(Value::Null))))
        })
        .collect()
}

/// Only the outcomes of decisions.
fn outcomes(m: &Decisions) -> BTreeMap<u64, &str> {
    m.iter().map(|(k, (d, _))| (*k, d.as_str())).collect()
}

fn label(summary: &Value) -> String {
    let s = |k: &str| {
        summary
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string()
    };
    let threads = summary.get("threads").and_then(Value::as_u64).unwrap_or(1);
    let mut out = format!("{} {} ({}", s("engine"), s("version"), s("function"));
    if let Some(m) = summary.get("mode").and_then(Value::as_str) {
        out.push_str(&format!(", {m}"));
    }
    out.push_str(&format!(
        ", {threads} thread{})",
        if threads == 1 { "" } else { "s" }
    ));
    out
}

fn rate(summary: &Value) -> f64 {
    summary
        .get("per_second")
        .and_then(Value::as_f64)
        .unwrap_or(0.0)
}

/// The fastest of some run summaries.
fn fastest_of(summaries: Vec<&Value>) -> Option<&Value> {
    summaries
        .into_iter()
        .max_by(|a, b| rate(a).total_cmp(&rate(b)))
}

/// `compare`: disagreements between the first iamsim decision file and
/// every peer decision file, then the throughput table.
fn compare(args: &[String]) -> Result<(), String> {
    let o = Opts::parse(args, &["requests", "iamsim", "peer"])?;
    let file = read_json(o.need("requests")?)?;
    let reqs = requests_of(&file)?;
    let ours = o
        .all("iamsim")
        .into_iter()
        .map(read_json)
        .collect::<Result<Vec<_>, _>>()?;
    let peers = o
        .all("peer")
        .into_iter()
        .map(read_json)
        .collect::<Result<Vec<_>, _>>()?;
    let first = ours.first().ok_or("--iamsim is required")?;
    let mine = decision_map(first);
    for other in ours.iter().skip(1) {
        if outcomes(&decision_map(other)) != outcomes(&mine) {
            return Err("two iamsim runs decided differently".into());
        }
    }
    let mut seen: Vec<(Decisions, String)> = Vec::new();
    for peer in &peers {
        let theirs = decision_map(peer);
        let peer_label = label(peer.get("summary").unwrap_or(&Value::Null));
        if let Some((_, same)) = seen.iter().find(|(m, _)| outcomes(m) == outcomes(&theirs)) {
            println!("{peer_label} decides every request as {same}\n");
            continue;
        }
        seen.push((theirs.clone(), peer_label.clone()));
        let mut disagreements = 0usize;
        let mut pairs: BTreeMap<(String, String), usize> = BTreeMap::new();
        for req in reqs {
            let id = req.get("id").and_then(Value::as_u64).unwrap_or_default();
            let (a, why_a) = mine
                .get(&id)
                .map_or(("missing", &Value::Null), |(d, w)| (d.as_str(), w));
            let (b, why_b) = theirs
                .get(&id)
                .map_or(("missing", &Value::Null), |(d, w)| (d.as_str(), w));
            if a == b {
                continue;
            }
            disagreements += 1;
            *pairs.entry((a.to_string(), b.to_string())).or_default() += 1;
            let pretty = serde_json::to_string_pretty(req).map_err(|e| e.to_string())?;
            println!("=== request {id}: iamsim says {a}, {peer_label} says {b}");
            println!("iamsim: {why_a}\npeer:   {why_b}\nrequest:\n{pretty}\n");
        }
        println!(
            "\n{disagreements} disagreement(s) of {} requests between iamsim and {peer_label}",
            reqs.len()
        );
        for ((a, b), n) in &pairs {
            println!("  iamsim {a} / peer {b}: {n}");
        }
    }
    println!("\nthroughput (requests/s):");
    for s in ours.iter().chain(&peers) {
        let summary = s.get("summary").unwrap_or(&Value::Null);
        println!("  {:>12.0}  {}", rate(summary), label(summary));
    }
    let goal = 100.0;
    let single = |s: &&Value| s.get("threads").and_then(Value::as_u64) == Some(1);
    let function = |s: &Value| {
        s.get("function")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let fastest = fastest_of;
    let our_best = fastest(
        ours.iter()
            .filter_map(|o| o.get("summary"))
            .filter(single)
            .collect(),
    );
    let peer_summaries: Vec<&Value> = peers
        .iter()
        .filter_map(|p| p.get("summary"))
        .filter(single)
        .collect();
    let documented = fastest(
        peer_summaries
            .iter()
            .copied()
            .filter(|s| function(s).as_deref() == Some("runSimulation"))
            .collect(),
    );
    let unsafe_engine = fastest(
        peer_summaries
            .iter()
            .copied()
            .filter(|s| function(s).as_deref() == Some("runUnsafeSimulation"))
            .collect(),
    );
    if let Some(a) = our_best {
        println!();
        for (what, peer) in [
            ("its documented API", documented),
            ("its bare engine, no validation", unsafe_engine),
        ] {
            let Some(b) = peer else { continue };
            let ratio = rate(a) / rate(b).max(f64::MIN_POSITIVE);
            let verdict = if ratio >= goal { "meets" } else { "MISSES" };
            println!(
                "headline vs {what}: {} is {ratio:.1}x faster than {}, both single-threaded ({verdict} the {goal}x goal)",
                label(a),
                label(b)
            );
        }
    }
    println!("\nratios (iamsim / peer):");
    for a in &ours {
        let sa = a.get("summary").unwrap_or(&Value::Null);
        for b in &peers {
            let sb = b.get("summary").unwrap_or(&Value::Null);
            let r = rate(sb);
            let ratio = if r > 0.0 { rate(sa) / r } else { f64::INFINITY };
            println!("  {ratio:>10.1}x  {}  vs  {}", label(sa), label(sb));
        }
    }
    Ok(())
}
