//! Access analysis: the questions of a security review, asked the other
//! way round. [`who_can`] finds every principal of a world that can make a
//! request, directly or through chains of `sts:AssumeRole`; every edge of
//! the search and every final request is decided by [`crate::eval`]
//! itself, never by a separate approximation.
//!
//! A question fixes some request keys (`--context`); conditions on keys it
//! leaves open (MFA, source IP, external id, request tags...) are not
//! guessed: [`open`] finds a value that satisfies them and reports it as a
//! need of the edge that tests them.

pub mod classes;
pub mod graph;
pub mod grouped;
pub mod open;
pub mod what_can;
pub mod who_can;
