//! Large scenario files, read scenario by scenario so that memory does not
//! grow with their size.
//!
//! A skimmer walks the file's bytes from disk: the members of the top-level
//! object other than `scenarios` are cut out and parsed (pass one, so that
//! `world` and `context` may stand anywhere; it stops at `scenarios` when
//! the file's last member is a list, which only `scenarios` may be), then
//! the elements of `scenarios` are cut out one by one on a thread of their
//! own, parsed in batches, and run in parallel (pass two). Each cut keeps its offset in the file, so errors
//! point at the right line and column. Results go to a temporary file and
//! reach stdout only when no input error was found.

use crate::batch::{Batch, Outcome, named_plan, skipped_in_walks};
use crate::render;
use iamsim_core::diag::{Diagnostic, SourceId};
use iamsim_core::json::{self, Member, Node, Span, SyntaxError, Value};
use iamsim_core::request::Clock;
use iamsim_core::scenario::{self, Detail, Scenario, ScenarioFile, ScenarioResult};
use iamsim_core::world::{NoFiles, World};
use rayon::prelude::*;
use std::collections::BTreeSet;
use std::io::{BufReader, Read, Write};
use std::path::Path;

/// Scenarios parsed and run together.
const BATCH: usize = 4096;

/// Bytes of a file, read in chunks, with their offset.
struct Bytes<R: Read> {
    r: R,
    buf: Vec<u8>,
    at: usize,
    len: usize,
    /// Offset in the file of `buf[0]`.
    base: usize,
}

impl<R: Read> Bytes<R> {
    fn new(r: R) -> Self {
        Bytes {
            r,
            buf: vec![0; 1 << 16],
            at: 0,
            len: 0,
            base: 0,
        }
    }

    fn offset(&self) -> usize {
        self.base + self.at
    }

    fn peek(&mut self) -> Result<Option<u8>, SyntaxError> {
        if self.at == self.len {
            self.base += self.len;
            self.at = 0;
            self.len = self.r.read(&mut self.buf).map_err(|e| SyntaxError {
                offset: self.base,
                message: format!("cannot read: {e}"),
            })?;
        }
        Ok(self
            .buf
            .get(self.at)
            .copied()
            .filter(|_| self.at < self.len))
    }

    fn next(&mut self) -> Result<Option<u8>, SyntaxError> {
        let b = self.peek()?;
        if b.is_some() {
            self.at += 1;
        }
        Ok(b)
    }
}

fn fault(offset: usize, message: &str) -> SyntaxError {
    SyntaxError {
        offset,
        message: message.to_string(),
    }
}

/// Receives a top-level member other than `scenarios`: its key, the key's
/// span, the value's bytes and the value's offset.
type OnMember<'a> = dyn FnMut(String, Span, &[u8], usize) -> Result<(), SyntaxError> + 'a;

/// Receives one element of `scenarios`: its index, bytes and offset.
type OnScenario<'a> = dyn FnMut(usize, &[u8], usize) -> Result<(), SyntaxError> + 'a;

/// How far a walk of the top-level object went.
enum Walked {
    /// The whole object, with its span.
    Whole(Span),
    /// Up to the value of `scenarios`: the offsets where the object starts
    /// and where that value starts.
    UpToScenarios(usize, usize),
}

/// Walks the top-level object of a scenario file.
struct Skimmer<R: Read> {
    b: Bytes<R>,
}

impl<R: Read> Skimmer<R> {
    fn ws(&mut self) -> Result<(), SyntaxError> {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.peek()? {
            self.b.next()?;
        }
        Ok(())
    }

    fn expect(&mut self, c: u8, what: &str) -> Result<(), SyntaxError> {
        self.ws()?;
        let at = self.b.offset();
        match self.b.next()? {
            Some(x) if x == c => Ok(()),
            _ => Err(fault(at, what)),
        }
    }

