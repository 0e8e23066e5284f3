//! Each resource type iamsim reads, turned into world edits ([`Item`]),
//! with the attributes read as the AWS provider's registry pages define
//! them (<https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/iam_role>
//! and the pages beside it, named per type below). Policy texts are checked
//! as AWS checks them while reading, so errors point into the plan.

use super::plan::{Action, Change};
use super::references::{Known, is_placeholder, is_unknown, text};
use crate::diag::{Diagnostic, Doc, JsonPath, Seg};
use crate::import::Reader;
use crate::json::{Node, Value};
use crate::policy::PolicyKind;
use crate::world::parse_source;
use serde_json::{Map, Value as Out, json};

/// AWS's default key policy, for a key created without one
/// (<https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html>):
/// the account's root may do every KMS action, so identity policies of the
/// account decide.
pub const DEFAULT_KEY_POLICY_SID: &str = "Enable IAM User Permissions";

/// Which side of a change is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// `change.before`: the object before the plan.
    Before,
    /// `change.after` with `after_unknown`: the object after it.
    After,
}

impl Side {
    fn key(self) -> &'static str {
        match self {
            Side::Before => "before",
            Side::After => "after",
        }
    }
}

/// What holds identity policies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holder {
    /// An IAM user.
    User,
    /// An IAM group.
    Group,
    /// An IAM role.
    Role,
}

impl Holder {
    /// The world's key for this kind (`users`, `groups`, `roles`).
    pub fn key(self) -> &'static str {
        match self {
            Holder::User => "users",
            Holder::Group => "groups",
            Holder::Role => "roles",
        }
    }

    /// The word for messages.
    pub fn word(self) -> &'static str {
        match self {
            Holder::User => "user",
            Holder::Group => "group",
            Holder::Role => "role",
        }
    }
}

/// A user, group or role of an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entity {
    /// Its account.
    pub account: String,
    /// Its kind.
    pub holder: Holder,
    /// Its name.
    pub name: String,
}

/// One edit of the world that a resource makes.
#[derive(Clone, Debug)]
pub enum Item {
    /// A user, group or role with the fields its resource sets: `fields`
    /// replace the entity's own (`inline_policies` and `managed_policies`
    /// only when the configuration sets them: then they are the whole set).
    Principal {
        /// The entity.
        at: Entity,
        /// Its fields in world form.
        fields: Map<String, Out>,
    },
    /// A customer managed policy.
    Policy {
        /// Its account.
        account: String,
        /// Its name.
        name: String,
        /// Its document, with provenance.
        doc: Out,
    },
    /// An inline policy of a user, group or role.
    Inline {
        /// Its holder.
        at: Entity,
        /// Its name.
        name: String,
        /// Its document.
        doc: Out,
    },
    /// A managed policy attached to a user, group or role.
    Attach {
        /// The entity.
        at: Entity,
        /// A policy ARN, or an unknown attachment.
        policy: Out,
    },
    /// A user joins groups (`aws_iam_user_group_membership`).
    Join {
        /// The user.
        user: Entity,
        /// Group names, or unknown ones.
        groups: Vec<Out>,
    },
    /// A group's whole membership (`aws_iam_group_membership`).
    Members {
        /// The group.
        group: Entity,
        /// Its users.
        users: Vec<String>,
        /// When some users are known only after apply: the unknown group
        /// every other user of the account may be in.
        unknown: Option<Out>,
    },
    /// Every attachment of one managed policy in an account
    /// (`aws_iam_policy_attachment`).
    Attachments {
        /// The account.
        account: String,
        /// The policy ARN.
        policy: Out,
        /// The entities it is attached to, and no others.
        to: Vec<Entity>,
        /// Kinds whose list is known only after apply, with the unknown
        /// attachment every entity of that kind may have.
        unknown: Vec<(Holder, Out)>,
    },
    /// The inline policy names an entity keeps, others removed.
    OnlyInline {
        /// The entity.
        at: Entity,
        /// The names kept.
        names: Vec<String>,
    },
    /// The managed policies an entity keeps, others detached.
    OnlyAttached {
        /// The entity.
        at: Entity,
        /// The ARNs kept.
        policies: Vec<Out>,
    },
    /// A bucket with the fields its resource sets.
    Bucket {
        /// Its account.
        account: String,
        /// Its name.
        name: String,
        /// Its fields in world form.
        fields: Map<String, Out>,
    },
    /// A bucket's policy (`aws_s3_bucket_policy`).
    BucketPolicy {
        /// The bucket name.
        bucket: String,
        /// The document.
        doc: Out,
    },
    /// A bucket's default encryption: a KMS key ARN, or none (SSE-S3).
    Encryption {
        /// The bucket name.
        bucket: String,
        /// The key, when SSE-KMS.
        key: Option<String>,
    },
    /// A KMS key.
    Key {
        /// Its account.
        account: String,
        /// Its ARN.
        arn: String,
        /// Its fields in world form.
        fields: Map<String, Out>,
    },
    /// A key's policy (`aws_kms_key_policy`).
    KeyPolicy {
        /// A key id or ARN.
        key: String,
        /// The document.
        doc: Out,
    },
    /// An SCP or RCP attached to the root, an OU or an account.
    OrgAttach {
        /// `r-...`, `ou-...` or an account id.
        target: String,
        /// True for an RCP.
        rcp: bool,
        /// The policy's name.
        name: String,
        /// The document (with provenance) or an unknown.
        doc: Out,
        /// The `aws_organizations_policy` address.
        address: String,
    },
}

