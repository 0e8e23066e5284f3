//! Scenario files (README, "Formats"): principals, steps and
//! expected decisions, read and checked; [`run`] plays them against a world.

pub mod params;
pub mod run;

use crate::catalog::check::{self, Finding, Severity};
use crate::context::Context;
use crate::diag::{Diagnostic, Doc, JsonPath, SourceId, Sources};
use crate::json::{Node, Span, Value};
use crate::policy::{Policy, PolicyKind};
use crate::region::read_region;
use crate::world::load::SCHEMA_KEY;
use crate::world::{Loader, NoFiles, Tags, compile_policy_doc, parse_source};

pub use run::{Detail, ScenarioResult, StepResult, run_scenario};

/// What a scenario expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Every step is allowed.
    Allow,
    /// Some step is denied, either kind.
    Deny,
    /// The first denied step is denied implicitly.
    ImplicitDeny,
    /// The first denied step is denied explicitly.
    ExplicitDeny,
}

impl Expect {
    /// As written in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Expect::Allow => "allow",
            Expect::Deny => "deny",
            Expect::ImplicitDeny => "implicit_deny",
            Expect::ExplicitDeny => "explicit_deny",
        }
    }
}

/// The world a scenario file names.
#[derive(Clone, Debug)]
pub enum WorldRef {
    /// A path relative to the scenario file, with the node naming it.
    Path(String, Node),
    /// An inline world.
    Inline(Node),
    /// No `world` key: the command line must give one.
    Missing,
}

/// How an existing session was made, for a session principal.
#[derive(Clone, Debug, Default)]
pub struct SessionSetup {
    /// Its session policy.
    pub policy: Option<Policy>,
    /// Its session tags.
    pub tags: Tags,
    /// Which of them are transitive.
    pub transitive_keys: Vec<String>,
    /// Its source identity.
    pub source_identity: Option<String>,
    /// True when created with MFA: for a step, the `AssumeRole` call
    /// passes an MFA code (`SerialNumber` and `TokenCode`).
    pub mfa: bool,
}

/// One step.
#[derive(Clone, Debug)]
pub enum StepKind {
    /// `sts:AssumeRole` on a role; on success the caller becomes the session.
    AssumeRole {
        /// The role ARN.
        role: String,
        /// The session name.
        session_name: String,
        /// `ExternalId`, if passed.
        external_id: Option<String>,
        /// What the new session carries.
        setup: SessionSetup,
    },
    /// One API request.
    Action {
        /// The action.
        action: String,
        /// Its service prefix, lower-cased.
        service: String,
        /// The resource ARN or `*`.
        resource: String,
        /// The owner, when the world cannot tell it.
        resource_account: Option<String>,
    },
}

/// A step with its own context and location.
#[derive(Clone, Debug)]
pub struct Step {
    /// What it does.
    pub kind: StepKind,
    /// The step's context (wins over the scenario's and the file's).
    pub context: Context,
    /// The step's region (wins over the scenario's and the file's).
    pub region: Option<String>,
    /// Where it stands, for errors.
    pub span: Span,
    /// The index of its scenario in the file.
    pub scenario: usize,
    /// Its index in the scenario.
    pub index: usize,
}

impl Scenario {
    /// The services whose requests its steps make, lower-cased and sorted.
    pub fn services(&self) -> Vec<String> {
        services_of_steps(&self.steps)
    }
}

impl Step {
    /// Its JSON path, for errors.
    pub fn path(&self) -> String {
        format!("$.scenarios[{}].steps[{}]", self.scenario, self.index)
    }
}

/// One scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Its name.
    pub name: String,
    /// The principal's ARN.
    pub principal: String,
    /// For a session principal, how the session was made.
    pub session: SessionSetup,
    /// The scenario's context.
    pub context: Context,
    /// The scenario's region.
    pub region: Option<String>,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// The expected decision, if the scenario states one.
    pub expect: Option<Expect>,
    /// Where its `principal` stands, for errors.
    pub principal_span: Span,
    /// Its index in the file.
    pub index: usize,
    /// What its names' checks warn about ([`parse_scenario`] only; a
    /// whole file's are in [`ScenarioFile::warnings`]).
    pub warnings: Vec<Diagnostic>,
}

