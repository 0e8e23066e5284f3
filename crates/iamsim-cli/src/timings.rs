//! `IAMSIM_TIMINGS=1`: the time of each phase of a command on stderr, for
//! benchmarks (benches/README.md). Wall time, and on Linux the process's
//! CPU time (user and system, every thread): user time stays comparable
//! when other work shares the machine.

use std::time::Instant;

/// Times phases one after another; silent unless `IAMSIM_TIMINGS` is set
/// to something other than `0` or empty. A phase ended several times (once
/// per input file) is reported once, its times added up.
pub struct Timings {
    /// When the current phase started, wall and CPU; `None` when silent.
    since: Option<(Instant, Option<Cpu>)>,
    /// Each phase ended so far, in the order first ended, with its wall
    /// seconds and CPU time.
    done: Vec<(String, f64, Option<Cpu>)>,
}

impl Timings {
    /// Starts the first phase.
    pub fn start() -> Timings {
        let on = std::env::var_os("IAMSIM_TIMINGS").is_some_and(|v| !v.is_empty() && v != "0");
        Timings {
            since: on.then(|| (Instant::now(), cpu_seconds())),
            done: Vec::new(),
        }
    }

    /// Ends the current phase as `name` and starts the next.
    pub fn lap(&mut self, name: &str) {
        let Some((wall, cpu)) = self.since else {
            return;
        };
        let now_cpu = cpu_seconds();
        let seconds = wall.elapsed().as_secs_f64();
        let used = cpu.zip(now_cpu).map(|(a, b)| Cpu {
            user: b.user - a.user,
            system: b.system - a.system,
        });
        match self.done.iter_mut().find(|(n, _, _)| n == name) {
            Some((_, wall, cpu)) => {
                *wall += seconds;
                *cpu = cpu.zip(used).map(|(a, b)| Cpu {
                    user: a.user + b.user,
                    system: a.system + b.system,
                });
            }
            None => self.done.push((name.to_string(), seconds, used)),
        }
        self.since = Some((Instant::now(), now_cpu));
    }

    /// Prints the phases ended so far on one stderr line:
    /// `iamsim: timings: load 2.104 s (user 1.71 s, sys 0.30 s), ...`.
    pub fn print(&self) {
        if self.since.is_some() {
            let phases: Vec<String> = self
                .done
                .iter()
                .map(|(name, wall, cpu)| match cpu {
                    Some(c) => format!(
                        "{name} {wall:.3} s (user {:.2} s, sys {:.2} s)",
                        c.user, c.system
                    ),
                    None => format!("{name} {wall:.3} s"),
                })
                .collect();
            eprintln!("iamsim: timings: {}", phases.join(", "));
        }
    }
}

/// CPU time, in seconds.
#[derive(Clone, Copy)]
struct Cpu {
    user: f64,
    system: f64,
}

/// The process's CPU time so far: fields 14 and 15 of `/proc/self/stat`,
/// in the kernel's fixed 100 ticks a second (`USER_HZ`, see proc(5)).
/// `None` off Linux.
fn cpu_seconds() -> Option<Cpu> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) is in parentheses and may hold spaces.
    let after = stat.rsplit_once(')')?.1;
    let mut fields = after.split_whitespace().skip(11);
    let user: f64 = fields.next()?.parse().ok()?;
    let system: f64 = fields.next()?.parse().ok()?;
    Some(Cpu {
        user: user / 100.0,
        system: system / 100.0,
    })
}