    /// Copies one string, quotes included, into `out`.
    fn string(&mut self, out: &mut Vec<u8>) -> Result<(), SyntaxError> {
        let start = self.b.offset();
        out.push(b'"');
        self.b.next()?;
        loop {
            match self.b.next()? {
                None => return Err(fault(start, "unterminated string")),
                Some(b'\\') => {
                    out.push(b'\\');
                    match self.b.next()? {
                        Some(c) => out.push(c),
                        None => return Err(fault(start, "unterminated string")),
                    }
                }
                Some(b'"') => {
                    out.push(b'"');
                    return Ok(());
                }
                Some(c) => out.push(c),
            }
        }
    }

    /// Copies the raw bytes of one JSON value into `out`; the parser checks
    /// them afterwards. Scans whole buffered chunks: this runs over every
    /// byte of a large file.
    fn value(&mut self, out: &mut Vec<u8>) -> Result<(), SyntaxError> {
        self.ws()?;
        let start = self.b.offset();
        let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
        loop {
            if self.b.peek()?.is_none() {
                return Err(fault(start, "unexpected end of input inside a value"));
            }
            let chunk = self.b.buf.get(self.b.at..self.b.len).unwrap_or_default();
            let mut taken = chunk.len();
            let mut done = false;
            let mut i = 0;
            while let Some(&c) = chunk.get(i) {
                if in_string {
                    if escaped {
                        escaped = false;
                        i += 1;
                        continue;
                    }
                    // Most bytes are inside strings: jump to the next quote
                    // or backslash rather than look at each.
                    let rest = chunk.get(i..).unwrap_or_default();
                    let Some(k) = memchr::memchr2(b'"', b'\\', rest) else {
                        break;
                    };
                    i += k;
                    if chunk.get(i) == Some(&b'\\') {
                        escaped = true;
                    } else {
                        in_string = false;
                        if depth == 0 {
                            (taken, done) = (i + 1, true);
                            break;
                        }
                    }
                    i += 1;
                    continue;
                }
                match c {
                    b'"' => in_string = true,
                    b'{' | b'[' => {
                        depth += 1;
                        if depth > json::MAX_DEPTH {
                            return Err(fault(self.b.offset() + i, "nesting too deep"));
                        }
                    }
                    b'}' | b']' if depth == 0 => {
                        (taken, done) = (i, true);
                        break;
                    }
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            (taken, done) = (i + 1, true);
                            break;
                        }
                    }
                    b',' | b' ' | b'\t' | b'\n' | b'\r' if depth == 0 => {
                        (taken, done) = (i, true);
                        break;
                    }
                    _ => {}
                }
                i += 1;
            }
            out.extend_from_slice(chunk.get(..taken).unwrap_or_default());
            self.b.at += taken;
            if done {
                return Ok(());
            }
        }
    }

    /// Walks `{ "key": value, ... }`: `member` receives every member but
    /// `scenarios` (key, key span, value bytes, value offset); `scenario`
    /// receives each element of `scenarios` (index, bytes, offset). Without
    /// `scenario`, the walk stops where the value of `scenarios` starts.
    fn walk(
        &mut self,
        member: &mut OnMember<'_>,
        mut scenario: Option<&mut OnScenario<'_>>,
    ) -> Result<Walked, SyntaxError> {
        self.ws()?;
        let start = self.b.offset();
        self.expect(b'{', "a scenario file is a JSON object")?;
        let mut buf = Vec::new();
        let mut first = true;
        let mut seen_scenarios = false;
        loop {
            self.ws()?;
            if self.b.peek()? == Some(b'}') && first {
                self.b.next()?;
                break;
            }
            if !first {
                let at = self.b.offset();
                match self.b.next()? {
                    Some(b',') => self.ws()?,
                    Some(b'}') => break,
                    _ => return Err(fault(at, "expected ',' or '}' in object")),
                }
            }
            first = false;
            let key_start = self.b.offset();
            if self.b.peek()? != Some(b'"') {
                return Err(fault(key_start, "expected a member name in double quotes"));
            }
            buf.clear();
            self.string(&mut buf)?;
            let key_span = span(key_start, self.b.offset());
            let key = json::parse_at(&utf8(&buf, key_start)?, key_start)?
                .as_str()
                .unwrap_or_default()
                .to_string();
            self.expect(b':', "expected ':' after the member name")?;
            self.ws()?;
            if key == "scenarios" {
                if seen_scenarios {
                    return Err(fault(
                        key_start,
                        "duplicate key \"scenarios\" in one object",
                    ));
                }
                seen_scenarios = true;
                match scenario.as_deref_mut() {
                    Some(on) => self.elements(on)?,
                    None => return Ok(Walked::UpToScenarios(start, self.b.offset())),
                }
            } else {
                let value_start = self.b.offset();
                buf.clear();
                self.value(&mut buf)?;
                member(key, key_span, &buf, value_start)?;
            }
        }
        let end = self.b.offset();
        self.ws()?;
        if self.b.peek()?.is_some() {
            return Err(fault(
                self.b.offset(),
                "unexpected text after the JSON value (only one value per file)",
            ));
        }
        Ok(Walked::Whole(span(start, end)))
    }

    fn elements(&mut self, scenario: &mut OnScenario<'_>) -> Result<(), SyntaxError> {
        self.expect(b'[', "scenarios must be a list")?;
        let mut buf = Vec::new();
        let mut index = 0;
        self.ws()?;
        if self.b.peek()? == Some(b']') {
            self.b.next()?;
            return Ok(());
        }
        loop {
            self.ws()?;
            let start = self.b.offset();
            buf.clear();
            self.value(&mut buf)?;
            scenario(index, &buf, start)?;
            index += 1;
            self.ws()?;
            let at = self.b.offset();
            match self.b.next()? {
                Some(b',') => {}
                Some(b']') => return Ok(()),
                _ => return Err(fault(at, "expected ',' or ']' in array")),
            }
        }
    }
}

