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

/// The decisions a scenario may end in, whatever the unknowns hold: each
/// step may end in any deny between its two readings (explicit deny below
/// implicit deny below allow: an empty text gives the implicit deny
/// between an allow and an explicit deny), if every step before it may
/// allow; the scenario may be allowed if every step is in the reading
/// that allows.
#[derive(Debug, Default)]
pub(super) struct Possible {
    allow: bool,
    implicit: bool,
    explicit: bool,
}

impl Possible {
    /// Adds what a step that may be reached may be denied as.
    pub fn step(&mut self, r: Readings) {
        let rank = |o: Outcome| match o {
            Outcome::ExplicitDeny => 0,
            Outcome::ImplicitDeny | Outcome::Indeterminate => 1,
            Outcome::Allow => 2,
        };
        let (a, d) = (rank(r.allowing), rank(r.denying));
        let (lo, hi) = (a.min(d), a.max(d));
        self.explicit |= lo == 0;
        self.implicit |= lo <= 1 && hi >= 1;
    }

    /// Every step is allowed in the reading that allows.
    pub fn allow(&mut self) {
        self.allow = true;
    }

    /// How many different decisions are possible.
    fn count(&self) -> usize {
        [self.allow, self.implicit, self.explicit]
            .iter()
            .filter(|x| **x)
            .count()
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
    /// whenever it names an entity known only in part, or when it may be
    /// allowed and may be denied; an implicit deny when it may be denied
    /// either way (the kind then depends on the policy texts consulted);
    /// else its one possible decision.
    pub fn decide(self, p: Possible) -> (Outcome, Vec<String>) {
        let mut depends = self.entities;
        let entity = !depends.is_empty();
        let several = p.count() > 1;
        if several {
            depends.extend(self.policies);
        }
        let outcome = if entity || (p.allow && several) {
            Outcome::Indeterminate
        } else if p.allow {
            Outcome::Allow
        } else if p.implicit {
            Outcome::ImplicitDeny
        } else {
            Outcome::ExplicitDeny
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
            "denied whatever {list} (known only after apply) turns out to be, explicitly or not depending on it; {both}"
        ),
    };
    trace.depends_on = depends;
}

#[cfg(test)]
mod tests {
    use super::{Depends, Possible, Readings};
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
        let mut denied = Possible::default();
        denied.step(Readings::both(ImplicitDeny));
        assert_eq!(
            d.decide(denied),
            (Indeterminate, vec!["aws_iam_role.batch name".to_string()])
        );
        let mut allowed = Possible::default();
        allowed.step(Readings::both(Allow));
        allowed.allow();
        assert_eq!(depends_on_p().decide(allowed), (Allow, Vec::new()));
    }

    fn depends_on_p() -> Depends {
        let mut d = Depends::default();
        d.add(&Unknowns {
            entities: Vec::new(),
            policies: vec!["aws_iam_role_policy.p policy"],
        });
        d
    }

    #[test]
    fn a_step_that_may_allow_makes_the_kind_of_a_later_deny_uncertain() {
        // Step 1 rests on p; step 2 is denied explicitly in any case. If
        // p allows, step 2's explicit deny decides; if p denies, step 1's;
        // if p is empty, step 1 is denied implicitly.
        let mut p = Possible::default();
        p.step(r(Allow, ExplicitDeny));
        p.step(r(ExplicitDeny, ExplicitDeny));
        let p_policy = vec!["aws_iam_role_policy.p policy".to_string()];
        assert_eq!(depends_on_p().decide(p), (ImplicitDeny, p_policy.clone()));
        // Near miss: the same, step 1 known.
        let mut p = Possible::default();
        p.step(r(Allow, Allow));
        p.step(r(ExplicitDeny, ExplicitDeny));
        assert_eq!(depends_on_p().decide(p), (ExplicitDeny, Vec::new()));
        // Every step allowed when p allows: indeterminate.
        let mut p = Possible::default();
        p.step(r(Allow, ImplicitDeny));
        p.step(r(Allow, Allow));
        p.allow();
        assert_eq!(depends_on_p().decide(p), (Indeterminate, p_policy));
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
