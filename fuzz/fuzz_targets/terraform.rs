//! Arbitrary bytes as a Terraform plan (`terraform show -json`): import
//! the worlds before and after it (`terraform::import`, every provider
//! configuration in account 111111111111), then load each world written.
//! Nothing may panic; a refused plan has at least one diagnostic, each
//! located in the plan; a world written either loads or is refused with a
//! diagnostic.
#![no_main]

use iamsim_core::diag::Sources;
use iamsim_core::terraform::{self, AccountArg, Moment, Options};
use iamsim_core::world::{NoFiles, load_world};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut sources = Sources::new();
    let id = sources.add("plan.json", String::from_utf8_lossy(data).into_owned());
    let opts = Options {
        accounts: vec![AccountArg {
            provider: None,
            account: "111111111111".into(),
        }],
        strict: data.first().is_some_and(|b| b % 2 == 1),
    };
    for moment in [Moment::Before, Moment::After] {
        match terraform::import(&mut sources, id, None, &opts, moment) {
            Ok(imported) => {
                let text = serde_json::to_string_pretty(&imported.world)
                    .expect("a serde_json value serializes");
                let wid = sources.add("world.json", text);
                if let Err(errors) = load_world(&mut sources, wid, &mut NoFiles) {
                    assert!(!errors.is_empty(), "load_world failed without a diagnostic");
                    for d in &errors {
                        let _ = d.render(&sources);
                    }
                }
                for d in &imported.warnings {
                    let _ = d.render_as(&sources, "warning");
                }
            }
            Err(errors) => {
                assert!(!errors.is_empty(), "the import failed without a diagnostic");
                for d in &errors {
                    assert!(d.location.is_some(), "an unlocated error: {}", d.message);
                    let _ = d.render(&sources);
                }
            }
        }
    }
});