/// A scenario file, read and checked.
#[derive(Clone, Debug)]
pub struct ScenarioFile {
    /// The source it came from.
    pub source: SourceId,
    /// The world it names.
    pub world: WorldRef,
    /// File-level context.
    pub context: Context,
    /// File-level region: the `aws:RequestedRegion` of every request
    /// unless a scenario or step names another or a context gives the key
    /// (crate::region).
    pub region: Option<String>,
    /// The scenarios.
    pub scenarios: Vec<Scenario>,
    /// True when the file or the command line accepts actions and keys
    /// newer than the shipped service reference (warnings, not errors).
    pub allow_unknown_names: bool,
    /// What the checks of its names warn about: a name accepted only
    /// because unknown names are allowed, a resource the reference is
    /// unsure of, a key its action does not take.
    pub warnings: Vec<Diagnostic>,
}

// The keys each object of a scenario file accepts: one list per object,
// used for its unknown-key error here and compared with
// `schema/scenario.schema.json` by the crate's `schema` test.

/// The keys of a scenario file's top level. `$schema` names the JSON
/// Schema for editors.
pub const FILE_KEYS: &[&str] = &[
    "world",
    "context",
    "region",
    "scenarios",
    "description",
    "source",
    "rule",
    "allow_unknown_names",
    SCHEMA_KEY,
];
/// The keys of a scenario.
pub const SCENARIO_KEYS: &[&str] = &[
    "name",
    "description",
    "source",
    "rule",
    "principal",
    "context",
    "region",
    "steps",
    "expect",
    "session_policy",
    "session_tags",
    "transitive_tag_keys",
    "source_identity",
    "mfa",
];
/// The keys of an `assume_role` step.
pub const ASSUME_KEYS: &[&str] = &[
    "assume_role",
    "session_name",
    "external_id",
    "session_policy",
    "session_tags",
    "transitive_tag_keys",
    "source_identity",
    "mfa",
    "context",
    "region",
];
/// The keys of an action step.
pub const ACTION_KEYS: &[&str] = &[
    "action",
    "resource",
    "resource_account",
    "context",
    "region",
];

/// A warning for each scenario of a file whose `name` an earlier scenario
/// of the file already has: their results could not be told apart.
pub fn duplicate_names(source: SourceId, node: &Node) -> Vec<Diagnostic> {
    let Some(Value::Array(items)) = node.get("scenarios").map(|n| &n.value) else {
        return Vec::new();
    };
    let mut seen: Vec<(&str, usize)> = Vec::new();
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Some(name_node) = item.get("name") else {
            continue;
        };
        let Some(name) = name_node.as_str() else {
            continue;
        };
        match seen.iter().find(|(n, _)| *n == name) {
            Some((_, first)) => {
                let root = JsonPath::ROOT;
                let list = root.key("scenarios");
                let at = list.index(i);
                out.push(Diagnostic::at(
                    source,
                    name_node.span,
                    &at.key("name"),
                    format!("scenario name \"{name}\" is also the name of scenario {first} of this file, so their results cannot be told apart"),
                ));
            }
            None => seen.push((name, i)),
        }
    }
    out
}

/// True when a parsed JSON file looks like a world rather than scenarios
/// (directory runs skip worlds: they are read through the files naming them).
pub fn is_world_document(node: &Node) -> bool {
    node.get("accounts").is_some() && node.get("scenarios").is_none()
}

/// True when a parsed JSON file is Terraform's JSON output (`terraform show
/// -json`): an object with `format_version` and `terraform_version`, as
/// every version of the format has, per
/// <https://developer.hashicorp.com/terraform/internals/json-format>.
/// Directory runs skip plans; `iamsim import --terraform` reads them.
pub fn is_terraform_plan(node: &Node) -> bool {
    node.get("format_version").is_some() && node.get("terraform_version").is_some()
}

/// Reads a scenario file registered as `id`.
pub fn parse_file(
    sources: &mut Sources,
    id: SourceId,
    loader: &mut dyn Loader,
) -> Result<ScenarioFile, Vec<Diagnostic>> {
    let node = parse_source(sources, id).map_err(|d| vec![d])?;
    parse_node(sources, id, &node, loader, false)
}

