//! The stand-ins for principals outside both worlds (README, "Reviewing a
//! change"). Every principal of an account neither world declares is an
//! outsider whose own account allows everything (crate::outsider), so only
//! what the worlds' policies say of it tells two outsiders apart: the
//! account, user or role ARN a `Principal` names, the values a condition
//! compares `aws:PrincipalAccount` or `aws:PrincipalArn` with. One stand-in
//! per thing named, and one for every outsider nothing names, make the
//! outsiders' classes complete: a bucket policy that grants account
//! `333333333333` is decided for a principal of `333333333333`, which the
//! stand-in of no account would never meet.

use super::changes::{ChangeSet, policies_once};
use super::space::instances;
use crate::arn::is_account_id;
use crate::outsider::{self, is_outsider};
use crate::policy::PrincipalEntry;
use crate::world::{Role, User, World};
use std::collections::BTreeSet;

/// The outsider principals a diff decides, as the graph's nodes hold them.
pub struct Outsiders {
    /// The stand-in of every unnamed outsider first, then one user per
    /// named account (`arn:aws:iam::ID:user/outsider`) and each user ARN
    /// named.
    pub users: Vec<User>,
    /// Each role ARN of an outsider account named, as the stand-in of its
    /// sessions.
    pub roles: Vec<Role>,
}

/// The stand-ins for `before` and `after`; `unnamed` is the account of the
/// stand-in for outsiders no policy names ([`super::outsider_in`]). With
/// the change set, an after-world policy that says what the before
/// world's says ([`ChangeSet::unchanged`]) is not read again: it names
/// the same principals and condition values.
pub fn outsiders(
    before: &World,
    after: &World,
    unnamed: &str,
    set: Option<&ChangeSet<'_>>,
) -> Outsiders {
    let outside = |account: &str| is_outsider(before, account) && is_outsider(after, account);
    let mut accounts: BTreeSet<String> = BTreeSet::new();
    let mut users: BTreeSet<String> = BTreeSet::new();
    let mut roles: BTreeSet<String> = BTreeSet::new();
    let mut add_arn = |arn: &str, accounts: &mut BTreeSet<String>| {
        let Some((account, kind)) = iam_arn_parts(arn) else {
            return;
        };
        if !outside(account) {
            return;
        }
        accounts.insert(account.to_string());
        match kind {
            Kind::User => users.insert(arn.to_string()),
            Kind::Role => roles.insert(arn.to_string()),
            Kind::Other => false,
        };
    };
    for entry in policies_once([before, after], set) {
        for st in &entry.policy.statements {
            for e in st.principals.iter().flat_map(|p| p.entries.iter()) {
                match e {
                    PrincipalEntry::Account(a) if outside(a) => {
                        accounts.insert(a.clone());
                    }
                    PrincipalEntry::User(arn) | PrincipalEntry::Role(arn) => {
                        add_arn(arn, &mut accounts);
                    }
                    _ => {}
                }
            }
            for value in st.conditions.iter().flat_map(|c| c.values.iter()) {
                // One principal a `...Like` pattern meets: each wildcard
                // and policy variable as `x`.
                let [value, _] = instances(value);
                if is_account_id(&value) && outside(&value) {
                    accounts.insert(value);
                } else {
                    add_arn(&value, &mut accounts);
                }
            }
        }
    }
    let generic = |account: &str| format!("arn:aws:iam::{account}:user/outsider");
    let mut out_users = vec![outsider::user(unnamed, &generic(unnamed))];
    accounts.remove(unnamed);
    for a in &accounts {
        users.insert(generic(a));
    }
    users.remove(&generic(unnamed));
    out_users.extend(users.iter().filter_map(|arn| {
        let (account, _) = iam_arn_parts(arn)?;
        Some(outsider::user(account, arn))
    }));
    let out_roles = roles
        .iter()
        .filter_map(|arn| {
            let (account, _) = iam_arn_parts(arn)?;
            Some(outsider::role(account, arn))
        })
        .collect();
    Outsiders {
        users: out_users,
        roles: out_roles,
    }
}

/// What an IAM ARN names.
enum Kind {
    User,
    Role,
    Other,
}

/// The account and kind of `arn:aws:iam::ID:user/...` or `.../role/...`
/// (`root` and other IAM ARNs are `Other`); `None` for anything else.
fn iam_arn_parts(arn: &str) -> Option<(&str, Kind)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    if !is_account_id(account) {
        return None;
    }
    let kind = if resource.starts_with("user/") {
        Kind::User
    } else if resource.starts_with("role/") {
        Kind::Role
    } else {
        Kind::Other
    };
    Some((account, kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_user_and_role_arns_of_an_account_are_named() {
        assert!(matches!(
            iam_arn_parts("arn:aws:iam::333333333333:role/x"),
            Some(("333333333333", Kind::Role))
        ));
        assert!(matches!(
            iam_arn_parts("arn:aws:iam::333333333333:root"),
            Some(("333333333333", Kind::Other))
        ));
        assert!(iam_arn_parts("arn:aws:iam::aws:policy/x").is_none());
        assert!(iam_arn_parts("arn:aws:s3:::b").is_none());
    }
}
