//! What the generator (`iamsim-generate`) and the criterion benchmarks
//! (`benches/`) share: the random source and the what-can worlds.

mod rng;
pub mod what_can;

pub use rng::Rng;
