//! Applying [`Item`]s to a world in the world format (plain JSON): adding
//! what the plan creates or keeps, removing what it destroys. An edit on a
//! user, group, role, bucket or key that the world does not have is an
//! error: the resource attaches to something that exists neither in the
//! base world nor in the plan.

use super::resources::{Entity, Holder, Item};
use crate::managed::ARN_PREFIX;
use serde_json::{Map, Value as Out, json};

/// A world being built.
pub struct World {
    /// The world's JSON object.
    pub root: Map<String, Out>,
}

/// A map member, created empty when missing.
fn map<'m>(m: &'m mut Map<String, Out>, key: &str) -> Result<&'m mut Map<String, Out>, String> {
    m.entry(key.to_string())
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or_else(|| format!("\"{key}\" is not an object"))
}

/// A list member, created empty when missing.
fn list<'m>(m: &'m mut Map<String, Out>, key: &str) -> Result<&'m mut Vec<Out>, String> {
    m.entry(key.to_string())
        .or_insert_with(|| json!([]))
        .as_array_mut()
        .ok_or_else(|| format!("\"{key}\" is not a list"))
}

/// How a managed policy reference compares: customer managed policies by
/// account and name (IAM names are unique in an account whatever the
/// path), AWS managed ones by ARN, unknown attachments by their text.
fn same_policy(account: &str, a: &Out, b: &Out) -> bool {
    let canon = |v: &Out| match v.as_str() {
        Some(s) if s.starts_with(ARN_PREFIX) => s.to_string(),
        Some(s) if s.starts_with("arn:") => {
            let acct = s.split(':').nth(4).unwrap_or("");
            let name = s.rsplit('/').next().unwrap_or(s);
            format!("{acct}/{name}")
        }
        Some(s) => format!("{account}/{s}"),
        None => v.to_string(),
    };
    canon(a) == canon(b)
}

impl World {
    /// A world from a base world's JSON (or an empty one).
    pub fn new(base: Option<Out>) -> World {
        let root = match base {
            Some(Out::Object(o)) => o,
            _ => Map::new(),
        };
        World { root }
    }

    fn account(&mut self, id: &str) -> Result<&mut Map<String, Out>, String> {
        map(map(&mut self.root, "accounts")?, id)
    }

    fn entities(&mut self, account: &str, holder: Holder) -> Result<&mut Map<String, Out>, String> {
        map(self.account(account)?, holder.key())
    }

    /// The entity's object, if the world has it.
    fn entity(&mut self, e: &Entity) -> Option<&mut Map<String, Out>> {
        self.root
            .get_mut("accounts")?
            .get_mut(&e.account)?
            .get_mut(e.holder.key())?
            .get_mut(&e.name)?
            .as_object_mut()
    }

    /// True when the world has what an entity item makes.
    pub fn has(&self, item: &Item) -> Option<bool> {
        let accounts = self.root.get("accounts");
        let at = |a: &str, k: &str, n: &str| {
            accounts
                .and_then(|x| x.get(a))
                .and_then(|x| x.get(k))
                .and_then(|x| x.get(n))
                .is_some()
        };
        Some(match item {
            Item::Principal { at: e, .. } => at(&e.account, e.holder.key(), &e.name),
            Item::Policy { account, name, .. } => at(account, "policies", name),
            Item::Bucket { account, name, .. } => at(account, "buckets", name),
            Item::Key { account, arn, .. } => at(account, "resources", arn),
            _ => return None,
        })
    }

    fn missing(e: &Entity) -> String {
        format!(
            "{} \"{}\" of account {} exists neither in the base world nor in the plan",
            e.holder.word(),
            e.name,
            e.account
        )
    }

    fn bucket(&mut self, name: &str) -> Option<&mut Map<String, Out>> {
        self.root
            .get_mut("accounts")?
            .as_object_mut()?
            .values_mut()
            .filter_map(|a| a.get_mut("buckets")?.get_mut(name)?.as_object_mut())
            .next()
    }

    /// The ARN of a declared KMS key named by ARN or by key id.
    fn key_arn(&self, key: &str) -> Option<String> {
        let suffix = format!(":key/{key}");
        self.root
            .get("accounts")?
            .as_object()?
            .values()
            .filter_map(|a| a.get("resources")?.as_object())
            .flat_map(|r| r.keys())
            .find(|arn| *arn == key || arn.ends_with(&suffix))
            .cloned()
    }

    /// A declared KMS key's object, named by ARN or by key id.
    fn key(&mut self, key: &str) -> Result<&mut Map<String, Out>, String> {
        let missing =
            || format!("KMS key \"{key}\" exists neither in the base world nor in the plan");
        let arn = self.key_arn(key).ok_or_else(missing)?;
        self.root
            .get_mut("accounts")
            .and_then(Out::as_object_mut)
            .and_then(|a| {
                a.values_mut()
                    .find_map(|acct| acct.get_mut("resources")?.get_mut(&arn)?.as_object_mut())
            })
            .ok_or_else(missing)
    }

