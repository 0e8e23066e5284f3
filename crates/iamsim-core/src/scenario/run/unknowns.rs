//! Deciding a scenario when the world holds things known only after
//! `terraform apply` (README, "What the decisions mean"). Every request is
//! decided in both readings of the unknown policy texts: the world's,
//! where each allows everything, and its deny reading, where each denies
//! everything. Adding an allow never turns an allow into a deny and adding
//! a deny never turns a deny into an allow (an explicit deny overrides, an
//! allow is needed: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>),
//! so every text the unknowns may turn out to hold decides between the two:
//! when both allow, or both deny, so does every text (iamsim's reasoning).

use super::combine;
use crate::eval::Outcome;
use crate::eval::unknown::Unknowns;
use crate::report::RequestTrace;

/// A decision in both readings; equal for a world without unknowns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Readings {
    /// With every unknown text allowing everything.
    pub allowing: Outcome,
    /// With every unknown text denying everything.
    pub denying: Outcome,
}

impl Readings {
    /// The same outcome in both readings.
    pub fn both(outcome: Outcome) -> Readings {
        Readings {
            allowing: outcome,
            denying: outcome,
        }
    }

    /// The requests of one step, combined in each reading.
    pub fn combine(all: &[Readings]) -> Readings {
        let allowing: Vec<Outcome> = all.iter().map(|r| r.allowing).collect();
        let denying: Vec<Outcome> = all.iter().map(|r| r.denying).collect();
        Readings {
            allowing: combine(&allowing),
            denying: combine(&denying),
        }
    }

    /// This request, then `next` only where this one allows (S3's KMS
    /// request is made only when S3 allows).
    pub fn then(self, next: Readings) -> Readings {
        let after = |first: Outcome, second: Outcome| match first {
            Outcome::Allow => combine(&[first, second]),
            denied => denied,
        };
        Readings {
            allowing: after(self.allowing, next.allowing),
            denying: after(self.denying, next.denying),
        }
    }

    /// The decision: the common one; `indeterminate` when one reading
    /// allows and the other denies; for two kinds of deny, the one of the
    /// reading that allows, where the unknowns hold no Deny.
    pub fn outcome(self) -> Outcome {
        if self.allowing == self.denying {
            self.allowing
        } else if self.allowing == Outcome::Allow || self.denying == Outcome::Allow {
            Outcome::Indeterminate
        } else {
            self.allowing
        }
    }
}

/// What the requests of a scenario depend on, in the order first met.
#[derive(Debug, Default)]
pub(super) struct Depends {
    entities: Vec<String>,
    policies: Vec<String>,
}

impl Depends {
    /// Adds what one request depends on.
    pub fn add(&mut self, u: &Unknowns<'_>) {
        for (to, from) in [
            (&mut self.entities, &u.entities),
            (&mut self.policies, &u.policies),
        ] {
            for e in from {
                if !to.iter().any(|x| x == e) {
                    to.push((*e).to_string());
                }
            }
        }
    }

    /// The scenario's decision and what it depends on: `indeterminate`
    /// whenever it names an entity known only in part; else as the two
    /// readings say, depending on the policy texts they consulted when
    /// they differ.
    pub fn decide(self, readings: Readings) -> (Outcome, Vec<String>) {
        let differ = readings.allowing != readings.denying;
        let mut depends = self.entities;
        let entity = !depends.is_empty();
        if differ {
            depends.extend(self.policies);
        }
        let outcome = if entity {
            Outcome::Indeterminate
        } else {
            readings.outcome()
        };
        (outcome, depends)
    }
}

/// Rewrites a request's trace (made in the reading that allows) when its
/// decision rests on unknowns: its outcome, what it depends on, and a
/// summary that says both readings (`denying` is the deny reading's).
pub(super) fn annotate(
    trace: &mut RequestTrace,
    readings: Readings,
    u: &Unknowns<'_>,
    denying: &str,
) {
    let differ = readings.allowing != readings.denying;
    if u.entities.is_empty() && !differ {
        return;
    }
    let mut depends: Vec<String> = u.entities.iter().map(|e| e.to_string()).collect();
    if differ {
        depends.extend(u.policies.iter().map(|e| e.to_string()));
    }
    let list = depends.join(", ");
    let allowing = std::mem::take(&mut trace.summary);
    let both = format!(
        "if what is unknown allows everything: {allowing}; if it denies everything: {denying}"
    );
    trace.outcome = if u.entities.is_empty() {
        readings.outcome()
    } else {
        Outcome::Indeterminate
    };
    trace.summary = match trace.outcome {
        Outcome::Indeterminate if !differ => format!(
            "indeterminate: depends on {list} (known only after apply), which the request names; {allowing}"
        ),
        Outcome::Indeterminate => {
            format!("indeterminate: depends on {list} (known only after apply); {both}")
        }
        _ => format!(
            "denied whatever {list} (known only after apply) turns out to be, explicitly if it holds a Deny that applies; {both}"
        ),
    };
    trace.depends_on = depends;
}

