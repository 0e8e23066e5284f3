//! The request context: condition keys and their values.
//!
//! Key names ignore case, tag-key parts included (semantics-language C4), so
//! keys are stored lower-cased; the spelling first given is kept for display.
//! A key holds one value, or a set (a JSON list: a multivalued key, C7).

use crate::pattern::Resolve;
use std::collections::BTreeMap;

/// The value of one context key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContextValue {
    /// The key as first spelled (for explanations).
    pub key: String,
    /// The values; one for a single-valued key.
    pub values: Vec<String>,
    /// True when given as a list (a multivalued key, possibly empty).
    pub multi: bool,
}

/// Condition keys of one request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    map: BTreeMap<String, ContextValue>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Context {
        Context::default()
    }

    /// Sets a single-valued key, replacing what it held.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.insert(key, vec![value.into()], false);
    }

    /// Sets a multivalued key (a set, possibly empty).
    pub fn set_list(&mut self, key: &str, values: Vec<String>) {
        self.insert(key, values, true);
    }

    /// Sets a key from its parts.
    pub fn insert(&mut self, key: &str, values: Vec<String>, multi: bool) {
        self.map.insert(
            key.to_ascii_lowercase(),
            ContextValue {
                key: key.to_string(),
                values,
                multi,
            },
        );
    }

    /// Removes a key.
    pub fn remove(&mut self, key: &str) {
        self.map.remove(&key.to_ascii_lowercase());
    }

    /// Copies every key of `other` over this context (later wins).
    pub fn overlay(&mut self, other: &Context) {
        for (k, v) in &other.map {
            self.map.insert(k.clone(), v.clone());
        }
    }

    /// The value of a lower-cased key.
    pub fn get(&self, lower_key: &str) -> Option<&ContextValue> {
        self.map.get(lower_key)
    }

    /// The single value of a key (any case), if it holds exactly one.
    pub fn single(&self, key: &str) -> Option<&str> {
        self.var(&key.to_ascii_lowercase())
    }

    /// Every key, sorted by lower-cased name.
    pub fn iter(&self) -> impl Iterator<Item = &ContextValue> {
        self.map.values()
    }
}

impl Resolve for Context {
    fn var(&self, key: &str) -> Option<&str> {
        match self.map.get(key) {
            Some(ContextValue { values, .. }) if values.len() == 1 => {
                values.first().map(String::as_str)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case_and_later_wins() {
        let mut c = Context::new();
        c.set("aws:SourceIp", "10.0.0.1");
        assert_eq!(c.single("AWS:SOURCEIP"), Some("10.0.0.1"));
        let mut d = Context::new();
        d.set("aws:sourceip", "10.0.0.2");
        c.overlay(&d);
        assert_eq!(c.single("aws:SourceIp"), Some("10.0.0.2"));
        c.set_list("aws:TagKeys", vec!["a".into(), "b".into()]);
        assert_eq!(c.single("aws:TagKeys"), None);
    }
}