/// One element of `scenarios`: its index, text and offset in the file.
type Raw = (usize, String, usize);

/// A scenario run: its rendered result, whether it met its expectation
/// (`None` without one), and the services its steps make requests of.
type Done = (String, Option<bool>, Vec<String>);

/// Runs a scenario; one that misses its expectation is run again with
/// explanations (unless it already has them), so that its failure can say
/// why.
pub fn decide(
    w: &World,
    file: &ScenarioFile,
    sc: &Scenario,
    clock: &Clock,
    detail: Detail,
) -> Result<ScenarioResult, Diagnostic> {
    let r = scenario::run_scenario(w, file, sc, clock, detail)?;
    if r.pass == Some(false) && detail != Detail::Explanations {
        return scenario::run_scenario(w, file, sc, clock, Detail::Explanations);
    }
    Ok(r)
}

fn render_one(file: &str, result: ScenarioResult, output: Output) -> (String, Option<bool>) {
    let pass = result.pass;
    // JUnit, the only output that shows the time, is never streamed.
    let o = Outcome {
        file: file.to_string(),
        result,
        time: std::time::Duration::ZERO,
    };
    let text = if output.json {
        render::json_line(&o, output.explain)
    } else {
        render::line(&o, output.explain)
    };
    (text, pass)
}

/// Reads and runs one scenario with the file's own registry and loader;
/// returns its result and the services its steps make requests of.
#[allow(
    clippy::too_many_arguments,
    reason = "the run's state, passed through once"
)]
fn slow(
    batch: &mut Batch,
    file: &ScenarioFile,
    world: usize,
    clock: &Clock,
    detail: Detail,
    (index, text, offset): &Raw,
) -> Result<(ScenarioResult, Vec<String>), Vec<Diagnostic>> {
    let id = file.source;
    let node = json::parse_at(text, *offset).map_err(|e| vec![Diagnostic::syntax(id, &e)])?;
    let mut sc = scenario::parse_scenario(
        &mut batch.sources,
        id,
        &node,
        *index,
        &mut batch.loader,
        file.allow_unknown_names,
    )?;
    batch.warnings.append(&mut sc.warnings);
    let w = batch
        .worlds
        .get(world)
        .ok_or_else(|| vec![Diagnostic::bare("internal: world index")])?;
    let r = decide(w, file, &sc, clock, detail).map_err(|d| vec![d])?;
    Ok((r, sc.services()))
}

