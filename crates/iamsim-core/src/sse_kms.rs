//! S3 objects encrypted with SSE-KMS: the KMS request S3 makes with the
//! caller's credentials, and the context it carries.
//!
//! Reading an SSE-KMS object needs `kms:Decrypt` on its key, and writing one
//! `kms:GenerateDataKey` (S3 user guide, "Using server-side encryption with
//! AWS KMS keys (SSE-KMS)", <https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html>,
//! "Permissions"). S3 first authorizes the caller's S3 request, then asks
//! KMS on the caller's behalf through a forward access session, and KMS
//! checks the same principal's permissions on the key (IAM user guide,
//! "Forward access sessions", <https://docs.aws.amazon.com/IAM/latest/UserGuide/access_forward_access_sessions.html>,
//! whose example is this very case). KMS decides with its own rule: the key
//! policy must allow, directly or by naming the account, which delegates to
//! identity policies (D11; KMS developer guide, "Key policies",
//! <https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html>).
//!
//! The context of the KMS request (KMS developer guide, "Condition keys for
//! AWS KMS", <https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html>,
//! and "Encryption context" in the S3 user guide's SSE-KMS page):
//! - `kms:ViaService` = `s3.REGION.amazonaws.com`;
//! - `kms:EncryptionContext:aws:s3:arn` = the object ARN (S3 Bucket Keys,
//!   whose context is the bucket ARN, are not modelled);
//! - `kms:EncryptionContextKeys` = `["aws:s3:arn"]`;
//! - `kms:CallerAccount` = the caller's account;
//! - `aws:ViaAWSService` = `true` (IAM user guide, "AWS global condition
//!   context keys", <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-viaawsservice>:
//!   true when a service uses a principal's credentials on its behalf).
//!
//! - `aws:RequestedRegion` = the key's region: S3 calls KMS in the key's
//!   region, which must be the bucket's (the S3 user guide's SSE-KMS page:
//!   "the KMS key must be in the same Region as the bucket"), whatever the
//!   question or its context says of the S3 request.
//!
//! Every other key is the S3 request's: a forward access session keeps the
//! caller's identity and session attributes, and `aws:SourceIp` stays the
//! original caller's address ("AWS: Denies access to AWS based on the
//! source IP", <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws_deny-ip.html>).
//! `aws:CalledVia` stays absent: the global condition keys page lists the
//! services that set it, and S3 is not among them.

use crate::arn::Arn;
use crate::context::{Found, Lookup};
use crate::pattern::Resolve;
use crate::request::{Defaulted, Target, resolve_target};
use crate::world::World;
use std::sync::LazyLock;

/// The KMS request S3 makes on the caller's behalf for a request on an
/// SSE-KMS encrypted object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KmsCall<'a> {
    /// `kms:Decrypt` (reads) or `kms:GenerateDataKey` (writes).
    pub action: &'static str,
    /// The KMS key ARN.
    pub key: &'a str,
    /// The object ARN, `arn:aws:s3:::BUCKET/KEY`.
    pub object: &'a str,
    /// The key's region, taken from its ARN: SSE-KMS keys must be in the
    /// bucket's region (checked when a bucket gives its `region`).
    pub region: &'a str,
    /// `kms:ViaService`: `s3.REGION.amazonaws.com`.
    pub via_service: String,
}

/// The KMS action S3 needs for an S3 action on an encrypted object:
/// `kms:Decrypt` to read (`s3:GetObject`, `s3:GetObjectVersion`),
/// `kms:GenerateDataKey` to write (`s3:PutObject`); actions ignore case.
pub fn kms_action(action: &str) -> Option<&'static str> {
    const ACTIONS: [(&str, &str); 3] = [
        ("s3:GetObject", "kms:Decrypt"),
        ("s3:GetObjectVersion", "kms:Decrypt"),
        ("s3:PutObject", "kms:GenerateDataKey"),
    ];
    ACTIONS
        .iter()
        .find(|(s3, _)| s3.eq_ignore_ascii_case(action))
        .map(|(_, kms)| *kms)
}

/// The KMS request S3 makes when the caller does `action` (any case) on
/// `target`, or `None` when it makes none: the action reads or writes
/// object data and the target is an object `arn:PARTITION:s3:::BUCKET/KEY`
/// of a bucket of the world whose `encryption` covers the object's key.
pub fn kms_call<'a>(world: &'a World, action: &str, target: &Target<'a>) -> Option<KmsCall<'a>> {
    let action = kms_action(action)?;
    let arn = Arn::parse(target.arn)?;
    if arn.service != "s3" || !arn.region.is_empty() || !arn.account.is_empty() {
        return None;
    }
    let (bucket, object_key) = arn.resource.split_once('/')?;
    let key = world.buckets.get(bucket)?.kms_key_for(object_key)?;
    let region = Arn::parse(key).map_or("", |k| k.region);
    Some(KmsCall {
        action,
        key,
        object: target.arn,
        region,
        via_service: format!("s3.{region}.amazonaws.com"),
    })
}

