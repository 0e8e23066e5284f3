//! `Principal` / `NotPrincipal`: which callers a resource-based statement
//! names, and how strongly (docs/evaluation.md D06–D10, D25, D26).

use crate::arn::is_account_id;

/// One entry of a Principal element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrincipalEntry {
    /// `"*"` or `{"AWS": "*"}`: everyone, anonymous callers included.
    Any,
    /// A 12-digit id or `arn:aws:iam::ID:root`: the whole account.
    Account(String),
    /// `arn:aws:iam::ID:user/PATH/NAME`.
    User(String),
    /// `arn:aws:iam::ID:role/PATH/NAME`: every session of the role.
    Role(String),
    /// `arn:aws:sts::ID:assumed-role/ROLE/SESSION`: that session only.
    Session(String),
    /// A principal iamsim never evaluates as a caller (a service, a
    /// federated provider or user, a canonical user); kept for display.
    Other(String),
}

/// A compiled `Principal` or `NotPrincipal` element.
#[derive(Clone, Debug, PartialEq)]
pub struct PrincipalSet {
    /// `NotPrincipal`.
    pub negated: bool,
    /// The entries (OR).
    pub entries: Vec<PrincipalEntry>,
}

/// How a resource-based statement names the caller, weakest first. Only
/// same-account requests care (D06–D10); across accounts any match counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Grant {
    /// The account (root ARN or bare id): the caller also needs an
    /// identity-based allow (D07).
    Account,
    /// The role ARN: limited by the role's boundary and the session policy (D08).
    Role,
    /// The user ARN, the session ARN or `*`: sufficient on its own (D06, D09, D10).
    Direct,
}

/// The caller, as principal matching sees it.
#[derive(Clone, Copy, Debug)]
pub struct Who<'a> {
    /// The caller's account.
    pub account: &'a str,
    /// Its own ARN: user ARN, root ARN, or session ARN.
    pub arn: &'a str,
    /// For a session, the role ARN (with path).
    pub role_arn: Option<&'a str>,
    /// True for an account's root user.
    pub is_root: bool,
    /// True when the IAM entity has a permissions boundary (D16's quirk).
    pub has_boundary: bool,
}

impl PrincipalEntry {
    /// How the entry names a caller, for explanations.
    pub fn phrase(&self) -> String {
        match self {
            PrincipalEntry::Any => "Principal \"*\" names everyone".to_string(),
            PrincipalEntry::Account(id) => format!("names the account {id}"),
            PrincipalEntry::User(arn) => format!("names user {arn}"),
            PrincipalEntry::Role(arn) => format!("names role {arn}, every session of it"),
            PrincipalEntry::Session(arn) => format!("names session {arn}"),
            PrincipalEntry::Other(p) => format!("names {p}"),
        }
    }

    /// Reads one value of `{"AWS": ...}`. Partial wildcards are invalid
    /// (D10; a modelling choice, README).
    pub fn parse_aws(text: &str) -> Result<PrincipalEntry, String> {
        if text == "*" {
            return Ok(PrincipalEntry::Any);
        }
        if text.contains(['*', '?']) {
            return Err(format!(
                "invalid principal \"{text}\": a wildcard cannot match part of a principal; use \"*\" with an aws:PrincipalArn condition"
            ));
        }
        if is_account_id(text) {
            return Ok(PrincipalEntry::Account(text.to_string()));
        }
        let bad = || {
            format!(
                "invalid principal \"{text}\": expected \"*\", a 12-digit account id, or an IAM user, role, account root or assumed-role session ARN"
            )
        };
        let mut parts = text.splitn(6, ':');
        let (Some("arn"), Some(partition), Some(service), Some(""), Some(account), Some(res)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(bad());
        };
        if partition.is_empty() || !is_account_id(account) {
            return Err(bad());
        }
        let named = |prefix: &str| {
            res.strip_prefix(prefix)
                .filter(|n| !n.is_empty() && !n.ends_with('/'))
        };
        match service {
            "iam" if res == "root" => Ok(PrincipalEntry::Account(account.to_string())),
            "iam" if named("user/").is_some() => Ok(PrincipalEntry::User(text.to_string())),
            "iam" if named("role/").is_some() => Ok(PrincipalEntry::Role(text.to_string())),
            "sts" if named("assumed-role/").is_some_and(|r| r.split('/').count() == 2) => {
                Ok(PrincipalEntry::Session(text.to_string()))
            }
            "sts" if named("federated-user/").is_some() => {
                Ok(PrincipalEntry::Other(text.to_string()))
            }
            _ => Err(bad()),
        }
    }

    fn grant(&self, who: &Who<'_>) -> Option<Grant> {
        match self {
            PrincipalEntry::Any => Some(Grant::Direct),
            PrincipalEntry::Account(id) => (id == who.account).then_some(Grant::Account),
            PrincipalEntry::User(arn) | PrincipalEntry::Session(arn) => {
                (arn == who.arn && !who.is_root).then_some(Grant::Direct)
            }
            PrincipalEntry::Role(arn) => {
                (Some(arn.as_str()) == who.role_arn).then_some(Grant::Role)
            }
            PrincipalEntry::Other(_) => None,
        }
    }

    fn names_exactly(&self, arn: &str) -> bool {
        matches!(self, PrincipalEntry::User(a) | PrincipalEntry::Role(a) | PrincipalEntry::Session(a) if a == arn)
    }
}

