//! What the property tests share: loading a generated world, role chains,
//! and playing questions as scenarios, exactly as `iamsim run` does.

use iamsim_core::diag::{Doc, JsonPath, Sources};
use iamsim_core::eval::Outcome;
use iamsim_core::request::Clock;
use iamsim_core::scenario::{self, Detail};
use iamsim_core::world::{self, NoFiles, World};
use serde_json::Value;

/// Loads a world given as JSON; a world the generator got wrong fails
/// the test with its located error.
pub fn load(sources: &mut Sources, world: &Value) -> World {
    let text = world.to_string();
    let node = iamsim_core::json::parse(&text).unwrap();
    let id = sources.add("world.json", text);
    world::load_world_node(
        sources,
        Doc { source: id },
        &node,
        &JsonPath::ROOT,
        &mut NoFiles,
    )
    .unwrap_or_else(|e| panic!("{}", e[0].render(sources)))
}

/// Every chain of up to `max` of `roles` roles (by index, repeats
/// allowed), shortest first.
pub fn chains(max: usize, roles: usize) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new()];
    let mut last = vec![Vec::new()];
    for _ in 0..max {
        let next: Vec<Vec<usize>> = last
            .iter()
            .flat_map(|c: &Vec<usize>| {
                (0..roles).map(move |r| {
                    let mut c = c.clone();
                    c.push(r);
                    c
                })
            })
            .collect();
        out.extend(next.iter().cloned());
        last = next;
    }
    out
}

/// Runs every scenario of `file` (a scenario file without `world`)
/// against `w` on the fast path; their outcomes, in order.
pub fn play(sources: &mut Sources, w: &World, file: &Value) -> Vec<Outcome> {
    let id = sources.add("questions.json", file.to_string());
    let parsed = scenario::parse_file(sources, id, &mut NoFiles)
        .unwrap_or_else(|e| panic!("{}", e[0].render(sources)));
    let clock = Clock::new(jiff::Timestamp::UNIX_EPOCH);
    parsed
        .scenarios
        .iter()
        .map(|sc| {
            scenario::run_scenario(w, &parsed, sc, &clock, Detail::Decisions)
                .unwrap_or_else(|e| panic!("{}", e.render(sources)))
                .outcome
        })
        .collect()
}
