//! The semantic diff of two worlds: every access a change newly allows or
//! removes (README, "Reviewing a change").
//!
//! [`changes`] finds what differs between the two worlds and what it can
//! touch, so that the search decides only the requests a change can flip.

pub mod changes;
