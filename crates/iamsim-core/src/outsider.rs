//! Principals of accounts the world does not declare: outsiders (README,
//! "Formats"). A question may come from an account that is not modelled,
//! as a review of "who outside can get in" needs. Such a principal's own
//! account is taken to allow everything, as its administrator can make it
//! do: identity policies that allow every action on every resource, no
//! permissions boundary, no SCPs and no organization (so
//! `aws:PrincipalOrgID` is absent), no tags. Only the world's resource-based
//! and trust policies then decide whether it gets in, by the cross-account
//! rule ("Cross-account policy evaluation logic",
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html>).

use crate::arn::is_account_id;
use crate::world::{PolicyId, Role, User, World, unique_id};

/// True when `account` is an account id the world does not declare: not
/// one of its `accounts` nor its organization's management account.
pub fn is_outsider(world: &World, account: &str) -> bool {
    is_account_id(account)
        && !world.accounts.contains_key(account)
        && world
            .organization
            .as_ref()
            .is_none_or(|o| o.management_account != account)
}

/// An IAM user of an undeclared account: no policies, boundary or tags of
/// the world; its identity side allows everything (see the module doc).
pub fn user(account: &str, arn: &str) -> User {
    let name = arn.rsplit('/').next().unwrap_or(arn);
    User {
        arn: arn.to_string(),
        account: account.to_string(),
        name: name.to_string(),
        unique_id: unique_id("AIDA", arn),
        identity: Vec::new(),
        boundary: None,
        tags: Vec::new(),
    }
}

/// A role of an undeclared account named by `arn:aws:iam::ACCOUNT:role/PATH/NAME`,
/// for its sessions. It is not in [`World::roles`], so nothing in the world
/// can assume it and its `trust` names no policy of the world.
pub fn role(account: &str, arn: &str) -> Role {
    let rest = arn.split_once(":role").map_or("/", |(_, r)| r);
    let (path, name) = rest.rsplit_once('/').unwrap_or(("", rest));
    Role {
        arn: arn.to_string(),
        account: account.to_string(),
        name: name.to_string(),
        path: format!("{path}/"),
        unique_id: unique_id("AROA", arn),
        trust: PolicyId(u32::MAX),
        identity: Vec::new(),
        boundary: None,
        tags: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_keep_their_path_and_name() {
        let r = role("999999999999", "arn:aws:iam::999999999999:role/ops/Deploy");
        assert_eq!((r.path.as_str(), r.name.as_str()), ("/ops/", "Deploy"));
        let r = role("999999999999", "arn:aws:iam::999999999999:role/Deploy");
        assert_eq!((r.path.as_str(), r.name.as_str()), ("/", "Deploy"));
        assert!(r.identity.is_empty() && r.boundary.is_none());
    }

    #[test]
    fn only_undeclared_twelve_digit_accounts_are_outsiders() {
        let w = World::default();
        assert!(is_outsider(&w, "999999999999"));
        assert!(!is_outsider(&w, "99999999999"));
        assert!(!is_outsider(&w, "aws"));
    }
}