    /// Adds what an item makes (or keeps); the error says what is missing.
    pub fn add(&mut self, item: &Item) -> Result<(), String> {
        match item {
            Item::Principal { at, fields } => {
                let entry = map(self.entities(&at.account, at.holder)?, &at.name)?;
                for (k, v) in fields {
                    let empty = v.is_null()
                        || v.as_array().is_some_and(Vec::is_empty)
                        || (k == "tags" && v.as_object().is_some_and(Map::is_empty));
                    if empty && k != "inline_policies" && k != "managed_policies" {
                        entry.remove(k);
                    } else {
                        entry.insert(k.clone(), v.clone());
                    }
                }
            }
            Item::Policy { account, name, doc } => {
                map(self.account(account)?, "policies")?.insert(name.clone(), doc.clone());
            }
            Item::Inline { at, name, doc } => {
                let e = self.entity(at).ok_or_else(|| Self::missing(at))?;
                map(e, "inline_policies")?.insert(name.clone(), doc.clone());
            }
            Item::Attach { at, policy } => {
                let e = self.entity(at).ok_or_else(|| Self::missing(at))?;
                let l = list(e, "managed_policies")?;
                if !l.iter().any(|p| same_policy(&at.account, p, policy)) {
                    l.push(policy.clone());
                }
            }
            Item::Join { user, groups } => {
                let e = self.entity(user).ok_or_else(|| Self::missing(user))?;
                let l = list(e, "groups")?;
                for g in groups {
                    if !l.contains(g) {
                        l.push(g.clone());
                    }
                }
            }
            Item::Members {
                group,
                users,
                unknown,
            } => {
                let g = json!(group.name);
                for u in self.entities(&group.account, Holder::User)?.values_mut() {
                    let Some(u) = u.as_object_mut() else { continue };
                    if let Some(l) = u.get_mut("groups").and_then(Out::as_array_mut) {
                        l.retain(|x| *x != g);
                    }
                    if let Some(unknown) = unknown {
                        list(u, "groups")?.push(unknown.clone());
                    }
                }
                for name in users {
                    let at = Entity {
                        account: group.account.clone(),
                        holder: Holder::User,
                        name: name.clone(),
                    };
                    let e = self.entity(&at).ok_or_else(|| Self::missing(&at))?;
                    list(e, "groups")?.push(g.clone());
                }
            }
            Item::Attachments {
                account,
                policy,
                to,
                unknown,
            } => {
                for h in [Holder::User, Holder::Group, Holder::Role] {
                    let maybe = unknown.iter().find(|(k, _)| *k == h).map(|(_, u)| u);
                    for e in self.entities(account, h)?.values_mut() {
                        let Some(e) = e.as_object_mut() else { continue };
                        if let Some(l) = e.get_mut("managed_policies").and_then(Out::as_array_mut) {
                            l.retain(|p| !same_policy(account, p, policy));
                        }
                        if let Some(u) = maybe {
                            list(e, "managed_policies")?.push(u.clone());
                        }
                    }
                }
                for at in to {
                    let e = self.entity(at).ok_or_else(|| Self::missing(at))?;
                    list(e, "managed_policies")?.push(policy.clone());
                }
            }
            Item::OnlyInline { at, names } => {
                let e = self.entity(at).ok_or_else(|| Self::missing(at))?;
                map(e, "inline_policies")?.retain(|k, _| names.contains(k));
            }
            Item::OnlyAttached { at, policies } => {
                let e = self.entity(at).ok_or_else(|| Self::missing(at))?;
                list(e, "managed_policies")?
                    .retain(|p| policies.iter().any(|k| same_policy(&at.account, p, k)));
            }
            Item::Bucket {
                account,
                name,
                fields,
            } => {
                let entry = map(map(self.account(account)?, "buckets")?, name)?;
                for (k, v) in fields {
                    entry.insert(k.clone(), v.clone());
                }
                if entry
                    .get("unknown")
                    .and_then(Out::as_array)
                    .is_some_and(Vec::is_empty)
                {
                    entry.remove("unknown");
                }
            }
            Item::BucketPolicy { bucket, doc } => {
                let b = self.bucket(bucket).ok_or_else(|| {
                    format!("bucket \"{bucket}\" exists neither in the base world nor in the plan")
                })?;
                b.insert("policy".into(), doc.clone());
            }
            Item::Encryption { bucket, key } => {
                let key = match key {
                    Some(k) => Some(self.key_arn(k).ok_or_else(|| {
                        format!("KMS key \"{k}\" exists neither in the base world nor in the plan")
                    })?),
                    None => None,
                };
                let b = self.bucket(bucket).ok_or_else(|| {
                    format!("bucket \"{bucket}\" exists neither in the base world nor in the plan")
                })?;
                match key {
                    Some(k) => b.insert("encryption".into(), json!({"kms_key": k})),
                    None => b.remove("encryption"),
                };
            }
            Item::Key {
                account,
                arn,
                fields,
            } => {
                let entry = map(map(self.account(account)?, "resources")?, arn)?;
                for (k, v) in fields {
                    entry.insert(k.clone(), v.clone());
                }
            }
            Item::KeyPolicy { key, doc } => {
                self.key(key)?.insert("policy".into(), doc.clone());
            }
            Item::OrgAttach {
                target,
                rcp,
                name,
                doc,
                address,
            } => {
                let level = self.level(target)?;
                let key = if *rcp { "rcps" } else { "scps" };
                if !*rcp && !level.contains_key(key) {
                    // A level without `scps` has AWS's FullAWSAccess; attaching
                    // another SCP keeps it (it is detached only explicitly).
                    level.insert(
                        key.into(),
                        json!([{"name": "FullAWSAccess", "policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}]),
                    );
                }
                let l = list(level, key)?;
                l.retain(|e| e.get("name").and_then(Out::as_str) != Some(name));
                let mut entry = json!({"name": name, "policy": doc});
                if let (Some(o), false) = (entry.as_object_mut(), doc.get("terraform").is_some()) {
                    o.insert("terraform".into(), json!(address));
                }
                l.push(entry);
            }
        }
        Ok(())
    }

    /// The organization level an SCP or RCP attaches to: `r-...` the root,
    /// `ou-...` an OU, an account id the account.
    fn level(&mut self, target: &str) -> Result<&mut Map<String, Out>, String> {
        if !self.root.get("organization").is_some_and(Out::is_object) {
            return Err(format!(
                "the policy attaches to {target}, but the world has no organization: give --base with the world's \"organization\""
            ));
        }
        if target.starts_with("r-") {
            return map(map(&mut self.root, "organization")?, "root");
        }
        if target.starts_with("ou-") {
            return self
                .root
                .get_mut("organization")
                .and_then(|o| o.get_mut("ous"))
                .and_then(|o| o.get_mut(target))
                .and_then(Out::as_object_mut)
                .ok_or_else(|| format!("OU {target} exists neither in the base world's organization nor in the plan"));
        }
        self.root
            .get_mut("accounts")
            .and_then(|a| a.get_mut(target))
            .and_then(Out::as_object_mut)
            .ok_or_else(|| format!("account {target} is not in the base world"))
    }

    /// Removes what an item made, when the world has it.
    pub fn remove(&mut self, item: &Item) -> Result<(), String> {
        match item {
            Item::Principal { at, .. } => {
                self.entities(&at.account, at.holder)?.remove(&at.name);
            }
            Item::Policy { account, name, .. } => {
                map(self.account(account)?, "policies")?.remove(name);
            }
            Item::Inline { at, name, .. } => {
                if let Some(e) = self.entity(at) {
                    map(e, "inline_policies")?.remove(name);
                }
            }
            Item::Attach { at, policy } => {
                if let Some(e) = self.entity(at) {
                    list(e, "managed_policies")?.retain(|p| !same_policy(&at.account, p, policy));
                }
            }
            Item::Join { user, groups } => {
                if let Some(e) = self.entity(user) {
                    list(e, "groups")?.retain(|g| !groups.contains(g));
                }
            }
            Item::Members { group, users, .. } => {
                for name in users {
                    let at = Entity {
                        account: group.account.clone(),
                        holder: Holder::User,
                        name: name.clone(),
                    };
                    if let Some(e) = self.entity(&at) {
                        list(e, "groups")?.retain(|g| g.as_str() != Some(&group.name));
                    }
                }
            }
            Item::Attachments { policy, to, .. } => {
                for at in to {
                    if let Some(e) = self.entity(at) {
                        list(e, "managed_policies")?
                            .retain(|p| !same_policy(&at.account, p, policy));
                    }
                }
            }
            Item::Bucket { account, name, .. } => {
                map(self.account(account)?, "buckets")?.remove(name);
            }
            Item::BucketPolicy { bucket, .. } => {
                if let Some(b) = self.bucket(bucket) {
                    b.remove("policy");
                }
            }
            Item::Encryption { bucket, .. } => {
                if let Some(b) = self.bucket(bucket) {
                    b.remove("encryption");
                }
            }
            Item::Key { account, arn, .. } => {
                map(self.account(account)?, "resources")?.remove(arn);
            }
            Item::OrgAttach {
                target, rcp, name, ..
            } => {
                let key = if *rcp { "rcps" } else { "scps" };
                if let Ok(level) = self.level(target) {
                    if let Some(l) = level.get_mut(key).and_then(Out::as_array_mut) {
                        l.retain(|e| e.get("name").and_then(Out::as_str) != Some(name));
                    }
                }
            }
            // Deleting a key policy resource, or an exclusive one, leaves
            // the object as it is.
            Item::KeyPolicy { .. } | Item::OnlyInline { .. } | Item::OnlyAttached { .. } => {}
        }
        Ok(())
    }
}