impl<'a> KmsCall<'a> {
    /// The key as the target of the KMS request, with its key policy and
    /// tags; `caller_account` is the caller's. Errors as
    /// [`resolve_target`] does (a key ARN whose account is malformed).
    pub fn target(&self, world: &'a World, caller_account: &'a str) -> Result<Target<'a>, String> {
        resolve_target(world, "kms", self.key, None, caller_account).map_err(String::from)
    }

    /// The keys iamsim gave values of its own, from the S3 request's
    /// (`s3`): the region is the key's, which the question cannot change.
    pub fn defaults(&self, s3: Vec<Defaulted>) -> Vec<Defaulted> {
        let mut out: Vec<Defaulted> = s3
            .into_iter()
            .filter(|d| d.key != "aws:RequestedRegion")
            .collect();
        if !self.region.is_empty() {
            out.insert(
                0,
                Defaulted {
                    key: "aws:RequestedRegion",
                    value: self.region.to_string(),
                    from: "the KMS key's region, where S3 calls KMS",
                    set_with: None,
                },
            );
        }
        out
    }

    /// Says why the KMS request was made, to put before its decision.
    pub fn reason(&self) -> String {
        format!(
            "S3 asked KMS for {} on key {} on the caller's behalf, because {} is SSE-KMS encrypted with it",
            self.action, self.key, self.object
        )
    }
}

/// `kms:EncryptionContextKeys` of every S3 request: the one key S3 sets.
static CONTEXT_KEYS: LazyLock<[String; 1]> = LazyLock::new(|| ["aws:s3:arn".to_string()]);

/// The context of the KMS request: the keys S3 and KMS set (see the module
/// documentation), over `base`, which answers the rest. `base` is the S3
/// request's explicit context over [`crate::request::Derived`] for the key
/// as target, so `aws:ResourceTag/*` are the key's tags.
pub struct KmsContext<'a, B: Lookup> {
    /// The KMS request.
    pub call: &'a KmsCall<'a>,
    /// `kms:CallerAccount`: the caller's account.
    pub caller_account: &'a str,
    /// Everything else.
    pub base: B,
}

impl<B: Lookup> Lookup for KmsContext<'_, B> {
    fn lookup(&self, lower_key: &str) -> Found<'_> {
        match lower_key {
            "kms:viaservice" => Found::One(&self.call.via_service),
            "kms:encryptioncontext:aws:s3:arn" => Found::One(self.call.object),
            "kms:encryptioncontextkeys" => Found::Set(&*CONTEXT_KEYS),
            "kms:calleraccount" => Found::One(self.caller_account),
            "aws:viaawsservice" => Found::One("true"),
            "aws:requestedregion" if !self.call.region.is_empty() => Found::One(self.call.region),
            _ => self.base.lookup(lower_key),
        }
    }
}

