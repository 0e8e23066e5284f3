//! Arbitrary bytes as a policy document: the JSON parser, then the
//! compiler under every kind of attachment, then diagnostic rendering.
//! Nothing may panic.
#![no_main]

use iamsim_core::context::Context;
use iamsim_core::diag::{Diagnostic, Doc, JsonPath, Sources};
use iamsim_core::json;
use iamsim_core::policy::parse::compile;
use iamsim_core::policy::{PolicyKind, RequestAction, RequestResource};
use libfuzzer_sys::fuzz_target;

const REQUESTS: [(&str, &str); 4] = [
    ("s3:getobject", "arn:aws:s3:::data-b/alice/report.csv"),
    ("sts:assumerole", "arn:aws:iam::111111111111:role/R1"),
    ("iam:listusers", "*"),
    ("kms:decrypt", "arn:aws:kms:us-east-1:111111111111:key/1234"),
];

const KINDS: [PolicyKind; 8] = [
    PolicyKind::Identity,
    PolicyKind::Boundary,
    PolicyKind::Session,
    PolicyKind::Trust,
    PolicyKind::Bucket,
    PolicyKind::Resource,
    PolicyKind::Scp,
    PolicyKind::Rcp,
];

fuzz_target!(|data: &[u8]| {
    let mut sources = Sources::new();
    match json::parse_bytes(data) {
        Ok(node) => {
            let text = std::str::from_utf8(data).expect("parse_bytes accepted non-UTF-8 bytes");
            let id = sources.add("policy.json", text);
            let doc = Doc { source: id };
            let mut ctx = Context::new();
            ctx.set("aws:username", "alice");
            ctx.set("aws:SourceIp", "203.0.113.7");
            ctx.set("aws:CurrentTime", "2020-01-01T00:00:00Z");
            ctx.set("aws:EpochTime", "1577836800");
            ctx.set("aws:SecureTransport", "true");
            ctx.set("aws:PrincipalArn", "arn:aws:iam::111111111111:user/alice");
            ctx.set_list("aws:TagKeys", vec!["team".into(), "env".into()]);
            for kind in KINDS {
                match compile(&doc, &node, &JsonPath::ROOT, kind) {
                    Ok(policy) => {
                        assert!(
                            !policy.statements.is_empty(),
                            "a policy without statements compiled"
                        );
                        let _ = policy.may_apply_to("s3");
                        // Match the compiled patterns and conditions against
                        // a few requests, with a context that has some keys.
                        for s in &policy.statements {
                            let _ = s.label();
                            for (action, resource) in REQUESTS {
                                let (Some(a), Some(r)) = (
                                    RequestAction::parse(action),
                                    RequestResource::parse(resource),
                                ) else {
                                    continue;
                                };
                                let _ = s.matches_request(&a, &r, &ctx);
                            }
                        }
                    }
                    Err(d) => {
                        let _ = d.render(&sources);
                    }
                }
            }
        }
        Err(e) => {
            // What the command line does with a file that does not parse.
            let id = sources.add("policy.json", String::from_utf8_lossy(data).into_owned());
            let _ = Diagnostic::syntax(id, &e).render(&sources);
        }
    }
});
