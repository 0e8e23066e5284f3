//! The chains a subject takes under one context class: with every open
//! key given its value in the class (or absent), each identity the subject
//! can act as in a world, with a shortest chain of `sts:AssumeRole` to it
//! that the scenario runner allows, within the diff's bound.
//!
//! [`crate::semdiff::reach`] keeps one chain per role, the one that needs
//! the least; but another chain to the same role may work in context
//! classes where that one does not (a chain that needs a source IP beside
//! one that needs MFA). Under one context class nothing is open, and every
//! session of a role is alike whatever the chain that made it (the
//! witnesses pass no session tags or source identity, and the class gives
//! every step the same keys, MFA included), so a breadth-first search
//! that keeps the first chain to each role finds every role reachable
//! within the bound, as brute force would.

use super::reach::Side;
use super::{Options, context, witness};
use crate::world::World;
use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::Value;
use std::cell::RefCell;
use std::rc::Rc;

/// The identities a subject can act as under one context class, by ARN,
/// each with the roles assumed to reach it (the subject itself is not
/// listed).
pub type Reached = FxHashMap<String, Vec<String>>;

/// The two worlds' chains under context classes, remembered per world,
/// subject and class (a class is decided for many request classes).
pub struct Routes<'a> {
    sides: &'a [Side<'a>; 2],
    worlds: [&'a World; 2],
    opts: &'a Options<'a>,
    known: RefCell<FxHashMap<(usize, String, String), Rc<Reached>>>,
}

impl<'a> Routes<'a> {
    /// The routes of the two worlds (before, after), asked with the
    /// diff's options.
    pub fn new(sides: &'a [Side<'a>; 2], worlds: [&'a World; 2], opts: &'a Options<'a>) -> Self {
        Routes {
            sides,
            worlds,
            opts,
            known: RefCell::default(),
        }
    }

    /// The identities `subject` can act as in world `w` (0 before, 1
    /// after) when the open keys hold `class` and the others are absent:
    /// each role reachable within the bound, with a shortest chain the
    /// scenario runner allows under the class. An edge is tried only if
    /// the world may allow it under some context
    /// ([`Side::may_assume`]).
    pub fn under(
        &self,
        w: usize,
        subject: &str,
        class: &[(String, Value)],
    ) -> Result<Rc<Reached>, String> {
        let text: Vec<String> = class.iter().map(|(k, v)| context::text(k, v)).collect();
        let key = (w, subject.to_string(), text.join("\n"));
        if let Some(known) = self.known.borrow().get(&key) {
            return Ok(Rc::clone(known));
        }
        let (Some(side), Some(world)) = (self.sides.get(w), self.worlds.get(w)) else {
            return Ok(Rc::default());
        };
        let mut reached = Reached::default();
        if let Some(start) = side.graph.node(subject) {
            let mut seen = FxHashSet::from_iter([start]);
            let mut frontier = vec![(start, Vec::new())];
            for _ in 0..side.max_chain {
                let mut next = Vec::new();
                for (node, via) in &frontier {
                    for role in side.trusting(*node) {
                        if seen.contains(&role) || !side.may_assume(*node, role)? {
                            continue;
                        }
                        let Some(arn) = side.graph.nodes.get(role).map(|n| n.arn().to_string())
                        else {
                            continue;
                        };
                        let mut chain: Vec<String> = via.clone();
                        chain.push(arn.clone());
                        let mut scenario = witness::chain_scenario(
                            subject,
                            &chain,
                            self.opts.context,
                            self.opts.region,
                        );
                        for (k, v) in class {
                            context::set(&mut scenario, k, v.clone());
                        }
                        if witness::allows(world, &scenario, self.opts.clock)? {
                            seen.insert(role);
                            reached.insert(arn, chain.clone());
                            next.push((role, chain));
                        }
                    }
                }
                frontier = next;
            }
        }
        let reached = Rc::new(reached);
        self.known.borrow_mut().insert(key, Rc::clone(&reached));
        Ok(reached)
    }
}