/// Reads a scenario file from its parsed JSON; `allow_unknown_names`
/// (the command line's flag) accepts names newer than the shipped service
/// reference, as the file's own `allow_unknown_names` does.
pub fn parse_node(
    sources: &mut Sources,
    id: SourceId,
    node: &Node,
    loader: &mut dyn Loader,
    allow_unknown_names: bool,
) -> Result<ScenarioFile, Vec<Diagnostic>> {
    let doc = Doc { source: id };
    let root = JsonPath::ROOT;
    let mut r = Reader::new(sources, loader, doc, allow_unknown_names);
    let file = r.file(node, &root);
    match file {
        Some(mut f) if r.errors.is_empty() => {
            f.warnings = r.warnings;
            Ok(f)
        }
        _ => Err(r.errors),
    }
}

/// Reads the members of a scenario file other than `scenarios` (given as
/// an object without it), for files read scenario by scenario. Its
/// context's keys are checked without knowing the steps they apply to:
/// a key of any service passes.
pub fn parse_header(
    sources: &mut Sources,
    id: SourceId,
    node: &Node,
    loader: &mut dyn Loader,
    allow_unknown_names: bool,
) -> Result<ScenarioFile, Vec<Diagnostic>> {
    let mut r = Reader::new(sources, loader, Doc { source: id }, allow_unknown_names);
    let header = r.header(node, &JsonPath::ROOT);
    if header.is_some() {
        r.check_context(node, &JsonPath::ROOT, None, None);
    }
    match header {
        Some(mut f) if r.errors.is_empty() => {
            f.allow_unknown_names = r.allow_unknown_names;
            f.warnings = r.warnings;
            Ok(f)
        }
        _ => Err(r.errors),
    }
}

/// Checks that the service keys of a file-level context belong to a
/// service of some request of the file (`services`: those of all its
/// scenarios, [`Scenario::services`]), for files read scenario by scenario,
/// whose [`parse_header`] could not know them. Its other findings were
/// reported by [`parse_header`] already.
pub fn check_header_context(
    sources: &mut Sources,
    id: SourceId,
    node: &Node,
    services: &[String],
) -> Result<(), Vec<Diagnostic>> {
    let mut no_files = NoFiles;
    let mut r = Reader::new(sources, &mut no_files, Doc { source: id }, true);
    r.check_context(node, &JsonPath::ROOT, Some(services), None);
    if r.errors.is_empty() {
        Ok(())
    } else {
        Err(r.errors)
    }
}

/// Reads the scenario at `index` of a file's `scenarios`;
/// `allow_unknown_names` is its file's [`ScenarioFile::allow_unknown_names`].
pub fn parse_scenario(
    sources: &mut Sources,
    id: SourceId,
    node: &Node,
    index: usize,
    loader: &mut dyn Loader,
    allow_unknown_names: bool,
) -> Result<Scenario, Vec<Diagnostic>> {
    let mut r = Reader::new(sources, loader, Doc { source: id }, allow_unknown_names);
    let root = JsonPath::ROOT;
    let list = root.key("scenarios");
    let path = list.index(index);
    let scenario = r.scenario(node, &path, index);
    match scenario {
        Some(mut s) if r.errors.is_empty() => {
            s.warnings = r.warnings;
            Ok(s)
        }
        _ => Err(r.errors),
    }
}

struct Reader<'s> {
    sources: &'s mut Sources,
    loader: &'s mut dyn Loader,
    doc: Doc,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    allow_unknown_names: bool,
}

