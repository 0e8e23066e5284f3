//! Arbitrary bytes as a world file: load it (every key checked, every
//! reference resolved) and render every error. Nothing may panic.
#![no_main]

use iamsim_core::diag::Sources;
use iamsim_core::world::{NoFiles, load_world};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut sources = Sources::new();
    let id = sources.add("world.json", String::from_utf8_lossy(data).into_owned());
    match load_world(&mut sources, id, &mut NoFiles) {
        Ok(world) => {
            let _ = world.accounts.len();
        }
        Err(errors) => {
            assert!(!errors.is_empty(), "load_world failed without a diagnostic");
            for d in &errors {
                let _ = d.render(&sources);
            }
        }
    }
});