impl Item {
    /// The order edits are applied in: entities, then what attaches to
    /// them, then what replaces a whole set.
    pub fn tier(&self) -> u8 {
        match self {
            Item::Principal { .. }
            | Item::Policy { .. }
            | Item::Bucket { .. }
            | Item::Key { .. } => 0,
            Item::Members { .. }
            | Item::Attachments { .. }
            | Item::OnlyInline { .. }
            | Item::OnlyAttached { .. } => 2,
            _ => 1,
        }
    }
}

/// The resource types iamsim reads.
pub const READ: &[&str] = &[
    "aws_iam_role",
    "aws_iam_role_policy",
    "aws_iam_role_policy_attachment",
    "aws_iam_policy",
    "aws_iam_user",
    "aws_iam_user_policy",
    "aws_iam_user_policy_attachment",
    "aws_iam_group",
    "aws_iam_group_policy",
    "aws_iam_group_policy_attachment",
    "aws_iam_group_membership",
    "aws_iam_user_group_membership",
    "aws_iam_policy_attachment",
    "aws_iam_role_policies_exclusive",
    "aws_iam_role_policy_attachments_exclusive",
    "aws_iam_user_policies_exclusive",
    "aws_iam_user_policy_attachments_exclusive",
    "aws_iam_group_policies_exclusive",
    "aws_iam_group_policy_attachments_exclusive",
    "aws_s3_bucket",
    "aws_s3_bucket_policy",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_kms_key",
    "aws_kms_key_policy",
    "aws_organizations_policy",
    "aws_organizations_policy_attachment",
];

/// Resource types that carry a resource-based policy iamsim does not model
/// yet: named in a warning, since their policies grant access iamsim
/// cannot see.
pub const UNMODELLED_POLICIES: &[&str] = &[
    "aws_sqs_queue_policy",
    "aws_sns_topic_policy",
    "aws_lambda_permission",
    "aws_ecr_repository_policy",
    "aws_ecrpublic_repository_policy",
    "aws_secretsmanager_secret_policy",
    "aws_opensearch_domain_policy",
    "aws_elasticsearch_domain_policy",
    "aws_glue_resource_policy",
    "aws_cloudwatch_log_resource_policy",
    "aws_backup_vault_policy",
    "aws_efs_file_system_policy",
    "aws_s3control_access_point_policy",
    "aws_s3control_bucket_policy",
    "aws_api_gateway_rest_api_policy",
    "aws_dynamodb_resource_policy",
    "aws_kinesis_resource_policy",
    "aws_cloudwatch_event_bus_policy",
    "aws_kms_grant",
    "aws_iam_service_linked_role",
];

/// A string attribute read: known, absent (null or empty), or known only
/// after apply (its `ADDRESS ATTRIBUTE`).
enum Str {
    Known(String),
    Absent,
    Unknown,
}

/// Builds items, collecting errors and unknowns.
pub struct Build<'a, 'p, 's> {
    /// What the plan knows.
    pub known: Known<'a, 'p>,
    /// Policy checking, with the sources and errors.
    pub reader: Reader<'s>,
    /// Every `ADDRESS ATTRIBUTE` known only after apply, with where.
    pub unknowns: Vec<(String, Diagnostic)>,
    /// Resource types read for nothing (tag policies...), by address.
    pub skipped: Vec<String>,
}

/// Runs `f` with the JSON path `resource_changes[i].change.SIDE.TAIL...`.
fn at_path<R>(
    ch: &Change<'_>,
    side: Side,
    tail: &[Seg<'_>],
    f: impl FnOnce(&JsonPath<'_>) -> R,
) -> R {
    let a = JsonPath::ROOT;
    let b = a.key("resource_changes");
    let c = b.index(ch.index);
    let d = c.key("change");
    let e = d.key(side.key());
    extend(&e, tail, f)
}

fn extend<R>(p: &JsonPath<'_>, tail: &[Seg<'_>], f: impl FnOnce(&JsonPath<'_>) -> R) -> R {
    match tail.split_first() {
        None => f(p),
        Some((Seg::Key(k), rest)) => extend(&p.key(k), rest, f),
        Some((Seg::Index(i), rest)) => extend(&p.index(*i), rest, f),
    }
}

fn values<'p>(ch: &Change<'p>, side: Side) -> Option<&'p Node> {
    match side {
        Side::Before => ch.before,
        Side::After => ch.after,
    }
}

