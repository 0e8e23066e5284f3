//! What AWS refuses whatever the policies say: writes to AWS managed
//! policies, changes to service-linked and IAM Identity Center roles, and
//! the management and cross-account use of KMS AWS managed keys and their
//! reserved aliases.
//!
//! These are not policy decisions: AWS's services refuse the operation
//! (IAM answers `UnmodifiableEntity`) however generous the caller's
//! policies are, the root user included. The evaluator consults
//! [`refusal`] as a gate of its own, before any policy, and reports a
//! refused request as `explicit_deny`, since nothing any policy says can
//! override it. Each [`Rule`] names the AWS page it follows.

use crate::arn::{Arn, is_aws_managed_policy};
use crate::request::Target;

/// A resource that AWS protects from some operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protected {
    /// An AWS managed policy, `arn:aws:iam::aws:policy/[PATH/]NAME`.
    AwsManagedPolicy,
    /// A service-linked role: path `/aws-service-role/...`.
    ServiceLinkedRole,
    /// A role of IAM Identity Center: path `/aws-reserved/sso.amazonaws.com/...`.
    IdentityCenterRole,
    /// A KMS key the world declares `"aws_managed": true`.
    AwsManagedKey,
    /// A KMS alias under the reserved prefix `alias/aws/`.
    AwsManagedAlias,
}

impl Protected {
    /// What AWS protects `arn` as, if anything; `aws_managed_key` says
    /// whether the world declares it an AWS managed KMS key. Roles are
    /// told by the path in their ARN, so a path that merely resembles
    /// (`/aws-service-roles/`, `/service-role/`) is not protected.
    pub fn classify(arn: &Arn<'_>, aws_managed_key: bool) -> Option<Protected> {
        match arn.service {
            "iam" if is_aws_managed_policy(arn) => Some(Protected::AwsManagedPolicy),
            "iam" => {
                let path = role_path(arn.resource)?;
                if path.starts_with("/aws-service-role/") {
                    Some(Protected::ServiceLinkedRole)
                } else if path.starts_with("/aws-reserved/sso.amazonaws.com/") {
                    Some(Protected::IdentityCenterRole)
                } else {
                    None
                }
            }
            "kms" if arn.resource.starts_with("alias/aws/") => Some(Protected::AwsManagedAlias),
            "kms" if aws_managed_key && arn.resource.starts_with("key/") => {
                Some(Protected::AwsManagedKey)
            }
            _ => None,
        }
    }

    /// The resource as a phrase: `the service-linked role`.
    pub fn label(self) -> &'static str {
        match self {
            Protected::AwsManagedPolicy => "the AWS managed policy",
            Protected::ServiceLinkedRole => "the service-linked role",
            Protected::IdentityCenterRole => "the IAM Identity Center role",
            Protected::AwsManagedKey => "the AWS managed key",
            Protected::AwsManagedAlias => "the AWS managed key alias",
        }
    }
}

/// The path of a role ARN's resource part `role/PATH/NAME`: `/PATH/`, or
/// `/` for a role without one; `None` for anything but a role.
fn role_path(resource: &str) -> Option<&str> {
    let rest = resource
        .strip_prefix("role")
        .filter(|r| r.starts_with('/'))?;
    rest.get(..=rest.rfind('/')?)
}

/// Which requests on a protected resource a rule refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// These actions (lower case), from any caller.
    Actions(&'static [&'static str]),
    /// Every action, from a caller of another account than the resource's.
    OtherAccounts,
}

/// One protection: what AWS refuses on a kind of resource, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The resources it protects.
    pub protects: Protected,
    /// The requests it refuses.
    pub scope: Scope,
    /// Why, as AWS says it.
    pub why: &'static str,
    /// The AWS page it follows.
    pub page: &'static str,
}