/// The errors of members found after `scenarios` when pass one stopped
/// there: a list value, which no header member takes, makes the header
/// invalid, and the header's own checks say how, located.
fn late_members(
    batch: &mut Batch,
    id: SourceId,
    header: &Node,
    late: Vec<Member>,
) -> Vec<Diagnostic> {
    let mut members: Vec<Member> = header.as_object().unwrap_or_default().to_vec();
    for m in late {
        if members.iter().any(|x| x.key == m.key) {
            let e = fault(
                m.key_span.start as usize,
                &format!("duplicate key \"{}\" in one object", m.key),
            );
            return vec![Diagnostic::syntax(id, &e)];
        }
        members.push(m);
    }
    let full = Node {
        value: Value::Object(members),
        span: header.span,
    };
    let allow = batch.allow_unknown_names;
    match scenario::parse_header(&mut batch.sources, id, &full, &mut batch.loader, allow) {
        Err(errors) => errors,
        // Unreachable for a file whose last member is a list; fail closed.
        Ok(_) => vec![Diagnostic::bare(
            "a member after \"scenarios\" ends with a list, which a scenario file does not hold",
        )],
    }
}

/// A top-level member cut out by the skimmer, its value parsed.
fn member(key: String, key_span: Span, bytes: &[u8], offset: usize) -> Result<Member, SyntaxError> {
    let node = json::parse_at(&utf8(bytes, offset)?, offset)?;
    Ok(Member {
        key,
        key_span,
        node,
    })
}

fn span(start: usize, end: usize) -> Span {
    Span {
        start: u32::try_from(start).unwrap_or(u32::MAX),
        end: u32::try_from(end).unwrap_or(u32::MAX),
    }
}

fn utf8(bytes: &[u8], offset: usize) -> Result<String, SyntaxError> {
    String::from_utf8(bytes.to_vec()).map_err(|e| {
        fault(
            offset + e.utf8_error().valid_up_to(),
            "the file is not valid UTF-8",
        )
    })
}

