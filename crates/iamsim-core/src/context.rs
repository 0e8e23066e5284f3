//! The request context: condition keys and their values.
//!
//! Key names ignore case, tag-key parts included (docs/evaluation.md L29), so
//! keys are stored lower-cased; the spelling first given is kept for display.
//! A key holds one value, or a set (a JSON list: a multivalued key, L32).
//!
//! Conditions read keys through [`Lookup`], so that a request's context can
//! be layers (the step's, the scenario's, the file's keys, then the keys AWS
//! derives from the request) consulted in order without being merged.

use crate::pattern::Resolve;
use std::collections::BTreeMap;

/// What a request holds for one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found<'a> {
    /// The key is not in the request.
    Absent,
    /// One value.
    One(&'a str),
    /// A set of values (a multivalued key), possibly empty.
    Set(&'a [String]),
}

impl<'a> Found<'a> {
    /// The values as a slice-like list: none, one, or the set.
    pub fn values(&self) -> FoundValues<'a> {
        match *self {
            Found::Absent => FoundValues::Set([].iter()),
            Found::One(v) => FoundValues::One(Some(v)),
            Found::Set(vs) => FoundValues::Set(vs.iter()),
        }
    }

    /// True when absent or an empty set.
    pub fn is_empty(&self) -> bool {
        matches!(self, Found::Absent) || matches!(self, Found::Set(vs) if vs.is_empty())
    }

    /// The value when there is exactly one.
    pub fn single(&self) -> Option<&'a str> {
        match *self {
            Found::One(v) => Some(v),
            Found::Set([v]) => Some(v),
            _ => None,
        }
    }

    /// How many values.
    pub fn len(&self) -> usize {
        match self {
            Found::Absent => 0,
            Found::One(_) => 1,
            Found::Set(vs) => vs.len(),
        }
    }
}

/// Iterator over the values of a [`Found`].
pub enum FoundValues<'a> {
    /// One value, taken once.
    One(Option<&'a str>),
    /// A set.
    Set(std::slice::Iter<'a, String>),
}

impl<'a> Iterator for FoundValues<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        match self {
            FoundValues::One(v) => v.take(),
            FoundValues::Set(it) => it.next().map(String::as_str),
        }
    }
}

/// Reads context keys; `lower_key` is lower-cased. Policy variables
/// resolve through the same keys ([`Resolve`]).
pub trait Lookup: Resolve {
    /// The key's values in the request.
    fn lookup(&self, lower_key: &str) -> Found<'_>;
}

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
    /// An empty context, usable in statics.
    pub const EMPTY: Context = Context {
        map: BTreeMap::new(),
    };

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

    /// Every key with its values, by lower-cased key.
    pub fn entries(&self) -> impl Iterator<Item = &ContextValue> {
        self.map.values()
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
}

impl Lookup for Context {
    fn lookup(&self, lower_key: &str) -> Found<'_> {
        match self.map.get(lower_key) {
            None => Found::Absent,
            Some(v) if v.multi => Found::Set(&v.values),
            Some(v) => v.values.first().map_or(Found::Absent, |s| Found::One(s)),
        }
    }
}

impl Resolve for Context {
    fn var(&self, key: &str) -> Option<&str> {
        self.lookup(key).single()
    }
}

/// Contexts consulted in order, the first holding a key wins; `base`
/// answers what none of them holds (the keys AWS derives itself).
pub struct Layered<'a, B: Lookup> {
    /// The explicit contexts, highest priority first.
    pub layers: [&'a Context; 3],
    /// What AWS derives from the request.
    pub base: B,
}

impl<B: Lookup> Lookup for Layered<'_, B> {
    fn lookup(&self, lower_key: &str) -> Found<'_> {
        for layer in self.layers {
            let found = layer.lookup(lower_key);
            if found != Found::Absent {
                return found;
            }
        }
        self.base.lookup(lower_key)
    }
}

impl<B: Lookup> Resolve for Layered<'_, B> {
    fn var(&self, key: &str) -> Option<&str> {
        self.lookup(key).single()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case_and_layers_win_in_order() {
        let mut base = Context::new();
        base.set("aws:SourceIp", "10.0.0.1");
        assert_eq!(base.lookup("aws:sourceip"), Found::One("10.0.0.1"));
        let mut step = Context::new();
        step.set("AWS:SOURCEIP", "10.0.0.2");
        step.set_list("aws:TagKeys", vec!["a".into(), "b".into()]);
        let empty = Context::new();
        let layered = Layered {
            layers: [&step, &empty, &empty],
            base,
        };
        assert_eq!(layered.lookup("aws:sourceip"), Found::One("10.0.0.2"));
        assert_eq!(layered.lookup("aws:tagkeys").single(), None);
        assert_eq!(layered.lookup("aws:tagkeys").len(), 2);
        assert_eq!(layered.lookup("aws:nothere"), Found::Absent);
    }
}