/// The role operations IAM's API reference lists with the error
/// `UnmodifiableEntity` ("service-linked roles are protected AWS
/// resources", e.g. <https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePolicy.html>)
/// and whose resource is the role. Left out: `UpdateRole` and
/// `UpdateRoleDescription`, since a service-linked role's description
/// stays editable ("Update a service-linked role",
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_update-service-linked-role.html>);
/// `AddRoleToInstanceProfile` and `RemoveRoleFromInstanceProfile`, whose
/// resource is the instance profile; `TagRole` and `UntagRole`, which do
/// not list the error; and `DeleteServiceLinkedRole`, the way to delete one.
const ROLE_CHANGES: &[&str] = &[
    "iam:attachrolepolicy",
    "iam:deleterole",
    "iam:deleterolepermissionsboundary",
    "iam:deleterolepolicy",
    "iam:detachrolepolicy",
    "iam:putrolepermissionsboundary",
    "iam:putrolepolicy",
    "iam:updateassumerolepolicy",
];

/// KMS's alias operations, refused on the reserved prefix and on AWS
/// managed keys.
const ALIAS_CHANGES: &[&str] = &["kms:createalias", "kms:deletealias", "kms:updatealias"];

/// Every protection iamsim models, in the order they are checked.
pub const RULES: &[Rule] = &[
    // IAM user guide, "AWS managed policies": created and administered by
    // AWS; "You cannot change the permissions defined in AWS managed
    // policies". Versions and deletion are how a managed policy changes.
    Rule {
        protects: Protected::AwsManagedPolicy,
        scope: Scope::Actions(&[
            "iam:createpolicyversion",
            "iam:deletepolicy",
            "iam:deletepolicyversion",
            "iam:setdefaultpolicyversion",
        ]),
        why: "AWS managed policies are created and administered by AWS and cannot be changed",
        page: "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies",
    },
    // IAM API reference, TagPolicy and UntagPolicy: they act on "an IAM
    // customer managed policy" only.
    Rule {
        protects: Protected::AwsManagedPolicy,
        scope: Scope::Actions(&["iam:tagpolicy", "iam:untagpolicy"]),
        why: "only customer managed policies take tags",
        page: "https://docs.aws.amazon.com/IAM/latest/APIReference/API_TagPolicy.html",
    },
    // IAM user guide, "Service-linked roles": only the linked service can
    // modify or delete the role; IAM answers UnmodifiableEntity.
    Rule {
        protects: Protected::ServiceLinkedRole,
        scope: Scope::Actions(ROLE_CHANGES),
        why: "UnmodifiableEntity: only the service linked to the role can modify or delete it",
        page: "https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html",
    },
    // IAM Identity Center user guide, "IAM roles created by IAM Identity
    // Center": Identity Center manages these roles and updates them from
    // their permission sets; IAM refuses changes to them ("Cannot perform
    // the operation on the protected role ... this role is only modifiable
    // by AWS", AWS re:Post knowledge center, identity-center-aws-reserved-sso).
    Rule {
        protects: Protected::IdentityCenterRole,
        scope: Scope::Actions(ROLE_CHANGES),
        why: "the role is protected: IAM Identity Center manages it from its permission set",
        page: "https://docs.aws.amazon.com/singlesignon/latest/userguide/identity-center-and-iam-roles.html",
    },
    // KMS developer guide, "Create aliases": "The alias/aws/ prefix is
    // reserved for AWS managed key"; "Delete an alias": "You cannot manage
    // aliases for AWS managed keys".
    Rule {
        protects: Protected::AwsManagedAlias,
        scope: Scope::Actions(ALIAS_CHANGES),
        why: "the alias/aws/ prefix is reserved for AWS managed keys",
        page: "https://docs.aws.amazon.com/kms/latest/developerguide/alias-create.html",
    },
    // KMS developer guide, "AWS KMS keys" (AWS managed keys): only
    // principals of the key's own account can use it.
    Rule {
        protects: Protected::AwsManagedKey,
        scope: Scope::OtherAccounts,
        why: "an AWS managed key can be used only by principals of the account it is in",
        page: "https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key",
    },
    // KMS developer guide, "Editing keys": "You cannot edit any properties
    // of AWS managed keys" (description, key policy, tags, enabling,
    // automatic rotation).
    Rule {
        protects: Protected::AwsManagedKey,
        scope: Scope::Actions(&[
            "kms:disablekey",
            "kms:disablekeyrotation",
            "kms:enablekey",
            "kms:enablekeyrotation",
            "kms:putkeypolicy",
            "kms:tagresource",
            "kms:untagresource",
            "kms:updatekeydescription",
        ]),
        why: "the properties of AWS managed keys cannot be edited: the service that created the key manages it",
        page: "https://docs.aws.amazon.com/kms/latest/developerguide/editing-keys.html",
    },
    // KMS developer guide, "AWS KMS keys": customers cannot manage the
    // lifecycle of AWS managed keys (deletion, on-demand rotation).
    Rule {
        protects: Protected::AwsManagedKey,
        scope: Scope::Actions(&["kms:rotatekeyondemand", "kms:schedulekeydeletion"]),
        why: "customers cannot manage the lifecycle of AWS managed keys",
        page: "https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key",
    },
    // KMS developer guide, "About aliases": "you do not have permission to
    // associate an alias with an AWS managed key"; "Delete an alias": "You
    // cannot manage aliases for AWS managed keys".
    Rule {
        protects: Protected::AwsManagedKey,
        scope: Scope::Actions(ALIAS_CHANGES),
        why: "customers cannot manage the aliases of AWS managed keys",
        page: "https://docs.aws.amazon.com/kms/latest/developerguide/alias-about.html",
    },
];