#[cfg(test)]
mod tests {
    use super::{Depends, Readings};
    use crate::eval::Outcome::{self, Allow, ExplicitDeny, ImplicitDeny, Indeterminate};
    use crate::eval::unknown::Unknowns;
    use crate::scenario::Detail;
    use serde_json::{Value, json};

    fn r(allowing: Outcome, denying: Outcome) -> Readings {
        Readings { allowing, denying }
    }

    #[test]
    fn two_readings_decide_or_leave_it_open() {
        assert_eq!(r(Allow, Allow).outcome(), Allow);
        assert_eq!(r(Allow, ExplicitDeny).outcome(), Indeterminate);
        assert_eq!(r(ImplicitDeny, ExplicitDeny).outcome(), ImplicitDeny);
        assert_eq!(r(ExplicitDeny, ExplicitDeny).outcome(), ExplicitDeny);
        // S3's KMS request is made only where S3 allows: in the reading
        // where S3 denies, the step is S3's deny, not KMS's.
        let s3 = r(Allow, ImplicitDeny);
        let kms = r(Allow, ExplicitDeny);
        assert_eq!(s3.then(kms), r(Allow, ImplicitDeny));
        assert_eq!(Readings::combine(&[s3, kms]), r(Allow, ExplicitDeny));
    }

    #[test]
    fn an_entity_known_in_part_is_indeterminate_even_when_both_readings_agree() {
        let u = Unknowns {
            entities: vec!["aws_iam_role.batch name"],
            policies: vec!["aws_iam_role_policy.p policy"],
        };
        let mut d = Depends::default();
        d.add(&u);
        d.add(&u);
        assert_eq!(
            d.decide(Readings::both(ImplicitDeny)),
            (Indeterminate, vec!["aws_iam_role.batch name".to_string()])
        );
        let mut d = Depends::default();
        d.add(&Unknowns {
            entities: Vec::new(),
            policies: vec!["aws_iam_role_policy.p policy"],
        });
        assert_eq!(d.decide(Readings::both(Allow)), (Allow, Vec::new()));
    }

    const BOB: &str = "arn:aws:iam::111111111111:user/bob";

    /// bob's read of `data/x` in a world where his inline policy `p` is
    /// `p` and the bucket's policy is `bucket`, in both paths.
    fn decide(p: Value, bucket: Value) -> [(Outcome, Vec<String>); 2] {
        let world = json!({"accounts": {"111111111111": {
            "users": {"bob": {"inline_policies": {"p": p}}},
            "buckets": {"data": {"policy": bucket}}}}});
        let file = json!({"world": world, "scenarios": [{"name": "s", "principal": BOB,
            "steps": [{"action": "s3:GetObject", "resource": "arn:aws:s3:::data/x"}]}]});
        [Detail::Decisions, Detail::Explanations].map(|detail| {
            let r = super::super::tests::run(&file, detail);
            (r.outcome, r.depends_on)
        })
    }

    #[test]
    fn both_paths_decide_unknown_texts_alike() {
        let unknown = |a: &str| json!({"terraform": a, "unknown": "policy"});
        let allow =
            json!({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}});
        let deny = json!({"Statement": {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}});
        let none = json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": "*"}});
        let p = "aws_iam_user_policy.p policy".to_string();
        let b = "aws_s3_bucket_policy.b policy".to_string();
        let cases = [
            // The identity side is unknown, the bucket does not deny.
            (
                unknown("aws_iam_user_policy.p"),
                none.clone(),
                Indeterminate,
                vec![p.clone()],
            ),
            // Near miss: the bucket denies whatever p holds.
            (
                unknown("aws_iam_user_policy.p"),
                deny.clone(),
                ExplicitDeny,
                vec![],
            ),
            // Both unknown: indeterminate, depending on both.
            (
                unknown("aws_iam_user_policy.p"),
                unknown("aws_s3_bucket_policy.b"),
                Indeterminate,
                vec![p.clone(), b.clone()],
            ),
            // The identity side allows, the bucket policy is unknown.
            (
                allow.clone(),
                unknown("aws_s3_bucket_policy.b"),
                Indeterminate,
                vec![b.clone()],
            ),
            // Nothing known allows bob, but within one account a bucket
            // policy may allow alone: indeterminate (cross-account, the
            // same would be denied either way: tests/terraform_unknown.rs).
            (
                json!({"Statement": {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}}),
                unknown("aws_s3_bucket_policy.b"),
                Indeterminate,
                vec![b.clone()],
            ),
        ];
        for (p, bucket, outcome, depends) in cases {
            let [fast, explained] = decide(p.clone(), bucket.clone());
            assert_eq!(fast, (outcome, depends.clone()), "{p} {bucket}");
            assert_eq!(explained, fast, "{p} {bucket}");
        }
    }
}
