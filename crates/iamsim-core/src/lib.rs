//! iamsim-core: decides offline whether AWS would allow a request.
//!
//! Data flows one way: bytes → located JSON ([`json`]) → checked and
//! compiled policies ([`policy`]) → a world with its indexes ([`world`]) →
//! a request with its context → AWS's evaluation gates ([`eval`]) → a
//! decision with its explanation, as plain data.

pub mod access;
pub mod arn;
pub mod catalog;
pub mod condition;
pub mod context;
pub mod diag;
pub mod eval;
pub mod import;
pub mod json;
pub mod managed;
pub mod outsider;
pub mod pattern;
pub mod policy;
pub mod protection;
pub mod region;
pub mod report;
pub mod request;
pub mod scenario;
pub mod semdiff;
pub mod sse_kms;
pub mod terraform;
pub mod validate;
pub mod world;