/// A request AWS refuses whatever the policies say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The rule that refuses it.
    pub rule: &'static Rule,
}

impl Refusal {
    /// The sentence for the explanation: `AWS refuses ACTION on the
    /// service-linked role ARN: WHY (policies cannot allow it); PAGE`.
    pub fn note(&self, action: &str, target: &Target<'_>, caller_account: &str) -> String {
        let whom = match self.rule.scope {
            Scope::OtherAccounts => format!(" to a principal of account {caller_account}"),
            Scope::Actions(_) => String::new(),
        };
        format!(
            "AWS refuses {action} on {} {}{whom}: {} (policies cannot allow it); {}",
            self.rule.protects.label(),
            target.arn,
            self.rule.why,
            self.rule.page
        )
    }
}

/// The protection that refuses `action` (any case) by a caller of
/// `caller_account` on `target`, if any. Allocates nothing: the fast path
/// calls it for every request.
pub fn refusal(action: &str, caller_account: &str, target: &Target<'_>) -> Option<Refusal> {
    let protected = target.protected?;
    RULES
        .iter()
        .filter(|r| r.protects == protected)
        .find(|r| match r.scope {
            Scope::Actions(actions) => actions.iter().any(|a| a.eq_ignore_ascii_case(action)),
            Scope::OtherAccounts => caller_account != target.account,
        })
        .map(|rule| Refusal { rule })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(arn: &str, key: bool) -> Option<Protected> {
        Protected::classify(&Arn::parse(arn).unwrap(), key)
    }

    #[test]
    fn roles_are_told_by_their_exact_path() {
        let slr = "arn:aws:iam::111111111111:role/aws-service-role/elasticbeanstalk.amazonaws.com/AWSServiceRoleForElasticBeanstalk";
        assert_eq!(class(slr, false), Some(Protected::ServiceLinkedRole));
        let sso = "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef";
        assert_eq!(class(sso, false), Some(Protected::IdentityCenterRole));
        for near in [
            "arn:aws:iam::111111111111:role/aws-service-roles/x.amazonaws.com/R",
            "arn:aws:iam::111111111111:role/service-role/R",
            "arn:aws:iam::111111111111:role/aws-service-role",
            "arn:aws:iam::111111111111:role/aws-reserved/R",
            "arn:aws:iam::111111111111:role/team/aws-service-role/R",
            "arn:aws:iam::111111111111:user/aws-service-role/R",
        ] {
            assert_eq!(class(near, false), None, "{near}");
        }
    }

    #[test]
    fn role_paths_are_cut_at_the_last_slash() {
        assert_eq!(role_path("role/R"), Some("/"));
        assert_eq!(role_path("role/a/b/R"), Some("/a/b/"));
        assert_eq!(role_path("user/a/R"), None);
    }

    #[test]
    fn policies_keys_and_aliases() {
        assert_eq!(
            class("arn:aws:iam::aws:policy/ReadOnlyAccess", false),
            Some(Protected::AwsManagedPolicy)
        );
        assert_eq!(
            class(
                "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
                false
            ),
            Some(Protected::AwsManagedPolicy)
        );
        assert_eq!(class("arn:aws:iam::111111111111:policy/Mine", false), None);
        assert_eq!(
            class("arn:aws:kms:us-east-1:111111111111:alias/aws/s3", false),
            Some(Protected::AwsManagedAlias)
        );
        assert_eq!(
            class("arn:aws:kms:us-east-1:111111111111:alias/awsome", false),
            None
        );
        let key = "arn:aws:kms:us-east-1:111111111111:key/k";
        assert_eq!(class(key, true), Some(Protected::AwsManagedKey));
        assert_eq!(class(key, false), None);
    }

    fn target(arn: &str, protected: Option<Protected>) -> Target<'_> {
        Target {
            arn,
            account: "111111111111",
            policy: None,
            policy_required: false,
            tags: None,
            iam_entity: false,
            protected,
        }
    }

    #[test]
    fn refuses_the_listed_actions_and_no_others() {
        let slr = target(
            "arn:aws:iam::111111111111:role/aws-service-role/x/R",
            Some(Protected::ServiceLinkedRole),
        );
        let acct = "111111111111";
        assert!(refusal("iam:PutRolePolicy", acct, &slr).is_some());
        assert!(refusal("IAM:DELETEROLE", acct, &slr).is_some());
        assert!(refusal("iam:UpdateRoleDescription", acct, &slr).is_none());
        assert!(refusal("iam:DeleteServiceLinkedRole", acct, &slr).is_none());
        let plain = target("arn:aws:iam::111111111111:role/R", None);
        assert!(refusal("iam:PutRolePolicy", acct, &plain).is_none());
    }

    #[test]
    fn an_aws_managed_key_is_refused_to_other_accounts_only() {
        let key = target(
            "arn:aws:kms:us-east-1:111111111111:key/k",
            Some(Protected::AwsManagedKey),
        );
        assert!(refusal("kms:Decrypt", "111111111111", &key).is_none());
        let r = refusal("kms:Decrypt", "222222222222", &key).unwrap();
        assert_eq!(r.rule.scope, Scope::OtherAccounts);
        let note = r.note("kms:Decrypt", &key, "222222222222");
        assert!(
            note.contains("to a principal of account 222222222222"),
            "{note}"
        );
        assert!(note.contains("concepts.html#aws-managed-key"), "{note}");
        assert!(refusal("kms:PutKeyPolicy", "111111111111", &key).is_some());
        assert!(refusal("kms:DescribeKey", "111111111111", &key).is_none());
    }

    #[test]
    fn every_rule_names_an_aws_page_and_lower_case_actions() {
        for r in RULES {
            assert!(r.page.starts_with("https://docs.aws.amazon.com/"), "{r:?}");
            if let Scope::Actions(actions) = r.scope {
                assert!(
                    actions.iter().all(|a| *a == a.to_ascii_lowercase()),
                    "{r:?}"
                );
            }
        }
    }
}