/// `{"terraform": ADDRESS, "unknown": ATTRIBUTE}` (the world format's
/// policy or attachment known only after apply).
fn unknown_form(ch: &Change<'_>, attr: &str) -> Out {
    json!({"terraform": ch.address, "unknown": attr})
}

impl<'a, 'p> Build<'a, 'p, '_> {
    /// A located error at a change.
    pub fn error(&mut self, ch: &Change<'_>, msg: String) {
        let d = ch.located(self.known.plan.doc, None, "", msg);
        self.reader.errors.push(d);
    }

    /// Records `ADDRESS ATTRIBUTE` as known only after apply.
    fn unknown(&mut self, ch: &Change<'_>, attr: &str) {
        let key = format!("{} {attr}", ch.address);
        if self.unknowns.iter().any(|(k, _)| *k == key) {
            return;
        }
        let node = ch.after_unknown.and_then(|u| u.get(attr));
        let below = if node.is_some() {
            format!("change.after_unknown.{attr}")
        } else {
            String::new()
        };
        let msg = format!("{key} is known only after apply");
        let d = ch.located(self.known.plan.doc, node, &below, msg);
        self.unknowns.push((key, d));
    }

    fn account(&mut self, ch: &Change<'_>) -> Option<String> {
        if let Some(a) = self.known.account(ch) {
            return Some(a.to_string());
        }
        let key = ch.provider_key().to_string();
        if !self
            .reader
            .errors
            .iter()
            .any(|e| e.message.contains(&format!("\"{key}\"")))
        {
            self.error(
                ch,
                format!(
                    "{}: no account for provider configuration \"{key}\": a plan does not say which account it acts in; give --terraform-account {key}=ACCOUNT (or --terraform-account ACCOUNT for every configuration), or read data.aws_caller_identity in the configuration",
                    ch.address
                ),
            );
        }
        None
    }

    fn string(&mut self, ch: &Change<'_>, side: Side, attr: &str) -> Str {
        if side == Side::After && is_unknown(ch, attr) {
            if let Some(v) = self.known.resolve(ch, attr) {
                // A reference to an entity known only in part: the edit
                // lands on its placeholder, and the value is still unknown.
                if is_placeholder(&v) {
                    self.unknown(ch, attr);
                }
                return Str::Known(v);
            }
            self.unknown(ch, attr);
            return Str::Unknown;
        }
        match text(values(ch, side), attr) {
            Some(s) => Str::Known(s.to_string()),
            None => Str::Absent,
        }
    }

    /// A string the edit cannot do without: unknown or absent is an error.
    fn required(&mut self, ch: &Change<'_>, side: Side, attr: &str) -> Option<String> {
        match self.string(ch, side, attr) {
            Str::Known(s) => Some(s),
            Str::Absent => {
                self.error(ch, format!("{}: \"{attr}\" is missing", ch.address));
                None
            }
            Str::Unknown => {
                self.error(
                    ch,
                    format!(
                        "{}: \"{attr}\" is known only after apply and is no single reference to a known attribute, so iamsim cannot tell what it applies to",
                        ch.address
                    ),
                );
                None
            }
        }
    }

    /// A list of strings: each known, or unknown in world form.
    fn list(&mut self, ch: &Change<'_>, side: Side, attr: &str) -> Option<Vec<Out>> {
        if side == Side::After && is_unknown(ch, attr) {
            self.unknown(ch, attr);
            return Some(vec![unknown_form(ch, attr)]);
        }
        let items = match &values(ch, side)?.get(attr)?.value {
            Value::Array(items) => items,
            _ => return None,
        };
        let marks = ch.after_unknown.and_then(|u| u.get(attr));
        let unknown_at = |i: usize| {
            side == Side::After
                && matches!(marks.map(|m| &m.value), Some(Value::Array(v)) if v.get(i).is_some_and(|n| matches!(n.value, Value::Bool(true))))
        };
        let unknown_count = (0..items.len()).filter(|&i| unknown_at(i)).count();
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            if unknown_at(i) {
                // The one reference is the unknown element's only if it
                // names none of the known ones (the others are literals).
                let resolved = (unknown_count == 1)
                    .then(|| self.known.resolve(ch, attr))
                    .flatten()
                    .filter(|v| !items.iter().any(|n| n.as_str() == Some(v)));
                match resolved {
                    Some(v) => out.push(json!(v)),
                    None => {
                        self.unknown(ch, attr);
                        out.push(unknown_form(ch, attr));
                    }
                }
            } else if let Some(s) = item.as_str().filter(|s| !s.is_empty()) {
                out.push(json!(s));
            }
        }
        Some(out)
    }

    /// Names of a list, every one needed.
    fn names(&mut self, ch: &Change<'_>, side: Side, attr: &str) -> Vec<String> {
        let (names, unknown) = self.some_names(ch, side, attr);
        if unknown.is_some() {
            self.error(
                ch,
                format!(
                    "{}: an element of \"{attr}\" is known only after apply and is no single reference to a known attribute, so iamsim cannot tell what it applies to",
                    ch.address
                ),
            );
        }
        names
    }

    /// The known names of a list, and the unknown form when some are known
    /// only after apply.
    fn some_names(
        &mut self,
        ch: &Change<'_>,
        side: Side,
        attr: &str,
    ) -> (Vec<String>, Option<Out>) {
        let mut names = Vec::new();
        let mut unknown = None;
        for v in self.list(ch, side, attr).unwrap_or_default() {
            match v.as_str() {
                Some(s) => names.push(s.to_string()),
                None => unknown = Some(v),
            }
        }
        (names, unknown)
    }

    /// A policy document attribute, with provenance: `None` when absent.
    fn doc(&mut self, ch: &Change<'_>, side: Side, attr: &str, kind: PolicyKind) -> Option<Out> {
        if side == Side::After && is_unknown(ch, attr) {
            if let Some(t) = self.known.resolve(ch, attr) {
                return self.text_doc(ch, attr, t, kind);
            }
            self.unknown(ch, attr);
            return Some(unknown_form(ch, attr));
        }
        let node = values(ch, side)?.get(attr)?;
        if matches!(node.value, Value::Null) || node.as_str() == Some("") {
            return None;
        }
        self.node_doc(ch, side, &[Seg::Key(attr)], node, kind)
    }

    fn node_doc(
        &mut self,
        ch: &Change<'_>,
        side: Side,
        tail: &[Seg<'_>],
        node: &Node,
        kind: PolicyKind,
    ) -> Option<Out> {
        let doc = self.known.plan.doc;
        let reader = &mut self.reader;
        let out = at_path(ch, side, tail, |p| reader.document(doc, node, p, kind))?;
        Some(json!({"terraform": ch.address, "document": out}))
    }

    /// A document whose text came through a reference.
    fn text_doc(
        &mut self,
        ch: &Change<'_>,
        attr: &str,
        text: String,
        kind: PolicyKind,
    ) -> Option<Out> {
        let id = self.reader.sources.add(
            format!("{} {attr} (through its reference)", ch.address),
            text,
        );
        let node = match parse_source(self.reader.sources, id) {
            Ok(n) => n,
            Err(d) => {
                self.reader.errors.push(d);
                return None;
            }
        };
        let out = self
            .reader
            .document(Doc { source: id }, &node, &JsonPath::ROOT, kind)?;
        Some(json!({"terraform": ch.address, "document": out}))
    }

    /// Tags: `tags_all` (with the provider's default tags) when known,
    /// else `tags`.
    fn tags(ch: &Change<'_>, side: Side) -> Out {
        let v = values(ch, side);
        let all = v
            .and_then(|v| v.get("tags_all"))
            .filter(|t| t.as_object().is_some());
        let tags = all.or_else(|| v.and_then(|v| v.get("tags")));
        let map: Map<String, Out> = tags
            .and_then(Node::as_object)
            .unwrap_or(&[])
            .iter()
            .filter_map(|m| m.node.as_str().map(|s| (m.key.clone(), json!(s))))
            .collect();
        Out::Object(map)
    }

    /// The name of an entity the change creates or holds, and the unknown
    /// list it carries.
    fn own_name(&mut self, ch: &Change<'_>, side: Side) -> Option<(String, Vec<Out>)> {
        let attr = if ch.kind == "aws_s3_bucket" {
            "bucket"
        } else {
            "name"
        };
        if side == Side::Before {
            return match text(ch.before, attr) {
                Some(n) => Some((n.to_string(), Vec::new())),
                None => {
                    self.error(ch, format!("{}: \"{attr}\" is missing", ch.address));
                    None
                }
            };
        }
        let (name, placeholder) = self.known.name_of(ch);
        if placeholder {
            self.unknown(ch, attr);
            return Some((name, vec![json!(format!("{} {attr}", ch.address))]));
        }
        Some((name, Vec::new()))
    }

    fn configured(ch: &Change<'_>, attr: &str) -> bool {
        ch.expression(attr).is_some()
    }

    /// The edits a change makes on one side.
    pub fn items(&mut self, ch: &Change<'_>, side: Side) -> Vec<Item> {
        let holder = |k: &str| {
            if k.contains("_role") {
                Holder::Role
            } else if k.contains("_group") {
                Holder::Group
            } else {
                Holder::User
            }
        };
        let Some(account) = self.account(ch) else {
            return Vec::new();
        };
        let entity = |b: &mut Self, attr: &str, h: Holder| -> Option<Entity> {
            let name = b.required(ch, side, attr)?;
            Some(Entity {
                account: account.clone(),
                holder: h,
                name,
            })
        };
        let kind = ch.kind.clone();
        let mut out = Vec::new();
        match kind.as_str() {
            "aws_iam_role" | "aws_iam_user" | "aws_iam_group" => {
                if let Some(item) = self.principal(ch, side, &account, holder(&kind)) {
                    out.push(item);
                }
            }
            "aws_iam_policy" => {
                if let Some((name, _)) = self.own_name(ch, side) {
                    if let Some(doc) = self.doc(ch, side, "policy", PolicyKind::Identity) {
                        out.push(Item::Policy { account, name, doc });
                    }
                }
            }
            "aws_iam_role_policy" | "aws_iam_user_policy" | "aws_iam_group_policy" => {
                let h = holder(&kind);
                let at = entity(self, h.word(), h);
                let name = match self.string(ch, side, "name") {
                    Str::Known(n) => n,
                    _ => super::references::placeholder(
                        text(values(ch, side), "name_prefix").unwrap_or(""),
                        &ch.address,
                        false,
                    ),
                };
                let doc = self.doc(ch, side, "policy", PolicyKind::Identity);
                if let (Some(at), Some(doc)) = (at, doc) {
                    out.push(Item::Inline { at, name, doc });
                }
            }
            "aws_iam_role_policy_attachment"
            | "aws_iam_user_policy_attachment"
            | "aws_iam_group_policy_attachment" => {
                let h = holder(&kind);
                let at = entity(self, h.word(), h);
                let policy = self.attachment(ch, side, "policy_arn");
                if let (Some(at), Some(policy)) = (at, policy) {
                    out.push(Item::Attach { at, policy });
                }
            }
            "aws_iam_user_group_membership" => {
                let user = entity(self, "user", Holder::User);
                let groups = self.list(ch, side, "groups").unwrap_or_default();
                if let Some(user) = user {
                    out.push(Item::Join { user, groups });
                }
            }
            "aws_iam_group_membership" => {
                let group = entity(self, "group", Holder::Group);
                let (users, unknown) = self.some_names(ch, side, "users");
                if let Some(group) = group {
                    out.push(Item::Members {
                        group,
                        users,
                        unknown,
                    });
                }
            }
            "aws_iam_policy_attachment" => {
                let policy = self.attachment(ch, side, "policy_arn");
                let mut to = Vec::new();
                let mut unknown = Vec::new();
                for (attr, h) in [
                    ("users", Holder::User),
                    ("roles", Holder::Role),
                    ("groups", Holder::Group),
                ] {
                    let (names, u) = self.some_names(ch, side, attr);
                    for name in names {
                        to.push(Entity {
                            account: account.clone(),
                            holder: h,
                            name,
                        });
                    }
                    unknown.extend(u.map(|u| (h, u)));
                }
                if let Some(policy) = policy {
                    out.push(Item::Attachments {
                        account,
                        policy,
                        to,
                        unknown,
                    });
                }
            }
            k if k.ends_with("_exclusive") => {
                let h = holder(k);
                let at = entity(self, &format!("{}_name", h.word()), h);
                if let Some(at) = at {
                    if k.contains("_policies_") {
                        let names = self.names(ch, side, "policy_names");
                        out.push(Item::OnlyInline { at, names });
                    } else {
                        let policies = self.list(ch, side, "policy_arns").unwrap_or_default();
                        out.push(Item::OnlyAttached { at, policies });
                    }
                }
            }
            "aws_s3_bucket" => {
                if let Some((name, unknown)) = self.own_name(ch, side) {
                    let mut fields = Map::new();
                    let region = text(values(ch, side), "region")
                        .or_else(|| self.known.accounts.region(ch.provider_key()));
                    if let Some(r) = region {
                        fields.insert("region".into(), json!(r));
                    }
                    // The deprecated inline `policy` counts only when the
                    // configuration sets it: it is computed otherwise.
                    if Self::configured(ch, "policy") || side == Side::Before && ch.config.is_none()
                    {
                        if let Some(p) = self.doc(ch, side, "policy", PolicyKind::Bucket) {
                            fields.insert("policy".into(), p);
                        }
                    }
                    fields.insert("tags".into(), Self::tags(ch, side));
                    if !unknown.is_empty() {
                        fields.insert("unknown".into(), Out::Array(unknown));
                    }
                    out.push(Item::Bucket {
                        account,
                        name,
                        fields,
                    });
                }
            }
            "aws_s3_bucket_policy" => {
                let bucket = self.required(ch, side, "bucket");
                let doc = self.doc(ch, side, "policy", PolicyKind::Bucket);
                if let (Some(bucket), Some(doc)) = (bucket, doc) {
                    out.push(Item::BucketPolicy { bucket, doc });
                }
            }
            "aws_s3_bucket_server_side_encryption_configuration" => {
                if let Some(bucket) = self.required(ch, side, "bucket") {
                    if let Some(key) = self.encryption_key(ch, side) {
                        out.push(Item::Encryption { bucket, key });
                    }
                }
            }
            "aws_kms_key" => {
                if let Some(item) = self.key(ch, side, account) {
                    out.push(item);
                }
            }
            "aws_kms_key_policy" => {
                let key = self.required(ch, side, "key_id");
                let doc = self.doc(ch, side, "policy", PolicyKind::Key);
                if let (Some(key), Some(doc)) = (key, doc) {
                    out.push(Item::KeyPolicy { key, doc });
                }
            }
            "aws_organizations_policy_attachment" => {
                if let Some(item) = self.org_attachment(ch, side) {
                    out.push(item);
                }
            }
            _ => {}
        }
        out
    }

    /// A `policy_arn`: known, or an unknown attachment.
    fn attachment(&mut self, ch: &Change<'_>, side: Side, attr: &str) -> Option<Out> {
        match self.string(ch, side, attr) {
            Str::Known(a) => Some(json!(a)),
            Str::Unknown => Some(unknown_form(ch, attr)),
            Str::Absent => {
                self.error(ch, format!("{}: \"{attr}\" is missing", ch.address));
                None
            }
        }
    }

    /// `aws_iam_role` (`assume_role_policy`, `path`, `permissions_boundary`,
    /// `tags`, and `inline_policy` and `managed_policy_arns` when
    /// configured), `aws_iam_user` (`path`, `permissions_boundary`,
    /// `tags`), `aws_iam_group` (`path`).
    fn principal(&mut self, ch: &Change<'_>, side: Side, account: &str, h: Holder) -> Option<Item> {
        let (name, unknown) = self.own_name(ch, side)?;
        let mut fields = Map::new();
        let path = text(values(ch, side), "path").unwrap_or("/");
        fields.insert("path".into(), json!(path));
        if h == Holder::Role {
            let Some(trust) = self.doc(ch, side, "assume_role_policy", PolicyKind::Trust) else {
                self.error(
                    ch,
                    format!("{}: \"assume_role_policy\" is missing", ch.address),
                );
                return None;
            };
            fields.insert("trust_policy".into(), trust);
        }
        if h != Holder::Group {
            match self.string(ch, side, "permissions_boundary") {
                Str::Known(b) => {
                    fields.insert("permissions_boundary".into(), json!(b));
                }
                Str::Unknown => {
                    fields.insert(
                        "permissions_boundary".into(),
                        unknown_form(ch, "permissions_boundary"),
                    );
                }
                Str::Absent => {
                    fields.insert("permissions_boundary".into(), Out::Null);
                }
            }
            fields.insert("tags".into(), Self::tags(ch, side));
        }
        if h == Holder::Role && Self::configured(ch, "inline_policy") {
            fields.insert(
                "inline_policies".into(),
                Out::Object(self.inline_blocks(ch, side)),
            );
        }
        if h == Holder::Role && Self::configured(ch, "managed_policy_arns") {
            let list = self
                .list(ch, side, "managed_policy_arns")
                .unwrap_or_default();
            fields.insert("managed_policies".into(), Out::Array(list));
        }
        fields.insert("unknown".into(), Out::Array(unknown));
        Some(Item::Principal {
            at: Entity {
                account: account.to_string(),
                holder: h,
                name,
            },
            fields,
        })
    }

    /// A role's `inline_policy` blocks; a block without name and policy
    /// (`inline_policy {}`) removes them all.
    fn inline_blocks(&mut self, ch: &Change<'_>, side: Side) -> Map<String, Out> {
        let mut out = Map::new();
        let Some(Value::Array(blocks)) = values(ch, side)
            .and_then(|v| v.get("inline_policy"))
            .map(|n| &n.value)
        else {
            if side == Side::After && is_unknown(ch, "inline_policy") {
                self.unknown(ch, "inline_policy");
                out.insert(
                    super::references::placeholder("", &ch.address, false),
                    unknown_form(ch, "inline_policy"),
                );
            }
            return out;
        };
        let marks = ch.after_unknown.and_then(|u| u.get("inline_policy"));
        for (i, block) in blocks.iter().enumerate() {
            let mark = |a: &str| {
                side == Side::After
                    && match marks.map(|m| &m.value) {
                        Some(Value::Array(v)) => v
                            .get(i)
                            .and_then(|b| b.get(a))
                            .is_some_and(|n| matches!(n.value, Value::Bool(true))),
                        _ => false,
                    }
            };
            let name = block
                .get("name")
                .and_then(Node::as_str)
                .filter(|s| !s.is_empty());
            let name = match name {
                Some(n) => n.to_string(),
                None if mark("name") => {
                    super::references::placeholder(&format!("{i}-"), &ch.address, false)
                }
                None => continue,
            };
            if mark("policy") {
                self.unknown(ch, "inline_policy");
                out.insert(name, unknown_form(ch, "inline_policy"));
                continue;
            }
            let Some(policy) = block
                .get("policy")
                .filter(|p| p.as_str().is_some_and(|s| !s.is_empty()))
            else {
                continue;
            };
            let tail = [Seg::Key("inline_policy"), Seg::Index(i), Seg::Key("policy")];
            if let Some(doc) = self.node_doc(ch, side, &tail, policy, PolicyKind::Identity) {
                out.insert(name, doc);
            }
        }
        out
    }

    /// The KMS key of a bucket's default encryption
    /// (<https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket_server_side_encryption_configuration>):
    /// `Some(None)` for SSE-S3, `Some(Some(ARN))` for SSE-KMS with a key
    /// ARN; a key given by alias, or none (the AWS managed `aws/s3` key),
    /// is an error, since the world must declare the key.
    fn encryption_key(&mut self, ch: &Change<'_>, side: Side) -> Option<Option<String>> {
        let rules = match values(ch, side)?.get("rule").map(|r| &r.value) {
            Some(Value::Array(r)) => r,
            _ => return Some(None),
        };
        for rule in rules {
            let Some(Value::Array(defaults)) = rule
                .get("apply_server_side_encryption_by_default")
                .map(|d| &d.value)
            else {
                continue;
            };
            for d in defaults {
                let algorithm = d.get("sse_algorithm").and_then(Node::as_str).unwrap_or("");
                if !algorithm.starts_with("aws:kms") {
                    continue;
                }
                let marked = side == Side::After
                    && ch
                        .after_unknown
                        .and_then(|u| u.get("rule"))
                        .is_some_and(|r| {
                            r.to_value()
                                .to_string()
                                .contains("\"kms_master_key_id\":true")
                        });
                let key = match d
                    .get("kms_master_key_id")
                    .and_then(Node::as_str)
                    .filter(|s| !s.is_empty())
                {
                    Some(k) => Some(k.to_string()),
                    None if marked => self.key_reference(ch),
                    None => None,
                };
                return match key {
                    Some(k) if k.starts_with("arn:") && !k.contains(":alias/") => Some(Some(k)),
                    Some(k) if !k.starts_with("arn:") && !k.starts_with("alias/") => Some(Some(k)),
                    other => {
                        let msg = match other {
                            None if marked => "is known only after apply and is no single reference to a key".to_string(),
                            None => "is not set, so S3 uses the AWS managed key aws/s3, whose ARN the plan does not know; declare that key in --base and name its ARN".to_string(),
                            Some(k) => format!("is the alias {k}; name the key by its ARN or id, which the world declares"),
                        };
                        self.error(ch, format!("{}: kms_master_key_id {msg}", ch.address));
                        None
                    }
                };
            }
        }
        Some(None)
    }

    /// The key a configuration names in `rule.apply_server_side_encryption_by_default.kms_master_key_id`.
    fn key_reference(&self, ch: &Change<'_>) -> Option<String> {
        let refs: Vec<String> = ch
            .expression("rule")
            .map(|r| r.to_value().to_string())
            .map(|t| {
                t.split('"')
                    .filter(|s| s.starts_with("aws_kms_key.") && s.matches('.').count() == 2)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let (first, rest) = refs.split_first()?;
        if rest.iter().any(|r| r != first) {
            return None;
        }
        let (address, _) = first.rsplit_once('.')?;
        let address = if ch.module.is_empty() {
            address.to_string()
        } else {
            format!("{}.{address}", ch.module)
        };
        let target = self.known.plan.find(&address)?;
        self.known.key_arn(target)
    }

    /// `aws_kms_key` (<https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/kms_key>):
    /// its `policy`, or AWS's default key policy when the key is created
    /// without one.
    fn key(&mut self, ch: &Change<'_>, side: Side, account: String) -> Option<Item> {
        let known_arn = text(values(ch, side), "arn");
        let arn = match (side, known_arn) {
            (_, Some(a)) => a.to_string(),
            (Side::Before, None) => {
                self.error(ch, format!("{}: \"arn\" is missing", ch.address));
                return None;
            }
            // AWS picks a new key's id at random, and no policy text known
            // at plan time can name it (one that refers to the key's ARN is
            // itself known only after apply): a stand-in ARN decides alike.
            (Side::After, None) => self.known.key_arn(ch)?,
        };
        let mut fields = Map::new();
        let set = Self::configured(ch, "policy") || text(values(ch, side), "policy").is_some();
        let policy = if set {
            self.doc(ch, side, "policy", PolicyKind::Key)
        } else {
            None
        };
        let policy = policy.unwrap_or_else(|| {
            json!({"terraform": ch.address, "document": {
                "Version": "2012-10-17",
                "Id": "key-default-1",
                "Statement": [{
                    "Sid": DEFAULT_KEY_POLICY_SID,
                    "Effect": "Allow",
                    "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
                    "Action": "kms:*",
                    "Resource": "*"
                }]
            }})
        });
        fields.insert("policy".into(), policy);
        fields.insert("tags".into(), Self::tags(ch, side));
        Some(Item::Key {
            account,
            arn,
            fields,
        })
    }

    /// `aws_organizations_policy_attachment`
    /// (<https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/organizations_policy_attachment>)
    /// with the `aws_organizations_policy` it names
    /// (<https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/organizations_policy>):
    /// `type` tells an SCP from an RCP; other policy types carry no IAM
    /// meaning. AWS's own `p-FullAWSAccess` is known by its id.
    fn org_attachment(&mut self, ch: &Change<'_>, side: Side) -> Option<Item> {
        let target = self.required(ch, side, "target_id")?;
        let policy = self.org_policy(ch, side);
        let Some(p) = policy else {
            let id = text(values(ch, side), "policy_id").unwrap_or("");
            if id == "p-FullAWSAccess" {
                return Some(Item::OrgAttach {
                    target,
                    rcp: false,
                    name: "FullAWSAccess".into(),
                    doc: json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
                    address: ch.address.clone(),
                });
            }
            self.error(
                ch,
                format!(
                    "{}: policy_id {} names no aws_organizations_policy of the plan, so iamsim does not know its text",
                    ch.address,
                    if id.is_empty() { "(known only after apply)" } else { id }
                ),
            );
            return None;
        };
        let kind = text(values(p, side), "type").unwrap_or("SERVICE_CONTROL_POLICY");
        let rcp = match kind {
            "SERVICE_CONTROL_POLICY" => false,
            "RESOURCE_CONTROL_POLICY" => true,
            _ => {
                self.skipped.push(ch.address.clone());
                return None;
            }
        };
        let name = match text(values(p, side), "name") {
            Some(n) => n.to_string(),
            None => {
                self.error(
                    ch,
                    format!("{}: the name of {} is missing", ch.address, p.address),
                );
                return None;
            }
        };
        let pk = if rcp {
            PolicyKind::Rcp
        } else {
            PolicyKind::Scp
        };
        let doc = self.doc(p, side, "content", pk)?;
        Some(Item::OrgAttach {
            target,
            rcp,
            name,
            doc,
            address: p.address.clone(),
        })
    }

    /// The `aws_organizations_policy` an attachment names: by a reference
    /// to it, or by its known id.
    fn org_policy(&self, ch: &Change<'_>, side: Side) -> Option<&'a Change<'p>> {
        let plan = self.known.plan;
        let refs: Vec<&str> = match ch
            .expression("policy_id")
            .and_then(|e| e.get("references"))
            .map(|r| &r.value)
        {
            Some(Value::Array(items)) => items.iter().filter_map(Node::as_str).collect(),
            _ => Vec::new(),
        };
        if let Some((resource, _)) = super::address::single_reference(&refs) {
            let address = if ch.module.is_empty() {
                resource
            } else {
                format!("{}.{resource}", ch.module)
            };
            if let Some(p) = plan
                .find(&address)
                .filter(|p| p.kind == "aws_organizations_policy")
            {
                return Some(p);
            }
        }
        let id = text(values(ch, side), "policy_id")?;
        plan.changes.iter().find(|p| {
            p.kind == "aws_organizations_policy"
                && (text(p.after, "id") == Some(id) || text(p.before, "id") == Some(id))
        })
    }
}

/// True when a delete leaves the object in AWS: an SCP attachment with
/// `skip_destroy`.
pub fn delete_keeps(ch: &Change<'_>) -> bool {
    ch.action == Action::Delete
        && ch.kind == "aws_organizations_policy_attachment"
        && ch
            .before
            .and_then(|b| b.get("skip_destroy"))
            .is_some_and(|s| matches!(s.value, Value::Bool(true)))
}
