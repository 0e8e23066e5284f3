//! Decisions that rest on an absent key: would some value of a key the
//! request lacks, tested by a statement on the decision path, change the
//! decision? Only keys the caller chooses, or that AWS sets but iamsim
//! cannot know (`aws:SourceIp`, `aws:UserAgent`), are asked
//! ([`crate::request::is_open`]): the absence of a key the world derives,
//! such as a tag, is a fact of the world. Found by deciding again with
//! values of the key: the values access analysis tries for its needs
//! (crate::access::open), from the conditions that test the key. AWS's simulator lists such keys as
//! MissingContextValues (IAM API reference, SimulatePrincipalPolicy,
//! <https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html>);
//! iamsim also says whether the decision would differ.

use super::{Outcome, Request, decide};
use crate::condition::{Condition, Test};
use crate::context::{Context, Found, Lookup};
use crate::pattern::Resolve;
use crate::request::is_open;
use crate::world::World;

/// One key over a base lookup, to try a value.
pub(crate) struct Trial<'a> {
    /// The key tried, lower-cased.
    pub lower_key: &'a str,
    /// Holds the value tried.
    pub value: &'a Context,
    /// Answers every other key.
    pub base: &'a dyn Lookup,
}

impl Lookup for Trial<'_> {
    fn lookup(&self, lower_key: &str) -> Found<'_> {
        if lower_key == self.lower_key {
            self.value.lookup(lower_key)
        } else {
            self.base.lookup(lower_key)
        }
    }
}

impl Resolve for Trial<'_> {
    fn var(&self, key: &str) -> Option<&str> {
        self.lookup(key).single()
    }
}

/// Values to try for a condition's key: its own policy values, made
/// concrete (each `*` as nothing and as `x`, numbers and dates on either side, an IP
/// range's first address and the one past its last), then a
/// few generic ones; for a boolean key, true and false only.
pub(crate) fn candidates(c: &Condition) -> Vec<String> {
    // Boolean keys hold nothing but true or false (global condition keys).
    if matches!(
        c.key_lower.as_str(),
        "aws:multifactorauthpresent" | "aws:securetransport"
    ) {
        return vec!["true".into(), "false".into()];
    }
    let mut out: Vec<String> = Vec::new();
    // A pattern's instances: each `*` as nothing, then as `x` (so that a
    // value `x*` matches and `x` does not is tried), each `?` as `x`.
    let concrete = |v: &String| -> Vec<String> {
        if v.contains("${") {
            return Vec::new();
        }
        let short = v.replace('*', "").replace('?', "x");
        let long = v.replace(['*', '?'], "x");
        if short == long {
            vec![short]
        } else {
            vec![short, long]
        }
    };
    match &c.test {
        Test::StringEquals(_)
        | Test::StringEqualsIgnoreCase(_)
        | Test::StringLike(_)
        | Test::Arn(_)
        | Test::Binary(_) => out.extend(c.values.iter().flat_map(concrete)),
        Test::Numeric(_, ns) => {
            for n in ns {
                for x in [*n, n + 1.0, n - 1.0] {
                    out.push(if x.fract() == 0.0 && x.abs() < 1e15 {
                        format!("{}", x as i64)
                    } else {
                        x.to_string()
                    });
                }
            }
        }
        Test::Date(_, ts) => {
            for t in ts {
                out.push(t.to_string());
                for s in [1, -1] {
                    if let Ok(x) = t.checked_add(jiff::SignedDuration::from_secs(s)) {
                        out.push(x.to_string());
                    }
                }
            }
        }
        // A range's first address and the one past its last: together,
        // over every range of the conditions, one address of every region
        // the ranges cut the address space into.
        Test::Ip(nets) => {
            for n in nets {
                out.push(n.network().to_string());
                if let Some(next) = past(n) {
                    out.push(next);
                }
            }
        }
        Test::Bool(_) | Test::Null(_) => {}
    }
    out.extend(["true", "false", "iamsim"].map(String::from));
    out
}

/// The address just past the last of a range, if there is one.
fn past(n: &ipnet::IpNet) -> Option<String> {
    use std::net::{Ipv4Addr, Ipv6Addr};
    let last = n.broadcast().to_string();
    if let Ok(a) = last.parse::<Ipv4Addr>() {
        return u32::from(a)
            .checked_add(1)
            .map(|x| Ipv4Addr::from(x).to_string());
    }
    let a = last.parse::<Ipv6Addr>().ok()?;
    u128::from(a)
        .checked_add(1)
        .map(|x| Ipv6Addr::from(x).to_string())
}

/// The open keys of `missing` (tested on the decision path, absent from
/// the request) for which some value, tried as the conditions that read
/// them absent (`absent`) suggest, changes `outcome`, the decision of `req`.
pub(super) fn would_differ(
    world: &World,
    req: &Request<'_>,
    outcome: Outcome,
    absent: &[&Condition],
    missing: &[String],
) -> Vec<String> {
    missing
        .iter()
        .filter(|key| {
            let lower = key.to_ascii_lowercase();
            is_open(&lower)
                && absent.iter().filter(|c| c.key_lower == lower).any(|c| {
                    candidates(c).into_iter().any(|v| {
                        let mut value = Context::new();
                        value.insert(&lower, vec![v], c.set.is_some());
                        let trial = Trial {
                            lower_key: &lower,
                            value: &value,
                            base: req.context,
                        };
                        let tried = Request {
                            context: &trial,
                            ..*req
                        };
                        decide(world, &tried) != outcome
                    })
                })
        })
        .cloned()
        .collect()
}