impl PrincipalSet {
    /// The strongest way a `Principal` element names the caller, with the
    /// entry that does; `None` if it does not. For `NotPrincipal` see
    /// [`PrincipalSet::not_principal_applies`].
    pub fn grant(&self, who: &Who<'_>) -> Option<(Grant, &PrincipalEntry)> {
        self.entries
            .iter()
            .filter_map(|e| e.grant(who).map(|g| (g, e)))
            .max_by_key(|(g, _)| *g)
    }

    /// Whether a `NotPrincipal` element leaves the caller in scope.
    ///
    /// With `Deny`, a caller escapes only when its own ARN and its account
    /// are both listed (and, for a session, its role ARN too): AWS "might
    /// validate the account first, then the role, and then the assumed-role
    /// user" (a modelling choice, README: the safe reading). A caller with a
    /// permissions boundary never escapes (D16's quirk). With `Allow`, the
    /// statement covers a caller none of whose identifiers is listed.
    pub fn not_principal_applies(&self, who: &Who<'_>, deny: bool) -> bool {
        let account = self
            .entries
            .iter()
            .any(|e| matches!(e, PrincipalEntry::Account(a) if a == who.account));
        let own = who.is_root || self.entries.iter().any(|e| e.names_exactly(who.arn));
        let role = who
            .role_arn
            .is_none_or(|r| self.entries.iter().any(|e| e.names_exactly(r)));
        if deny {
            who.has_boundary || !(account && own && role)
        } else {
            let any_listed = account
                || (!who.is_root && own)
                || who
                    .role_arn
                    .is_some_and(|r| self.entries.iter().any(|e| e.names_exactly(r)));
            !any_listed && !self.entries.contains(&PrincipalEntry::Any)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: Who<'static> = Who {
        account: "111111111111",
        arn: "arn:aws:iam::111111111111:user/alice",
        role_arn: None,
        is_root: false,
        has_boundary: false,
    };
    const SESSION: Who<'static> = Who {
        account: "111111111111",
        arn: "arn:aws:sts::111111111111:assumed-role/R/s1",
        role_arn: Some("arn:aws:iam::111111111111:role/team/R"),
        is_root: false,
        has_boundary: false,
    };

    fn set(entries: &[&str]) -> PrincipalSet {
        PrincipalSet {
            negated: false,
            entries: entries
                .iter()
                .map(|e| PrincipalEntry::parse_aws(e).unwrap())
                .collect(),
        }
    }

    #[test]
    fn parses_every_aws_form() {
        assert_eq!(
            PrincipalEntry::parse_aws("111111111111"),
            Ok(PrincipalEntry::Account("111111111111".into()))
        );
        assert_eq!(
            PrincipalEntry::parse_aws("arn:aws:iam::111111111111:root"),
            Ok(PrincipalEntry::Account("111111111111".into()))
        );
        assert!(matches!(
            PrincipalEntry::parse_aws("arn:aws:iam::111111111111:role/p/R"),
            Ok(PrincipalEntry::Role(_))
        ));
        assert!(matches!(
            PrincipalEntry::parse_aws("arn:aws:sts::111111111111:assumed-role/R/s"),
            Ok(PrincipalEntry::Session(_))
        ));
        for bad in [
            "arn:aws:iam::111111111111:user/*",
            "11111111111",
            "arn:aws:s3:::b",
            "alice",
            "arn:aws:iam::111111111111:group/g",
        ] {
            assert!(PrincipalEntry::parse_aws(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn grants_by_strength() {
        let g = |entries: &[&str], who: &Who<'_>| set(entries).grant(who).map(|(g, _)| g);
        assert_eq!(g(&["111111111111"], &ALICE), Some(Grant::Account));
        let both = ["111111111111", "arn:aws:iam::111111111111:user/alice"];
        assert_eq!(g(&both, &ALICE), Some(Grant::Direct));
        assert_eq!(g(&["arn:aws:iam::111111111111:user/bob"], &ALICE), None);
        let role = ["arn:aws:iam::111111111111:role/team/R"];
        assert_eq!(g(&role, &SESSION), Some(Grant::Role));
        // the role ARN without its path is another ARN
        assert_eq!(g(&["arn:aws:iam::111111111111:role/R"], &SESSION), None);
        let other_session = ["arn:aws:sts::111111111111:assumed-role/R/s2"];
        assert_eq!(g(&other_session, &SESSION), None);
        assert_eq!(g(&["*"], &SESSION), Some(Grant::Direct));
    }

    #[test]
    fn deny_not_principal_exempts_only_fully_listed_callers() {
        let both = set(&[
            "arn:aws:iam::111111111111:user/alice",
            "arn:aws:iam::111111111111:root",
        ]);
        assert!(!both.not_principal_applies(&ALICE, true));
        let user_only = set(&["arn:aws:iam::111111111111:user/alice"]);
        assert!(user_only.not_principal_applies(&ALICE, true));
        let bounded = Who {
            has_boundary: true,
            ..ALICE
        };
        assert!(both.not_principal_applies(&bounded, true));
        let bob = Who {
            arn: "arn:aws:iam::111111111111:user/bob",
            ..ALICE
        };
        assert!(both.not_principal_applies(&bob, true));
    }
}
