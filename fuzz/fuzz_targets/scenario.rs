//! Arbitrary bytes as a scenario file: read it and render every error;
//! when it holds an inline world that loads, also play each scenario (at
//! most 8) with both detail levels and check that they agree (see
//! `iamsim_fuzz::check_scenario`). Nothing may panic.
#![no_main]

use iamsim_core::diag::{Doc, JsonPath, Sources};
use iamsim_core::scenario::{WorldRef, parse_file};
use iamsim_core::world::{NoFiles, load_world_node};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut sources = Sources::new();
    let id = sources.add("scenarios.json", String::from_utf8_lossy(data).into_owned());
    let file = match parse_file(&mut sources, id, &mut NoFiles) {
        Ok(f) => f,
        Err(errors) => {
            assert!(!errors.is_empty(), "parse_file failed without a diagnostic");
            for d in &errors {
                let _ = d.render(&sources);
            }
            return;
        }
    };
    let WorldRef::Inline(node) = &file.world else {
        return;
    };
    let root = JsonPath::ROOT;
    let path = root.key("world");
    let doc = Doc { source: id };
    let world = match load_world_node(&mut sources, doc, node, &path, &mut NoFiles) {
        Ok(w) => w,
        Err(errors) => {
            for d in &errors {
                let _ = d.render(&sources);
            }
            return;
        }
    };
    for sc in file.scenarios.iter().take(8) {
        iamsim_fuzz::check_scenario(&world, None, &sources, &file, sc);
    }
});