/// True when the file's last top-level member has a list as its value.
/// In a valid scenario file only `scenarios` does, so the members before
/// it are the whole header, and one pass over the file is enough; a
/// member after it can only be an error, which pass two still reports.
fn list_comes_last(path: &Path) -> bool {
    use std::io::{Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let len = f.metadata().map_or(0, |m| m.len());
    let mut tail = Vec::new();
    if f.seek(SeekFrom::Start(len.saturating_sub(4096))).is_err()
        || f.read_to_end(&mut tail).is_err()
    {
        return false;
    }
    let trimmed = |b: &[u8]| -> usize {
        b.iter()
            .rposition(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
            .map_or(0, |i| i + 1)
    };
    let end = trimmed(&tail);
    if tail.get(..end).and_then(|t| t.last()) != Some(&b'}') {
        return false;
    }
    let inner = tail.get(..end.saturating_sub(1)).unwrap_or_default();
    inner.get(..trimmed(inner)).and_then(|t| t.last()) == Some(&b']')
}

fn skimmer(path: &Path) -> Result<Skimmer<BufReader<std::fs::File>>, Diagnostic> {
    let f = std::fs::File::open(path)
        .map_err(|e| Diagnostic::bare(format!("{}: cannot read: {e}", path.display())))?;
    Ok(Skimmer {
        b: Bytes::new(BufReader::new(f)),
    })
}

/// What a run counted.
#[derive(Default)]
pub struct Counts {
    /// Scenarios whose expectation held.
    pub passed: usize,
    /// Scenarios whose expectation did not.
    pub failed: usize,
    /// Scenarios that state no expectation.
    pub without: usize,
}

impl Counts {
    /// Counts one scenario by its [`ScenarioResult::pass`].
    pub fn add(&mut self, pass: Option<bool>) {
        match pass {
            Some(true) => self.passed += 1,
            Some(false) => self.failed += 1,
            None => self.without += 1,
        }
    }
}

/// How results are written.
#[derive(Clone, Copy)]
pub struct Output {
    /// JSON lines rather than the table.
    pub json: bool,
    /// The walk through every gate of every scenario: after each table
    /// line, or under each request's `explanation` in JSON.
    pub explain: bool,
}

impl Output {
    /// What a run keeps for this output: the walk with `--explain`, each
    /// request's summary for JSON, else the decisions alone. A scenario
    /// that misses its expectation is explained whatever this says
    /// ([`decide`]).
    pub fn detail(self) -> Detail {
        match (self.explain, self.json) {
            (true, _) => Detail::Explanations,
            (false, true) => Detail::Summaries,
            (false, false) => Detail::Decisions,
        }
    }
}

/// Runs a large scenario file: its results are appended to `out`, its
/// input errors returned (then `out` must be discarded), its warnings
/// added to the batch's. The file's text is read in full only when errors
/// or warnings in it must be rendered.
pub fn run(
    batch: &mut Batch,
    path: &Path,
    from_dir: bool,
    clock: &Clock,
    output: Output,
    out: &mut dyn Write,
    counts: &mut Counts,
) -> Result<(), Vec<Diagnostic>> {
    // The text is registered empty; it is read in full only to render errors.
    let id = batch.sources.add(path.display().to_string(), String::new());
    batch.loader.register(id, path);
    let warned = batch.warnings.len();
    let result = run_file(batch, id, path, from_dir, clock, output, out, counts);
    if result.is_ok() && batch.warnings.len() == warned {
        return Ok(());
    }
    if let Ok(text) = std::fs::read(path) {
        batch
            .sources
            .set_text(id, String::from_utf8_lossy(&text).into_owned());
    }
    result
}

#[allow(
    clippy::too_many_arguments,
    reason = "the run's whole state, passed through once"
)]
fn run_file(
    batch: &mut Batch,
    id: SourceId,
    path: &Path,
    from_dir: bool,
    clock: &Clock,
    output: Output,
    out: &mut dyn Write,
    counts: &mut Counts,
) -> Result<(), Vec<Diagnostic>> {
    let syntax = |e: SyntaxError| vec![Diagnostic::syntax(id, &e)];
    // Pass one: the header. When `scenarios` comes last, it ends there.
    let up_to_scenarios = list_comes_last(path);
    let mut members: Vec<Member> = Vec::new();
    let mut has_scenarios = false;
    let mut on_scenario = |_: usize, _: &[u8], _: usize| -> Result<(), SyntaxError> {
        has_scenarios = true;
        Ok(())
    };
    let walked = skimmer(path)
        .map_err(|d| vec![d])?
        .walk(
            &mut |key, key_span, bytes, offset| {
                if members.iter().any(|m| m.key == key) {
                    return Err(fault(
                        key_span.start as usize,
                        &format!("duplicate key \"{key}\" in one object"),
                    ));
                }
                members.push(member(key, key_span, bytes, offset)?);
                Ok(())
            },
            (!up_to_scenarios).then_some(&mut on_scenario as &mut OnScenario<'_>),
        )
        .map_err(syntax)?;
    // Where the scenarios start, when pass one stopped there.
    let mut scenarios_at = None;
    let whole = match walked {
        Walked::Whole(whole) => whole,
        Walked::UpToScenarios(start, at) => {
            has_scenarios = true;
            scenarios_at = Some(at);
            span(start, start + 1)
        }
    };
    let header = Node {
        value: Value::Object(members),
        span: whole,
    };
    if from_dir && !has_scenarios && skipped_in_walks(&header) {
        return Ok(());
    }
    if let Some(d) = named_plan(id, &header) {
        return Err(vec![d]);
    }
    let allow = batch.allow_unknown_names;
    let mut file =
        scenario::parse_header(&mut batch.sources, id, &header, &mut batch.loader, allow)?;
    batch.warnings.append(&mut file.warnings);
    let allow = file.allow_unknown_names;
    let world = batch.world_of(&file, path)?;
    batch.scenario_files.push(path.to_path_buf());
    let name = path.display().to_string();
    // Pass two: the scenarios, a batch at a time.
    let detail = output.detail();
    // One scenario, read and run, its result rendered, with the services
    // its steps make requests of. `Err` when it needs
    // the file's registry: a session policy in another file, any error or
    // warning, so that they are reported by the sequential path, located
    // exactly.
    let quick = |w: &World, (index, text, offset): &Raw| -> Result<Done, ()> {
        let node = json::parse_at(text, *offset).map_err(|_| ())?;
        let mut scratch = iamsim_core::diag::Sources::new();
        let sc = scenario::parse_scenario(&mut scratch, id, &node, *index, &mut NoFiles, allow)
            .map_err(|_| ())?;
        if !sc.warnings.is_empty() {
            return Err(());
        }
        let r = decide(w, &file, &sc, clock, detail).map_err(|_| ())?;
        let (text, pass) = render_one(&name, r, output);
        Ok((text, pass, sc.services()))
    };
    // The services of every scenario, for the file-level context's keys.
    let mut services: BTreeSet<String> = BTreeSet::new();
    let progress = crate::progress::bar(None);
    let mut errors = Vec::new();
    let mut flush = |batch: &mut Batch, pending: &mut Vec<Raw>, errors: &mut Vec<Diagnostic>| {
        let Some(w) = batch.worlds.get(world) else {
            errors.push(Diagnostic::bare("internal: world index"));
            return;
        };
        let quick_results: Vec<Result<Done, ()>> =
            pending.par_iter().map(|raw| quick(w, raw)).collect();
        for (raw, quick_result) in pending.drain(..).zip(quick_results) {
            let (text, pass, used) = match quick_result {
                Ok(done) => done,
                Err(()) => match slow(batch, &file, world, clock, detail, &raw) {
                    Ok((r, used)) => {
                        let (text, pass) = render_one(&name, r, output);
                        (text, pass, used)
                    }
                    Err(ds) => {
                        errors.extend(ds);
                        continue;
                    }
                },
            };
            services.extend(used);
            counts.add(pass);
            progress.inc(1);
            if let Err(e) = out.write_all(text.as_bytes()) {
                errors.push(Diagnostic::bare(format!("cannot write results: {e}")));
            }
        }
    };
    // Pass two: the scenarios, skimmed on a thread of their own a few
    // batches ahead of the runs, so that reading the file and deciding
    // overlap. Dropping the receiver stops the skimmer at its next batch.
    let mut skim = skimmer(path).map_err(|d| vec![d])?;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Raw>>(2);
    let walked = std::thread::scope(|scope| {
        let skimming = scope.spawn(move || {
            let mut pending: Vec<Raw> = Vec::with_capacity(BATCH);
            // Members after `scenarios`, when pass one stopped before them.
            let mut late: Vec<Member> = Vec::new();
            let mut seen = 0;
            skim.walk(
                &mut |key, key_span, bytes, offset| {
                    if scenarios_at.is_some_and(|at| key_span.start as usize > at) {
                        late.push(member(key, key_span, bytes, offset)?);
                    }
                    Ok(())
                },
                Some(&mut |index, bytes, offset| {
                    seen += 1;
                    pending.push((index, utf8(bytes, offset)?, offset));
                    if pending.len() == BATCH {
                        let full = std::mem::replace(&mut pending, Vec::with_capacity(BATCH));
                        tx.send(full).map_err(|_| fault(offset, "stopped"))?;
                    }
                    Ok(())
                }),
            )?;
            // The receiver is gone only after an error, reported already.
            let _ = tx.send(pending);
            Ok((late, seen))
        });
        for mut pending in &rx {
            flush(batch, &mut pending, &mut errors);
            if !errors.is_empty() {
                break;
            }
        }
        drop(rx);
        skimming
            .join()
            .unwrap_or_else(|_| Err(fault(0, "internal: the thread reading the file stopped")))
    });
    let (late, seen) = match walked {
        Ok(walked) => walked,
        Err(e) => return Err(if errors.is_empty() { syntax(e) } else { errors }),
    };
    if seen == 0 {
        errors.push(Diagnostic::bare(format!(
            "{name}: no scenarios: a scenario file needs \"scenarios\", a non-empty list"
        )));
    }
    if !late.is_empty() {
        errors.extend(late_members(batch, id, &header, late));
    }
    if errors.is_empty() {
        let services: Vec<String> = services.into_iter().collect();
        if let Err(ds) = scenario::check_header_context(&mut batch.sources, id, &header, &services)
        {
            errors.extend(ds);
        }
    }
    progress.finish_and_clear();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