impl<B: Lookup> Resolve for KmsContext<'_, B> {
    fn var(&self, key: &str) -> Option<&str> {
        self.lookup(key).single()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Context;
    use crate::diag::Sources;
    use crate::world::{NoFiles, load_world};

    const KEY_A: &str = "arn:aws:kms:eu-west-1:111111111111:key/aaaa";
    const KEY_B: &str = "arn:aws:kms:eu-west-1:111111111111:key/bbbb";

    fn world() -> World {
        let text = format!(
            r#"{{"accounts": {{"111111111111": {{
                "buckets": {{
                    "whole": {{"encryption": {{"kms_key": "{KEY_A}"}}}},
                    "split": {{"encryption": [
                        {{"kms_key": "{KEY_A}"}},
                        {{"kms_key": "{KEY_B}", "prefix": "reports/"}},
                        {{"kms_key": "{KEY_A}", "prefix": "reports/public/"}}
                    ]}},
                    "partly": {{"encryption": {{"kms_key": "{KEY_B}", "prefix": "secret/"}}}},
                    "plain": {{}}
                }},
                "resources": {{"{KEY_A}": {{}}, "{KEY_B}": {{}}}}
            }}}}}}"#
        );
        let mut sources = Sources::new();
        let id = sources.add("w.json", text);
        load_world(&mut sources, id, &mut NoFiles).expect("world loads")
    }

    /// The KMS request for `action` on `arn`.
    fn call_on<'w>(w: &'w World, action: &str, arn: &'w str) -> Option<KmsCall<'w>> {
        let t = resolve_target(w, "s3", arn, None, "111111111111").ok()?;
        kms_call(w, action, &t)
    }

    fn key_for<'w>(w: &'w World, action: &str, arn: &'w str) -> Option<&'w str> {
        call_on(w, action, arn).map(|c| c.key)
    }

    #[test]
    fn the_longest_matching_prefix_chooses_the_key() {
        let w = world();
        let get = "s3:GetObject";
        assert_eq!(key_for(&w, get, "arn:aws:s3:::whole/a.csv"), Some(KEY_A));
        assert_eq!(key_for(&w, get, "arn:aws:s3:::split/a.csv"), Some(KEY_A));
        assert_eq!(
            key_for(&w, get, "arn:aws:s3:::split/reports/q1.csv"),
            Some(KEY_B)
        );
        assert_eq!(
            key_for(&w, get, "arn:aws:s3:::split/reports/public/q1.csv"),
            Some(KEY_A)
        );
        assert_eq!(
            key_for(&w, get, "arn:aws:s3:::partly/secret/x"),
            Some(KEY_B)
        );
        assert_eq!(key_for(&w, get, "arn:aws:s3:::partly/open/x"), None);
        assert_eq!(key_for(&w, get, "arn:aws:s3:::plain/x"), None);
    }

    const OBJECT: &str = "arn:aws:s3:::whole/a.csv";

    #[test]
    fn only_object_data_requests_on_objects_call_kms() {
        let w = world();
        let call = call_on(&w, "S3:GETOBJECT", OBJECT).unwrap();
        assert_eq!(call.action, "kms:Decrypt");
        assert_eq!(call.region, "eu-west-1");
        assert_eq!(call.via_service, "s3.eu-west-1.amazonaws.com");
        assert_eq!(
            call_on(&w, "s3:GetObjectVersion", OBJECT).map(|c| c.action),
            Some("kms:Decrypt")
        );
        assert_eq!(
            call_on(&w, "s3:PutObject", OBJECT).map(|c| c.action),
            Some("kms:GenerateDataKey")
        );
        assert_eq!(call_on(&w, "s3:DeleteObject", OBJECT), None);
        assert_eq!(key_for(&w, "s3:GetObject", "arn:aws:s3:::whole"), None);
        assert_eq!(key_for(&w, "s3:GetObject", "*"), None);
    }

    #[test]
    fn the_kms_context_answers_its_keys_and_passes_the_rest_on() {
        let w = world();
        let call = call_on(&w, "s3:GetObject", OBJECT).unwrap();
        let mut base = Context::new();
        base.set("aws:SourceIp", "192.0.2.1");
        base.set("kms:ViaService", "ec2.eu-west-1.amazonaws.com");
        base.set("aws:RequestedRegion", "us-east-1");
        let ctx = KmsContext {
            call: &call,
            caller_account: "222222222222",
            base,
        };
        assert_eq!(
            ctx.lookup("kms:viaservice"),
            Found::One("s3.eu-west-1.amazonaws.com")
        );
        assert_eq!(
            ctx.lookup("kms:encryptioncontext:aws:s3:arn"),
            Found::One(OBJECT)
        );
        assert_eq!(ctx.lookup("kms:encryptioncontextkeys").len(), 1);
        assert_eq!(ctx.lookup("kms:calleraccount"), Found::One("222222222222"));
        assert_eq!(ctx.lookup("aws:viaawsservice"), Found::One("true"));
        assert_eq!(ctx.lookup("aws:sourceip"), Found::One("192.0.2.1"));
        assert_eq!(ctx.lookup("aws:calledvia"), Found::Absent);
        // S3 calls KMS in the key's region, whatever the S3 request's was.
        assert_eq!(ctx.lookup("aws:requestedregion"), Found::One("eu-west-1"));
    }

    #[test]
    fn the_kms_request_lists_the_keys_region_as_fixed() {
        let w = world();
        let call = call_on(&w, "s3:GetObject", OBJECT).unwrap();
        let s3 = vec![
            Defaulted {
                key: "aws:RequestedRegion",
                value: "us-east-1".into(),
                from: "the world's default_region",
                set_with: Some(crate::request::SetWith::Region),
            },
            Defaulted {
                key: "aws:SecureTransport",
                value: "true".into(),
                from: "the AWS CLI and SDKs use TLS",
                set_with: Some(crate::request::SetWith::Context),
            },
        ];
        let kms = call.defaults(s3);
        let region: Vec<_> = kms
            .iter()
            .filter(|d| d.key == "aws:RequestedRegion")
            .map(|d| (d.value.as_str(), d.set_with))
            .collect();
        assert_eq!(region, [("eu-west-1", None)]);
        assert!(kms.iter().any(|d| d.key == "aws:SecureTransport"));
    }
}
