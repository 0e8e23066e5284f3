//! The rules of `iamsim validate`: each with a stable id, a level, a
//! one-line summary and the AWS page it follows. Errors are what the
//! service storing a policy rejects or what `iamsim run` refuses; warnings
//! are what AWS accepts but is almost certainly a mistake; notes are IAM
//! Access Analyzer's suggestions.

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Rejected by AWS or by `iamsim run`.
    Error,
    /// Accepted, but almost certainly a mistake.
    Warning,
    /// A suggestion that changes no access.
    Note,
}

impl Level {
    /// `error`, `warning` or `note`: the words SARIF uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
        }
    }
}

/// IAM Access Analyzer's policy check reference, whose anchors the
/// policy rules cite.
const AA: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html";

macro_rules! rules {
    ($($(#[$doc:meta])* $name:ident = $id:literal, $level:ident, $uri:expr, $summary:literal;)*) => {
        /// A rule of `iamsim validate`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule {
            $($(#[$doc])* $name,)*
        }

        impl Rule {
            /// Every rule, in the order the README lists them.
            pub const ALL: &'static [Rule] = &[$(Rule::$name,)*];

            /// Its stable id, a kebab-case name.
            pub fn id(self) -> &'static str {
                match self { $(Rule::$name => $id,)* }
            }

            /// Its level.
            pub fn level(self) -> Level {
                match self { $(Rule::$name => Level::$level,)* }
            }

            /// The AWS page it follows.
            pub fn help_uri(self) -> String {
                match self { $(Rule::$name => $uri.to_string(),)* }
            }

            /// What it finds, in one line.
            pub fn summary(self) -> &'static str {
                match self { $(Rule::$name => $summary,)* }
            }
        }
    };
}

/// AWS's policy evaluation logic: the page of what iamsim itself refuses.
const EVALUATION: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html";

/// An anchor of Access Analyzer's check reference.
fn aa(anchor: &str) -> String {
    format!("{AA}#access-analyzer-reference-policy-checks-{anchor}")
}

rules! {
    /// A file that cannot be read.
    Unreadable = "unreadable", Error, aa("error-json-syntax-error"),
        "the file cannot be read, or is not UTF-8";
    /// Malformed JSON.
    JsonSyntax = "json-syntax", Error, aa("error-json-syntax-error"),
        "the file is not valid JSON; the rest of the file is not checked";
    /// A policy document AWS rejects.
    PolicyGrammar = "policy-grammar", Error, "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html",
        "a policy that the IAM policy grammar rejects";
    /// A world file `iamsim run` refuses.
    WorldFormat = "world-format", Error, EVALUATION,
        "a world that iamsim refuses: unknown keys, references to missing entities, malformed ARNs";
    /// A scenario file `iamsim run` refuses while reading it.
    ScenarioFormat = "scenario-format", Error, "https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html",
        "a scenario file that iamsim run refuses: its keys, or actions, keys and resources the service reference does not have";
    /// A scenario `iamsim run` refuses when it runs it.
    ScenarioRun = "scenario-run", Error, EVALUATION,
        "a scenario that iamsim run refuses when it runs it: a principal or role its world does not have";
    /// A question's name the reference does not list for its action.
    ScenarioName = "scenario-name", Warning, "https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html",
        "a question's resource or key that the service reference does not list for its action (run warns too)";
    /// Two scenarios of a file with one name.
    DuplicateScenarioName = "duplicate-scenario-name", Warning, EVALUATION,
        "two scenarios of one file have the same name, so results cannot be told apart (run warns too)";
    /// An action no service defines.
    UnknownAction = "unknown-action", Warning, aa("error-invalid-action"),
        "an action that its service does not define, or a pattern that matches none";
    /// A service prefix AWS does not have.
    UnknownService = "unknown-service", Warning, aa("error-invalid-service"),
        "an action of a service prefix that AWS does not have";
    /// An `aws:` key that is not a global condition key.
    UnknownGlobalConditionKey = "unknown-global-condition-key", Warning, aa("error-invalid-global-condition-key"),
        "an aws: condition key that is not a global condition key, so no request carries it";
    /// A service key its service does not have.
    UnknownServiceConditionKey = "unknown-service-condition-key", Warning, aa("error-invalid-service-condition-key"),
        "a condition key that its service, or any service of that prefix, does not have";
    /// A key of another service than the statement's actions.
    ConditionKeyOfOtherService = "condition-key-of-other-service", Warning, aa("error-unsupported-action-for-condition-key"),
        "a service condition key of another service than every action of the statement";
    /// A key none of the statement's actions supports.
    ConditionKeyNotForActions = "condition-key-not-for-actions", Warning, aa("error-unsupported-action-for-condition-key"),
        "a service condition key that none of the statement's actions of that service supports";
    /// An ARN with a region where its resource type has none.
    ArnRegionNotAllowed = "arn-region-not-allowed", Warning, aa("error-arn-region-not-allowed"),
        "an ARN with a region where its resource type has none (S3 bucket and object ARNs)";
    /// An ARN with an account where its resource type has none.
    ArnAccountNotAllowed = "arn-account-not-allowed", Warning, aa("error-arn-account-not-allowed"),
        "an ARN with an account where its resource type has none (S3 bucket and object ARNs)";
    /// An ARN without the region its resource type has.
    ArnMissingRegion = "arn-missing-region", Warning, aa("error-missing-arn-region"),
        "an ARN without the region its resource type has (S3 access points)";
    /// An ARN without the account its resource type has.
    ArnMissingAccount = "arn-missing-account", Warning, aa("error-invalid-arn-account"),
        "an ARN without the account its resource type has (S3 access points, IAM roles)";
    /// An ARN of no resource type of its service.
    ArnResourceFormat = "arn-resource-format", Warning, aa("error-invalid-arn-resource"),
        "an ARN without wildcards that has the format of no resource type of its service";
    /// Actions and resources that cannot meet.
    ActionResourceMismatch = "action-resource-mismatch", Warning, "https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html#actions_table",
        "no action of the statement takes a resource of a type the statement's resources can be";
    /// No Version.
    MissingVersion = "missing-version", Warning, aa("general-warning-missing-version"),
        "a policy without Version: policy variables stay literal text";
    /// A variable under a Version that does not read variables.
    VariableInOldVersion = "variable-in-old-version", Warning, aa("error-variable-unsupported-in-version"),
        "${...} under a Version other than 2012-10-17, where it is literal text";
    /// Allow with NotPrincipal.
    AllowWithNotPrincipal = "allow-with-not-principal", Warning, aa("security-warning-allow-with-not-principal"),
        "Allow with NotPrincipal grants to everyone not listed, anonymous callers included";
    /// iam:PassRole on `*`.
    PassRoleWithStar = "pass-role-with-star", Warning, aa("security-warning-pass-role-with-star-in-resource"),
        "iam:PassRole on \"*\" lets the caller hand any role to a service";
    /// A trust policy that lets anyone assume the role.
    TrustAnyPrincipal = "trust-any-principal", Warning, "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-anonymous",
        "a trust policy that lets any principal of any account assume the role";
    /// A Sid used twice.
    DuplicateSid = "duplicate-sid", Warning, aa("general-warning-unique-sids-recommended"),
        "a Sid used twice in one policy";
    /// An SCP level without an Allow.
    ScpAllowsNothing = "scp-allows-nothing", Warning, "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html",
        "a level of the organization whose SCPs allow nothing, so every request of its accounts is denied";
    /// An unconditional RCP Deny over a whole service.
    RcpDenyWholeService = "rcp-deny-whole-service", Warning, "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_evaluation.html",
        "an RCP Deny without a condition over every action of a service, the organization's own principals included";
    /// An action listed twice, or covered by a wildcard beside it.
    RedundantAction = "redundant-action", Note, aa("suggestion-redundant-action"),
        "an action listed twice in a statement, or covered by another entry's wildcard";
}