impl<'s> Reader<'s> {
    fn new(
        sources: &'s mut Sources,
        loader: &'s mut dyn Loader,
        doc: Doc,
        allow_unknown_names: bool,
    ) -> Reader<'s> {
        Reader {
            sources,
            loader,
            doc,
            errors: Vec::new(),
            warnings: Vec::new(),
            allow_unknown_names,
        }
    }

    fn ok<T>(&mut self, r: Result<T, Diagnostic>) -> Option<T> {
        r.map_err(|e| self.errors.push(e)).ok()
    }

    /// Files a finding of the names' checks as an error or a warning.
    fn finding(&mut self, f: Option<Finding>, at: impl FnOnce(String) -> Diagnostic) {
        if let Some(f) = f {
            let d = at(f.message);
            match f.severity {
                Severity::Error => self.errors.push(d),
                Severity::Warning => self.warnings.push(d),
            }
        }
    }

    /// Checks the keys and values of the `context` of `node` (whose other
    /// shape errors [`Reader::context`] reports): each key must be a
    /// global key or one of the `services` its requests belong to (`None`:
    /// any), each value of its key's type; on a step of `action`, a key of
    /// the action's service that it does not take is a warning.
    fn check_context(
        &mut self,
        node: &Node,
        path: &JsonPath<'_>,
        services: Option<&[String]>,
        action: Option<&str>,
    ) {
        let Some(Value::Object(members)) = node.get("context").map(|n| &n.value) else {
            return;
        };
        let doc = self.doc;
        let p = path.key("context");
        for m in members {
            if m.key
                .split_once(':')
                .is_none_or(|(a, b)| a.is_empty() || b.is_empty())
            {
                continue;
            }
            let kp = p.key(&m.key);
            let known = check::key(&m.key, services, self.allow_unknown_names);
            let unknown = known.is_some();
            self.finding(known, |msg| doc.err_key(m, &kp, msg));
            if unknown {
                continue;
            }
            if let Some(a) = action {
                self.finding(check::key_for_action(&m.key, a), |msg| {
                    doc.err_key(m, &kp, msg)
                });
            }
            let text = |n: &Node| match &n.value {
                Value::String(s) | Value::Number(s) => Some(s.clone()),
                Value::Bool(b) => Some(b.to_string()),
                _ => None,
            };
            let (values, is_list): (Vec<String>, bool) = match &m.node.value {
                Value::Array(items) => (items.iter().filter_map(text).collect(), true),
                _ => (text(&m.node).into_iter().collect(), false),
            };
            self.finding(check::value(&m.key, &values, is_list), |msg| {
                doc.err(&m.node, &kp, msg)
            });
        }
    }

    fn file(&mut self, node: &Node, path: &JsonPath<'_>) -> Option<ScenarioFile> {
        let doc = self.doc;
        let mut file = self.header(node, path)?;
        let Some(list) = node.get("scenarios") else {
            self.errors.push(doc.err(
                node,
                path,
                "a scenario file needs \"scenarios\", a list of scenarios",
            ));
            return None;
        };
        let sp = path.key("scenarios");
        let Value::Array(items) = &list.value else {
            self.errors
                .push(doc.err(list, &sp, "scenarios must be a list"));
            return None;
        };
        if items.is_empty() {
            self.errors.push(doc.err(
                list,
                &sp,
                "scenarios is empty: a scenario file needs at least one scenario",
            ));
            return None;
        }
        file.scenarios = items
            .iter()
            .enumerate()
            .filter_map(|(i, n)| {
                let p = sp.index(i);
                self.scenario(n, &p, i)
            })
            .collect();
        let services = services_of_steps(file.scenarios.iter().flat_map(|s| &s.steps));
        self.check_context(node, path, Some(&services), None);
        file.allow_unknown_names = self.allow_unknown_names;
        Some(file)
    }

    /// Everything of a scenario file but its scenarios.
    fn header(&mut self, node: &Node, path: &JsonPath<'_>) -> Option<ScenarioFile> {
        let doc = self.doc;
        self.ok(doc.object(node, path, "a scenario file", FILE_KEYS))?;
        if let Some(n) = node.get(SCHEMA_KEY) {
            let p = path.key(SCHEMA_KEY);
            self.ok(doc.string(n, &p, SCHEMA_KEY))?;
        }
        self.notes(node, path);
        if let Some(n) = node.get("allow_unknown_names") {
            let p = path.key("allow_unknown_names");
            self.allow_unknown_names |= self.ok(doc.bool(n, &p, "allow_unknown_names"))?;
        }
        let world = match node.get("world") {
            None => WorldRef::Missing,
            Some(n) => match &n.value {
                Value::String(s) => WorldRef::Path(s.clone(), n.clone()),
                Value::Object(_) => WorldRef::Inline(n.clone()),
                _ => {
                    let p = path.key("world");
                    self.errors.push(doc.err(
                        n,
                        &p,
                        format!(
                            "world must be a path or an inline world object, found {}",
                            n.kind_name()
                        ),
                    ));
                    WorldRef::Missing
                }
            },
        };
        let context = self.context(node, path);
        let region = self.region(node, path);
        Some(ScenarioFile {
            source: doc.source,
            world,
            context,
            region,
            scenarios: Vec::new(),
            allow_unknown_names: self.allow_unknown_names,
            warnings: Vec::new(),
        })
    }

    fn notes(&mut self, node: &Node, path: &JsonPath<'_>) {
        for key in ["description", "source", "rule"] {
            if let Some(n) = node.get(key) {
                let p = path.key(key);
                self.ok(self.doc.string(n, &p, key));
            }
        }
    }

    /// The `region` of a file, scenario or step, checked.
    fn region(&mut self, node: &Node, path: &JsonPath<'_>) -> Option<String> {
        let p = path.key("region");
        let r = read_region(self.doc, node.get("region"), &p, "region");
        self.ok(r).flatten()
    }

    fn context(&mut self, node: &Node, path: &JsonPath<'_>) -> Context {
        let mut c = Context::new();
        let Some(n) = node.get("context") else {
            return c;
        };
        let doc = self.doc;
        let p = path.key("context");
        let members = self.ok(doc.map(n, &p, "context")).unwrap_or_default();
        for (i, m) in members.iter().enumerate() {
            let kp = p.key(&m.key);
            let earlier = members.get(..i).unwrap_or_default();
            if earlier.iter().any(|e| e.key.eq_ignore_ascii_case(&m.key)) {
                self.errors.push(doc.err_key(
                    m,
                    &kp,
                    format!(
                        "context key \"{}\" is given twice (key names ignore case)",
                        m.key
                    ),
                ));
                continue;
            }
            if !m
                .key
                .split_once(':')
                .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
            {
                self.errors.push(doc.err_key(
                    m,
                    &kp,
                    format!("context key \"{}\" must be written prefix:name", m.key),
                ));
                continue;
            }
            let scalar = |n: &Node| match &n.value {
                Value::String(s) | Value::Number(s) => Some(s.clone()),
                Value::Bool(b) => Some(b.to_string()),
                _ => None,
            };
            match &m.node.value {
                Value::Array(items) => {
                    let vals: Option<Vec<String>> = items.iter().map(scalar).collect();
                    match vals {
                        Some(v) => c.set_list(&m.key, v),
                        None => self.errors.push(doc.err(
                            &m.node,
                            &kp,
                            "a context list holds strings, numbers or booleans",
                        )),
                    }
                }
                _ => match scalar(&m.node) {
                    Some(v) => c.set(&m.key, v),
                    None => self.errors.push(doc.err(
                        &m.node,
                        &kp,
                        format!(
                            "a context value is a string, number, boolean or list, found {}",
                            m.node.kind_name()
                        ),
                    )),
                },
            }
        }
        c
    }

    fn scenario(&mut self, node: &Node, path: &JsonPath<'_>, index: usize) -> Option<Scenario> {
        let doc = self.doc;
        self.ok(doc.object(node, path, "a scenario", SCENARIO_KEYS))?;
        self.notes(node, path);
        let name = self.required_string(node, path, "name")?;
        let principal = self.required_string(node, path, "principal")?;
        let expect_path = path.key("expect");
        let expect = match node.get("expect") {
            None => None,
            Some(n) => {
                Some(match self.ok(doc.string(n, &expect_path, "expect"))? {
                    "allow" => Expect::Allow,
                    "deny" => Expect::Deny,
                    "implicit_deny" => Expect::ImplicitDeny,
                    "explicit_deny" => Expect::ExplicitDeny,
                    "indeterminate" => {
                        self.errors.push(doc.err(n, &expect_path, "expect \"indeterminate\" cannot be met: an indeterminate decision depends on what is known only after apply, so it never passes; expect what AWS must decide (allow, deny, implicit_deny or explicit_deny), or leave expect out to report the decision"));
                        return None;
                    }
                    other => {
                        self.errors.push(doc.err(n, &expect_path, format!("expect \"{other}\" must be allow, deny, implicit_deny or explicit_deny")));
                        return None;
                    }
                })
            }
        };
        let session = self.session_setup(node, path)?;
        let context = self.context(node, path);
        let region = self.region(node, path);
        let sp = path.key("steps");
        let steps_node = node.get("steps");
        let items = match steps_node.map(|n| &n.value) {
            Some(Value::Array(items)) if !items.is_empty() => items,
            _ => {
                self.errors.push(doc.err(
                    steps_node.unwrap_or(node),
                    &sp,
                    "a scenario needs \"steps\", a non-empty list",
                ));
                return None;
            }
        };
        let mut steps = Vec::new();
        for (i, n) in items.iter().enumerate() {
            let p = sp.index(i);
            steps.push(self.step(n, &p, index, i)?);
        }
        let services = services_of_steps(&steps);
        self.check_context(node, path, Some(&services), None);
        Some(Scenario {
            name,
            principal,
            session,
            context,
            region,
            steps,
            expect,
            principal_span: node.get("principal").map_or(node.span, |p| p.span),
            index,
            warnings: Vec::new(),
        })
    }

    fn required_string(&mut self, node: &Node, path: &JsonPath<'_>, key: &str) -> Option<String> {
        let doc = self.doc;
        match node.get(key) {
            None => {
                self.errors
                    .push(doc.err(node, path, format!("missing \"{key}\"")));
                None
            }
            Some(n) => {
                let p = path.key(key);
                self.ok(doc.string(n, &p, key)).map(str::to_string)
            }
        }
    }

    fn opt_string(
        &mut self,
        node: &Node,
        path: &JsonPath<'_>,
        key: &str,
    ) -> Option<Option<String>> {
        let p = path.key(key);
        self.ok(self.doc.opt_string(node.get(key), &p, key))
            .map(|o| o.map(str::to_string))
    }

    /// Checks a parameter of an `AssumeRole` call ([`params`]), naming
    /// it at its place in the file.
    fn param(
        &mut self,
        what: &str,
        value: &str,
        check: fn(&str) -> Result<(), &'static str>,
        locate: impl FnOnce(String) -> Diagnostic,
    ) -> Option<()> {
        let checked = params::checked(what, value, check).map_err(locate);
        self.ok(checked)
    }

    fn session_setup(&mut self, node: &Node, path: &JsonPath<'_>) -> Option<SessionSetup> {
        let doc = self.doc;
        let mut s = SessionSetup::default();
        if let Some(n) = node
            .get("session_policy")
            .filter(|n| !matches!(n.value, Value::Null))
        {
            let p = path.key("session_policy");
            let compiled =
                compile_policy_doc(self.sources, self.loader, doc, n, &p, PolicyKind::Session);
            s.policy = Some(self.ok(compiled)?);
        }
        if let Some(n) = node
            .get("session_tags")
            .filter(|n| !matches!(n.value, Value::Null))
        {
            let p = path.key("session_tags");
            let members = self.ok(doc.map(n, &p, "session_tags"))?;
            if members.len() > params::MAX_SESSION_TAGS {
                let msg = format!(
                    "{} session tags: AWS takes at most {}",
                    members.len(),
                    params::MAX_SESSION_TAGS
                );
                self.errors.push(doc.err(n, &p, msg));
                return None;
            }
            for m in members {
                let tp = p.key(&m.key);
                let v = self.ok(doc.string(&m.node, &tp, "a session tag value"))?;
                self.param("session tag key", &m.key, params::session_tag_key, |msg| {
                    doc.err_key(m, &tp, msg)
                })?;
                self.param("session tag value", v, params::session_tag_value, |msg| {
                    doc.err(&m.node, &tp, msg)
                })?;
                if params::tag_given(&s.tags, &m.key) {
                    self.errors.push(doc.err_key(
                        m,
                        &tp,
                        format!("session tag \"{}\" is given twice ignoring case", m.key),
                    ));
                    return None;
                }
                s.tags.push((m.key.clone(), v.to_string()));
            }
        }
        if let Some(n) = node
            .get("transitive_tag_keys")
            .filter(|n| !matches!(n.value, Value::Null))
        {
            let p = path.key("transitive_tag_keys");
            for (k, kn) in self.ok(doc.string_list(n, &p, "a tag key"))? {
                if !s.tags.iter().any(|(t, _)| t.eq_ignore_ascii_case(k)) {
                    self.errors.push(doc.err(kn, &p, format!("transitive tag key \"{k}\" is not one of the session_tags passed in the same call")));
                    return None;
                }
                s.transitive_keys.push(k.to_string());
            }
        }
        s.source_identity = self.opt_string(node, path, "source_identity")?;
        if let (Some(id), Some(n)) = (&s.source_identity, node.get("source_identity")) {
            let p = path.key("source_identity");
            self.param("source_identity", id, params::source_identity, |msg| {
                doc.err(n, &p, msg)
            })?;
        }
        if let Some(n) = node.get("mfa") {
            let p = path.key("mfa");
            s.mfa = self.ok(doc.bool(n, &p, "mfa"))?;
        }
        Some(s)
    }

    fn step(
        &mut self,
        node: &Node,
        path: &JsonPath<'_>,
        scenario: usize,
        index: usize,
    ) -> Option<Step> {
        let doc = self.doc;
        let kind = if node.get("assume_role").is_some() {
            self.ok(doc.object(node, path, "an assume_role step", ASSUME_KEYS))?;
            let role = self.required_string(node, path, "assume_role")?;
            let session_name = self
                .opt_string(node, path, "session_name")?
                .unwrap_or_else(|| "iamsim".to_string());
            let p = path.key("session_name");
            let n = node.get("session_name").unwrap_or(node);
            self.param("session_name", &session_name, params::session_name, |msg| {
                doc.err(n, &p, msg)
            })?;
            let external_id = self.opt_string(node, path, "external_id")?;
            if let (Some(id), Some(n)) = (&external_id, node.get("external_id")) {
                let p = path.key("external_id");
                self.param("external_id", id, params::external_id, |msg| {
                    doc.err(n, &p, msg)
                })?;
            }
            let setup = self.session_setup(node, path)?;
            StepKind::AssumeRole {
                role,
                session_name,
                external_id,
                setup,
            }
        } else if node.get("action").is_some() {
            self.ok(doc.object(node, path, "an action step", ACTION_KEYS))?;
            let action = self.required_string(node, path, "action")?;
            if action.split_once(':').is_none_or(|(s, a)| {
                s.is_empty() || a.is_empty() || a.contains(':') || action.contains(['*', '?'])
            }) {
                let p = path.key("action");
                let n = node.get("action").unwrap_or(node);
                self.errors.push(doc.err(n, &p, format!("action \"{action}\" must be one action written service:Name, without wildcards")));
                return None;
            }
            let ap = path.key("action");
            let an = node.get("action").unwrap_or(node);
            let found = check::action(&action, self.allow_unknown_names);
            self.finding(found, |msg| doc.err(an, &ap, msg));
            let resource = self.required_string(node, path, "resource")?;
            let rp = path.key("resource");
            let rn = node.get("resource").unwrap_or(node);
            self.finding(check::resource(&action, &resource), |msg| {
                doc.err(rn, &rp, msg)
            });
            let resource_account = self.opt_string(node, path, "resource_account")?;
            let service = action
                .split(':')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            StepKind::Action {
                action,
                service,
                resource,
                resource_account,
            }
        } else {
            let msg = "a step is either {\"assume_role\": ROLE_ARN, ...} or {\"action\": ..., \"resource\": ...}";
            if node.as_object().is_none() {
                self.errors
                    .push(doc.err(node, path, format!("{msg}, found {}", node.kind_name())));
            } else {
                self.errors.push(doc.err(node, path, msg));
            }
            return None;
        };
        let context = self.context(node, path);
        let (services, action) = match &kind {
            StepKind::AssumeRole { .. } => (check::services_of_assume_role(), None),
            StepKind::Action { action, .. } => (check::services_of(action), Some(action.as_str())),
        };
        self.check_context(node, path, Some(&services), action);
        let region = self.region(node, path);
        Some(Step {
            kind,
            context,
            region,
            span: node.span,
            scenario,
            index,
        })
    }
}

/// The services whose requests some of `steps` make.
fn services_of_steps<'a>(steps: impl IntoIterator<Item = &'a Step>) -> Vec<String> {
    let mut all: Vec<String> = steps
        .into_iter()
        .flat_map(|s| match &s.kind {
            StepKind::AssumeRole { .. } => check::services_of_assume_role(),
            StepKind::Action { action, .. } => check::services_of(action),
        })
        .collect();
    all.sort();
    all.dedup();
    all
}
