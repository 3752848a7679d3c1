//! Pruning that never removes what is imported.
//!
//! The kept Python sources are scanned for the modules they import, without
//! executing anything: a small tokenizer (strings with every prefix, f-strings
//! nested as Python 3.12 allows, comments, brackets, line joins) and a reader
//! of `import` and `from ... import` statements wherever a statement starts,
//! in functions and `try:` blocks too (a lazy import of a pruned module fails
//! as surely, only later). `__import__("x")` and `importlib.import_module("x")`
//! take strings and are not followed: they are the import proof's business.
//!
//! Every pruned file that a kept module imports, directly or through other
//! kept-back files, goes back into the layer. Only files a default rule
//! removed come back: the rules a user wrote in `.layerignore` win.

use std::collections::{BTreeMap, HashMap, HashSet};

use layer_core::sections::KeptBack;
use layer_core::{Error, Result};
use rayon::prelude::*;

use crate::tree::{PruneRule, Tree};

/// Past this depth of f-strings inside f-strings the scanner gives up on a
/// file rather than recurse further (Python itself stops at a few levels).
const MAX_FSTRING_NESTING: u32 = 16;

/// One `import` or `from ... import` statement, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawImport {
    /// Leading dots of a relative import (`from ..x import y`: 2).
    pub level: usize,
    /// The dotted module after `import` or `from` (None in `from . import x`).
    pub module: Option<String>,
    /// The names after `from M import` (each may be a submodule); `*` for a star import.
    pub names: Vec<String>,
    pub line: u32,
}

/// Something the scanner could not read; the imports after it are not known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: u32,
    pub what: String,
}

/// What a source file imports, and what the scanner could not read in it.
#[derive(Debug, Default)]
pub struct Scanned {
    pub imports: Vec<RawImport>,
    pub problems: Vec<Problem>,
}

/// Scan one Python source for its import statements. Never fails: what it
/// cannot read is reported in `problems`.
pub fn scan(source: &[u8]) -> Scanned {
    let mut parser = Parser {
        lexer: Lexer::new(source),
        peeked: None,
        imports: Vec::new(),
    };
    parser.run();
    let mut problems = parser.lexer.problems;
    problems.sort_by_key(|p| p.line);
    Scanned {
        imports: parser.imports,
        problems,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok<'a> {
    Name(&'a [u8]),
    Op(u8),
    /// The end of a logical line (outside brackets).
    Newline,
    /// A string or a number: nothing an import statement contains.
    Other,
}

struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    line: u32,
    depth: u32,
    /// Where the outermost open bracket was opened.
    bracket_line: u32,
    problems: Vec<Problem>,
    /// Set when the scanner gives up on the rest of the file.
    stopped: bool,
}

fn is_name_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_' || byte >= 0x80
}

fn is_name_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80
}

/// What a string's prefix says about how to read it.
#[derive(Debug, Clone, Copy, Default)]
struct StringKind {
    /// An f-string (or a template string, which nests the same way): `{` opens a field.
    formatted: bool,
    /// A backslash escapes nothing (but still keeps a quote from ending the string).
    raw: bool,
}

/// `rb`, `F`, `Rt`...: a name that, directly followed by a quote, prefixes a string.
fn string_prefix(name: &[u8]) -> Option<StringKind> {
    if name.is_empty() || name.len() > 2 {
        return None;
    }
    let lower: Vec<u8> = name.iter().map(u8::to_ascii_lowercase).collect();
    let valid = matches!(
        lower.as_slice(),
        b"r" | b"u" | b"b" | b"f" | b"t" | b"br" | b"rb" | b"fr" | b"rf" | b"tr" | b"rt"
    );
    valid.then(|| StringKind {
        formatted: lower.iter().any(|c| matches!(c, b'f' | b't')),
        raw: lower.contains(&b'r'),
    })
}

impl<'a> Lexer<'a> {
    fn new(src: &'a [u8]) -> Self {
        Lexer {
            src,
            pos: 0,
            line: 1,
            depth: 0,
            bracket_line: 0,
            problems: Vec::new(),
            stopped: false,
        }
    }

    fn peek_byte(&self, offset: usize) -> Option<u8> {
        self.src.get(self.pos + offset).copied()
    }

    fn problem(&mut self, line: u32, what: impl Into<String>) {
        self.problems.push(Problem {
            line,
            what: what.into(),
        });
    }

    /// Consume a newline (`\n`, `\r\n` or `\r`) at `pos`.
    fn newline(&mut self) {
        if self.src[self.pos] == b'\r' && self.peek_byte(1) == Some(b'\n') {
            self.pos += 1;
        }
        self.pos += 1;
        self.line += 1;
    }

    fn next(&mut self) -> Option<(Tok<'a>, u32)> {
        while !self.stopped && self.pos < self.src.len() {
            let byte = self.src[self.pos];
            let line = self.line;
            match byte {
                b' ' | b'\t' | 0x0c => self.pos += 1,
                b'\\' => {
                    self.pos += 1;
                    if matches!(self.peek_byte(0), Some(b'\n' | b'\r')) {
                        self.newline();
                    }
                }
                b'\n' | b'\r' => {
                    self.newline();
                    if self.depth == 0 {
                        return Some((Tok::Newline, line));
                    }
                }
                b'#' => {
                    while self.pos < self.src.len() && !matches!(self.src[self.pos], b'\n' | b'\r')
                    {
                        self.pos += 1;
                    }
                }
                b'"' | b'\'' => {
                    self.string(StringKind::default(), 0);
                    return Some((Tok::Other, line));
                }
                b'0'..=b'9' => {
                    self.number();
                    return Some((Tok::Other, line));
                }
                b'.' if self.peek_byte(1).is_some_and(|b| b.is_ascii_digit()) => {
                    self.number();
                    return Some((Tok::Other, line));
                }
                _ if is_name_start(byte) => {
                    let start = self.pos;
                    while self.pos < self.src.len() && is_name_byte(self.src[self.pos]) {
                        self.pos += 1;
                    }
                    let name = &self.src[start..self.pos];
                    if matches!(self.peek_byte(0), Some(b'"' | b'\''))
                        && let Some(kind) = string_prefix(name)
                    {
                        self.string(kind, 0);
                        return Some((Tok::Other, line));
                    }
                    return Some((Tok::Name(name), line));
                }
                b'(' | b'[' | b'{' => {
                    self.pos += 1;
                    if self.depth == 0 {
                        self.bracket_line = line;
                    }
                    self.depth += 1;
                    return Some((Tok::Op(byte), line));
                }
                b')' | b']' | b'}' => {
                    self.pos += 1;
                    if self.depth == 0 {
                        self.problem(line, format!("an unmatched {:?}", byte as char));
                    } else {
                        self.depth -= 1;
                    }
                    return Some((Tok::Op(byte), line));
                }
                _ => {
                    self.pos += 1;
                    return Some((Tok::Op(byte), line));
                }
            }
        }
        if self.depth > 0 && !self.stopped {
            self.problem(self.bracket_line, "a bracket is never closed");
            self.depth = 0;
        }
        None
    }

    fn number(&mut self) {
        while self.pos < self.src.len()
            && (self.src[self.pos].is_ascii_alphanumeric()
                || matches!(self.src[self.pos], b'_' | b'.'))
        {
            self.pos += 1;
        }
    }

    /// A string starting at the quote under `pos`. An unterminated one is a
    /// problem; the scan goes on after it (at the line's end for a one-line string).
    fn string(&mut self, kind: StringKind, nesting: u32) {
        let start_line = self.line;
        if self.read_string(kind, nesting).is_err() && !self.stopped {
            self.problem(start_line, "a string that is never closed");
        }
    }

    fn read_string(&mut self, kind: StringKind, nesting: u32) -> Result<(), ()> {
        if nesting > MAX_FSTRING_NESTING {
            let line = self.line;
            self.problem(line, "f-strings nested too deeply to follow");
            self.stopped = true;
            return Err(());
        }
        let quote = self.src[self.pos];
        let triple = self.src[self.pos..].starts_with(&[quote, quote, quote]);
        self.pos += if triple { 3 } else { 1 };
        while self.pos < self.src.len() {
            let byte = self.src[self.pos];
            match byte {
                b'\\' => {
                    self.pos += 1;
                    match self.peek_byte(0) {
                        None => {}
                        Some(b'\n' | b'\r') => self.newline(),
                        // `\N{EM DASH}`: the braces belong to the escape.
                        Some(b'N')
                            if kind.formatted && !kind.raw && self.peek_byte(1) == Some(b'{') =>
                        {
                            while self.pos < self.src.len()
                                && !matches!(self.src[self.pos], b'}' | b'\n' | b'\r')
                            {
                                self.pos += 1;
                            }
                            if self.peek_byte(0) == Some(b'}') {
                                self.pos += 1;
                            }
                        }
                        // A brace after a backslash is still a brace.
                        Some(b'{' | b'}') if kind.formatted => {}
                        Some(next) if kind.raw && next != quote && next != b'\\' => {}
                        Some(_) => self.pos += 1,
                    }
                }
                _ if byte == quote => {
                    if !triple {
                        self.pos += 1;
                        return Ok(());
                    }
                    if self.src[self.pos..].starts_with(&[quote, quote, quote]) {
                        self.pos += 3;
                        return Ok(());
                    }
                    self.pos += 1;
                }
                b'\n' | b'\r' => {
                    if !triple {
                        return Err(());
                    }
                    self.newline();
                }
                b'{' if kind.formatted => {
                    if self.peek_byte(1) == Some(b'{') {
                        self.pos += 2;
                    } else {
                        self.pos += 1;
                        self.replacement_field(triple, nesting)?;
                    }
                }
                _ => self.pos += 1,
            }
        }
        Err(())
    }

    /// The `{...}` of an f-string, after its `{`: code (which may hold strings,
    /// f-strings among them, with any quotes since Python 3.12), then an
    /// optional `!r` and `:spec` (literal text with nested fields).
    fn replacement_field(&mut self, triple: bool, nesting: u32) -> Result<(), ()> {
        let mut depth = 0u32;
        while self.pos < self.src.len() && !self.stopped {
            let byte = self.src[self.pos];
            match byte {
                b'"' | b'\'' => self.read_string(StringKind::default(), nesting + 1)?,
                _ if is_name_start(byte) => {
                    let start = self.pos;
                    while self.pos < self.src.len() && is_name_byte(self.src[self.pos]) {
                        self.pos += 1;
                    }
                    if matches!(self.peek_byte(0), Some(b'"' | b'\''))
                        && let Some(kind) = string_prefix(&self.src[start..self.pos])
                    {
                        self.read_string(kind, nesting + 1)?;
                    }
                }
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    self.pos += 1;
                }
                b')' | b']' => {
                    depth = depth.saturating_sub(1);
                    self.pos += 1;
                }
                b'}' => {
                    self.pos += 1;
                    if depth == 0 {
                        return Ok(());
                    }
                    depth -= 1;
                }
                b':' if depth == 0 => {
                    self.pos += 1;
                    return self.format_spec(triple, nesting);
                }
                // A comment in a multi-line field (Python 3.12).
                b'#' => {
                    while self.pos < self.src.len() && !matches!(self.src[self.pos], b'\n' | b'\r')
                    {
                        self.pos += 1;
                    }
                }
                b'\n' | b'\r' => self.newline(),
                _ => self.pos += 1,
            }
        }
        Err(())
    }

    /// The format spec of a replacement field, after its `:`: literal text up to
    /// the field's `}`, with nested `{fields}`. Quotes here are fill characters.
    fn format_spec(&mut self, triple: bool, nesting: u32) -> Result<(), ()> {
        while self.pos < self.src.len() {
            match self.src[self.pos] {
                b'{' => {
                    self.pos += 1;
                    self.replacement_field(triple, nesting + 1)?;
                }
                b'}' => {
                    self.pos += 1;
                    return Ok(());
                }
                b'\n' | b'\r' if !triple => return Err(()),
                b'\n' | b'\r' => self.newline(),
                _ => self.pos += 1,
            }
        }
        Err(())
    }
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    peeked: Option<Option<(Tok<'a>, u32)>>,
    imports: Vec<RawImport>,
}

impl<'a> Parser<'a> {
    fn next(&mut self) -> Option<(Tok<'a>, u32)> {
        match self.peeked.take() {
            Some(token) => token,
            None => self.lexer.next(),
        }
    }

    fn peek(&mut self) -> Option<Tok<'a>> {
        if self.peeked.is_none() {
            self.peeked = Some(self.lexer.next());
        }
        self.peeked.flatten().map(|(tok, _)| tok)
    }

    fn run(&mut self) {
        let mut at_statement_start = true;
        while let Some((tok, line)) = self.next() {
            match tok {
                Tok::Newline => at_statement_start = true,
                // `a; import b`, `if x: import y` (a `:` outside brackets ends a
                // compound statement's header; after an annotation's `:` no
                // statement can follow, so treating it alike is harmless).
                Tok::Op(b';' | b':') if self.lexer.depth == 0 => at_statement_start = true,
                Tok::Name(b"import") if at_statement_start => {
                    if self.plain_import(line).is_err() {
                        self.unreadable(line);
                    }
                    at_statement_start = true;
                }
                Tok::Name(b"from") if at_statement_start => {
                    if self.import_from(line).is_err() {
                        self.unreadable(line);
                    }
                    at_statement_start = true;
                }
                _ => at_statement_start = false,
            }
        }
    }

    /// Report a statement the parser could not read, and skip to its end.
    fn unreadable(&mut self, line: u32) {
        self.lexer
            .problem(line, "an import statement the scanner cannot read");
        while let Some(tok) = self.peek() {
            if tok == Tok::Newline || (tok == Tok::Op(b';') && self.lexer.depth == 0) {
                break;
            }
            self.next();
        }
    }

    fn name(&mut self) -> Option<String> {
        match self.peek() {
            Some(Tok::Name(name)) if !matches!(name, b"import" | b"as") => {
                self.next();
                Some(String::from_utf8_lossy(name).into_owned())
            }
            _ => None,
        }
    }

    fn dotted_name(&mut self) -> Option<String> {
        let mut dotted = self.name()?;
        while self.peek() == Some(Tok::Op(b'.')) {
            self.next();
            dotted.push('.');
            dotted.push_str(&self.name()?);
        }
        Some(dotted)
    }

    /// `as NAME`, when present.
    fn alias(&mut self) -> Result<(), ()> {
        if self.peek() == Some(Tok::Name(b"as")) {
            self.next();
            self.name().ok_or(())?;
        }
        Ok(())
    }

    /// The statement ends here: a newline, a `;`, or the end of the file.
    fn end_of_statement(&mut self) -> Result<(), ()> {
        match self.peek() {
            None | Some(Tok::Newline) | Some(Tok::Op(b';')) => Ok(()),
            _ => Err(()),
        }
    }

    /// `import a.b as c, d`
    fn plain_import(&mut self, line: u32) -> Result<(), ()> {
        loop {
            let module = self.dotted_name().ok_or(())?;
            self.imports.push(RawImport {
                level: 0,
                module: Some(module),
                names: Vec::new(),
                line,
            });
            self.alias()?;
            if self.peek() == Some(Tok::Op(b',')) {
                self.next();
                continue;
            }
            return self.end_of_statement();
        }
    }

    /// `from ..a.b import (c as d, e)`, `from . import x`, `from a import *`
    fn import_from(&mut self, line: u32) -> Result<(), ()> {
        let mut level = 0;
        while self.peek() == Some(Tok::Op(b'.')) {
            self.next();
            level += 1;
        }
        let module = match self.peek() {
            Some(Tok::Name(b"import")) => None,
            _ => Some(self.dotted_name().ok_or(())?),
        };
        if level == 0 && module.is_none() {
            return Err(());
        }
        if self.next().map(|(tok, _)| tok) != Some(Tok::Name(b"import")) {
            return Err(());
        }
        let mut names = Vec::new();
        if self.peek() == Some(Tok::Op(b'*')) {
            self.next();
            names.push("*".to_string());
        } else {
            let parenthesised = self.peek() == Some(Tok::Op(b'('));
            if parenthesised {
                self.next();
            }
            loop {
                if parenthesised && self.peek() == Some(Tok::Op(b')')) && !names.is_empty() {
                    break;
                }
                names.push(self.name().ok_or(())?);
                self.alias()?;
                if self.peek() == Some(Tok::Op(b',')) {
                    self.next();
                } else {
                    break;
                }
            }
            if parenthesised && self.next().map(|(tok, _)| tok) != Some(Tok::Op(b')')) {
                return Err(());
            }
        }
        self.imports.push(RawImport {
            level,
            module,
            names,
            line,
        });
        self.end_of_statement()
    }
}

/// The module a layer file holds, and whether it is a package's `__init__`:
/// `astropy.tests.runner` for `python/astropy/tests/runner.py`, `markupsafe`
/// (a package) for `python/markupsafe/__init__.py`, `markupsafe._speedups`
/// for `python/markupsafe/_speedups.cpython-311-x86_64-linux-gnu.so`. Files
/// under `python/lib/pythonX.Y/site-packages/` count from that folder. None
/// for what no import statement can reach (data, `numpy.libs/`, `*.dist-info/`).
pub fn module_of(zip_path: &str) -> Option<(String, bool)> {
    let relative = zip_path.strip_prefix("python/")?;
    let relative = match relative
        .strip_prefix("lib/")
        .and_then(|rest| rest.split_once("/site-packages/"))
    {
        Some((version, rest)) if version.starts_with("python3") => rest,
        _ => relative,
    };
    module_of_relative(relative)
}

/// The module a file holds, by its path relative to a folder on `sys.path`.
pub fn module_of_relative(relative: &str) -> Option<(String, bool)> {
    let (dirs, file) = match relative.rsplit_once('/') {
        Some((dirs, file)) => (Some(dirs), file),
        None => (None, relative),
    };
    let stem = if let Some(stem) = file.strip_suffix(".py") {
        stem
    } else if let Some(stem) = file.strip_suffix(".pyc") {
        // Sourceless modules only: `__pycache__/x.cpython-311.pyc` is a cache.
        if dirs.is_some_and(|d| d.ends_with("__pycache__") || d == "__pycache__") {
            return None;
        }
        stem
    } else if file.ends_with(".so") {
        file.split('.').next()?
    } else {
        return None;
    };
    let identifier = |part: &str| {
        part.bytes().next().is_some_and(is_name_start) && part.bytes().all(is_name_byte)
    };
    if !identifier(stem) || !dirs.is_none_or(|d| d.split('/').all(identifier)) {
        return None;
    }
    let package = stem == "__init__";
    let module = match (dirs, package) {
        (Some(dirs), true) => dirs.replace('/', "."),
        (None, true) => return None,
        (Some(dirs), false) => format!("{}.{stem}", dirs.replace('/', ".")),
        (None, false) => stem.to_string(),
    };
    Some((module, package))
}

/// The absolute modules an import statement in `module` may load, parents
/// first: `from .tests.runner import TestRunner` in the package `astropy` gives
/// `astropy`, `astropy.tests`, `astropy.tests.runner`, `astropy.tests.runner.TestRunner`
/// (the last is a submodule only if such a file exists). Err: a relative import
/// beyond the top-level package.
pub fn imported_modules(
    raw: &RawImport,
    module: &str,
    is_package: bool,
) -> std::result::Result<Vec<String>, String> {
    let base = if raw.level == 0 {
        raw.module.clone().unwrap_or_default()
    } else {
        let mut parts: Vec<&str> = module.split('.').collect();
        if !is_package {
            parts.pop();
        }
        for _ in 1..raw.level {
            if parts.pop().is_none() {
                break;
            }
        }
        if parts.is_empty() {
            return Err(format!(
                "a relative import ({} dots) beyond the top-level package",
                raw.level
            ));
        }
        let mut base = parts.join(".");
        if let Some(rest) = &raw.module {
            base.push('.');
            base.push_str(rest);
        }
        base
    };
    let mut modules = Vec::new();
    let mut prefix = String::new();
    for part in base.split('.') {
        if !prefix.is_empty() {
            prefix.push('.');
        }
        prefix.push_str(part);
        modules.push(prefix.clone());
    }
    for name in &raw.names {
        if name != "*" {
            modules.push(format!("{base}.{name}"));
        }
    }
    Ok(modules)
}

/// What keeping imported files back did.
#[derive(Debug, Default)]
pub struct KeepResult {
    pub scanned_files: u64,
    pub kept_back: Vec<KeptBack>,
}

/// Scan the kept Python sources and move every file a default rule pruned
/// that they import (transitively) back into the layer. Returns None when no
/// module file was pruned by a default rule: nothing could be kept back.
pub fn keep_imported(tree: &mut Tree) -> Result<Option<KeepResult>> {
    let index = PrunedModules::new(tree);
    if index.by_module.is_empty() {
        return Ok(None);
    }
    let mut result = KeepResult::default();
    let mut restored: BTreeMap<usize, KeptBack> = BTreeMap::new();
    // Sources to scan, as (zip path, source path): first every kept file, then
    // each wave of files kept back by the previous one.
    let mut wave: Vec<(String, std::path::PathBuf)> = tree
        .files
        .iter()
        .filter(|entry| entry.zip_path.ends_with(".py"))
        .map(|entry| (entry.zip_path.clone(), entry.source.clone()))
        .collect();
    while !wave.is_empty() {
        let scanned: Vec<(String, Vec<String>)> = wave
            .par_iter()
            .map(|(zip_path, source)| Ok((zip_path.clone(), imports_of(zip_path, source)?)))
            .collect::<Result<_>>()?;
        result.scanned_files += wave.len() as u64;
        let mut next = Vec::new();
        for (importer, modules) in scanned {
            for module in modules {
                for &pruned in index.by_module.get(module.as_str()).into_iter().flatten() {
                    if restored.contains_key(&pruned) {
                        continue;
                    }
                    let entry = &tree.pruned[pruned];
                    let PruneRule::Default(rule) = &entry.rule else {
                        continue;
                    };
                    tracing::debug!(
                        "imports: keeping {} ({module}), imported by {importer}",
                        entry.entry.zip_path
                    );
                    restored.insert(
                        pruned,
                        KeptBack {
                            path: entry.entry.zip_path.clone(),
                            module: module.clone(),
                            imported_by: importer.clone(),
                            rule: rule.clone(),
                            extra: Default::default(),
                        },
                    );
                    if entry.entry.zip_path.ends_with(".py") {
                        next.push((entry.entry.zip_path.clone(), entry.entry.source.clone()));
                    }
                }
            }
        }
        next.sort();
        wave = next;
    }
    tree.restore(restored.keys().copied().collect());
    result.kept_back = restored.into_values().collect();
    result.kept_back.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Some(result))
}

/// Read and scan one file; the modules its imports may load.
fn imports_of(zip_path: &str, source: &std::path::Path) -> Result<Vec<String>> {
    let bytes = std::fs::read(source).map_err(|err| Error::io("read", source, err))?;
    let scanned = scan(&bytes);
    for problem in &scanned.problems {
        tracing::info!(
            "imports: {zip_path}:{}: {}; its imports after that line are not known (the import proof still covers it)",
            problem.line,
            problem.what
        );
    }
    let Some((module, is_package)) = module_of(zip_path) else {
        // Not importable itself (a script, a file in a folder with a dash):
        // its absolute imports still count.
        return Ok(scanned
            .imports
            .iter()
            .filter(|raw| raw.level == 0)
            .filter_map(|raw| imported_modules(raw, "", false).ok())
            .flatten()
            .collect());
    };
    let mut modules = Vec::new();
    for raw in &scanned.imports {
        match imported_modules(raw, &module, is_package) {
            Ok(found) => modules.extend(found),
            Err(problem) => {
                tracing::info!("imports: {zip_path}:{}: {problem}", raw.line)
            }
        }
    }
    Ok(modules)
}

/// The module files a default rule pruned, by module name.
struct PrunedModules {
    by_module: HashMap<String, Vec<usize>>,
}

impl PrunedModules {
    fn new(tree: &Tree) -> Self {
        // A sourceless `x.pyc` is the module only where there is no `x.py`.
        let with_source: HashSet<String> = tree
            .files
            .iter()
            .map(|e| &e.zip_path)
            .chain(tree.pruned.iter().map(|p| &p.entry.zip_path))
            .filter(|path| path.ends_with(".py"))
            .filter_map(|path| module_of(path).map(|(module, _)| module))
            .collect();
        let mut by_module: HashMap<String, Vec<usize>> = HashMap::new();
        for (index, pruned) in tree.pruned.iter().enumerate() {
            if !matches!(pruned.rule, PruneRule::Default(_)) {
                continue;
            }
            let path = &pruned.entry.zip_path;
            let Some((module, _)) = module_of(path) else {
                continue;
            };
            if path.ends_with(".pyc") && with_source.contains(&module) {
                continue;
            }
            by_module.entry(module).or_default().push(index);
        }
        PrunedModules { by_module }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imports(source: &str) -> Vec<(usize, Option<String>, Vec<String>)> {
        let scanned = scan(source.as_bytes());
        assert!(
            scanned.problems.is_empty(),
            "{:?} in:\n{source}",
            scanned.problems
        );
        scanned
            .imports
            .into_iter()
            .map(|i| (i.level, i.module, i.names))
            .collect()
    }

    fn abs(
        level: usize,
        module: Option<&str>,
        names: &[&str],
    ) -> (usize, Option<String>, Vec<String>) {
        (
            level,
            module.map(str::to_string),
            names.iter().map(|n| n.to_string()).collect(),
        )
    }

    #[test]
    fn reads_every_form_of_import_statement() {
        let source = r#"
import os, sys as system
import a.b.c as d
from .tests.runner import TestRunner
from . import tests
from .. import x, y as z
from ...pkg.mod import (
    one,
    two as deux,   # a comment
)
from a import *
if True: import lazy
x = 1; import after_semicolon
def f():
    from .inner import thing
try:
    import optional
except ImportError:
    optional = None
"#;
        assert_eq!(
            imports(source),
            vec![
                abs(0, Some("os"), &[]),
                abs(0, Some("sys"), &[]),
                abs(0, Some("a.b.c"), &[]),
                abs(1, Some("tests.runner"), &["TestRunner"]),
                abs(1, None, &["tests"]),
                abs(2, None, &["x", "y"]),
                abs(3, Some("pkg.mod"), &["one", "two"]),
                abs(0, Some("a"), &["*"]),
                abs(0, Some("lazy"), &[]),
                abs(0, Some("after_semicolon"), &[]),
                abs(1, Some("inner"), &["thing"]),
                abs(0, Some("optional"), &[]),
            ]
        );
    }

    #[test]
    fn strings_comments_and_dunder_import_are_not_imports() {
        let source = r#"
# import commented
s = "import in_a_string"
t = '''
import in_a_docstring
from x import y
'''
u = r"\" import still_a_string"
b = b'from bytes import nothing'
__import__("dunder.string")
importlib.import_module("pkg.tests.runtime")
yield_from = 1
def g():
    yield from range(3)
    raise ValueError() from None
value = fancy.import_thing
import real
"#;
        assert_eq!(imports(source), vec![abs(0, Some("real"), &[])]);
    }

    #[test]
    fn f_strings_nest_quotes_braces_and_format_specs() {
        let source = r#"
a = f"{x!r:>{width}} {{literal}} {d['k']}"
b = f"{f"{f'{1}'}"}"
c = f'''{
    value
}''' ; import after_multiline
d = f"{x:'^10}" ; import after_fill_quote
e = rf"\{x}" ; import after_raw
t = t"{name}"; import after_template
g = f"\N{EM DASH} {x}"; import after_named_escape
h = fr'\{{{1+1}' ; import after_raw_brace
import end
"#;
        assert_eq!(
            imports(source),
            vec![
                abs(0, Some("after_multiline"), &[]),
                abs(0, Some("after_fill_quote"), &[]),
                abs(0, Some("after_raw"), &[]),
                abs(0, Some("after_template"), &[]),
                abs(0, Some("after_named_escape"), &[]),
                abs(0, Some("after_raw_brace"), &[]),
                abs(0, Some("end"), &[]),
            ]
        );
    }

    #[test]
    fn line_continuations_and_brackets_do_not_start_statements() {
        let source = "x = (1,\n  2)\ny = [\n import_like]\nimport \\\n    joined\nz = {'a':\n 1}\nimport last\n";
        assert_eq!(
            imports(source),
            vec![abs(0, Some("joined"), &[]), abs(0, Some("last"), &[])]
        );
    }

    #[test]
    fn relative_imports_resolve_at_several_depths() {
        let raw = |level, module: Option<&str>, names: &[&str]| RawImport {
            level,
            module: module.map(str::to_string),
            names: names.iter().map(|n| n.to_string()).collect(),
            line: 1,
        };
        // In the package astropy (its __init__.py).
        assert_eq!(
            imported_modules(
                &raw(1, Some("tests.runner"), &["TestRunner"]),
                "astropy",
                true
            )
            .unwrap(),
            [
                "astropy",
                "astropy.tests",
                "astropy.tests.runner",
                "astropy.tests.runner.TestRunner"
            ]
        );
        assert_eq!(
            imported_modules(&raw(1, None, &["tests"]), "astropy", true).unwrap(),
            ["astropy", "astropy.tests"]
        );
        // In the module a.b.c (a file): one dot is a.b, two a, three too far.
        assert_eq!(
            imported_modules(&raw(1, Some("d"), &[]), "a.b.c", false).unwrap(),
            ["a", "a.b", "a.b.d"]
        );
        assert_eq!(
            imported_modules(&raw(2, None, &["x", "*"]), "a.b.c", false).unwrap(),
            ["a", "a.x"]
        );
        assert_eq!(
            imported_modules(&raw(3, Some("pkg"), &[]), "a.b.c.d", true).unwrap(),
            ["a", "a.b", "a.b.pkg"]
        );
        assert!(imported_modules(&raw(3, None, &["x"]), "a.b.c", false).is_err());
        assert!(imported_modules(&raw(1, None, &["x"]), "top", false).is_err());
        assert_eq!(
            imported_modules(
                &raw(0, Some("numpy._core.tests._natype"), &[]),
                "numpy.testing",
                true
            )
            .unwrap(),
            [
                "numpy",
                "numpy._core",
                "numpy._core.tests",
                "numpy._core.tests._natype"
            ]
        );
    }

    #[test]
    fn files_map_to_modules() {
        assert_eq!(
            module_of("python/astropy/tests/runner.py"),
            Some(("astropy.tests.runner".into(), false))
        );
        assert_eq!(
            module_of("python/astropy/__init__.py"),
            Some(("astropy".into(), true))
        );
        assert_eq!(
            module_of("python/lib/python3.11/site-packages/six.py"),
            Some(("six".into(), false))
        );
        assert_eq!(
            module_of("python/m/_s.cpython-311-x86_64-linux-gnu.so"),
            Some(("m._s".into(), false))
        );
        assert_eq!(module_of("python/m/old.pyc"), Some(("m.old".into(), false)));
        assert_eq!(module_of("python/m/__pycache__/x.cpython-311.pyc"), None);
        assert_eq!(module_of("python/numpy.libs/libx.so"), None);
        assert_eq!(module_of("python/six-1.17.0.dist-info/RECORD"), None);
        assert_eq!(module_of("python/my-scripts/run.py"), None);
        assert_eq!(module_of("python/__init__.py"), None);
    }

    /// An import as (line, level, module, names).
    type Statement = (u32, usize, Option<String>, Vec<String>);

    /// The scanner against Python's own parser, on every module of the local
    /// python3's standard library that Python itself can parse.
    #[test]
    fn agrees_with_pythons_own_parser_on_the_standard_library() {
        let script = r#"
import ast, json, os, sys, sysconfig
root = sysconfig.get_paths()["stdlib"]
for folder, dirs, files in os.walk(root):
    dirs[:] = sorted(d for d in dirs if d not in ("site-packages", "__pycache__", "test", "tests", "idle_test"))
    for name in sorted(files):
        if not name.endswith(".py"):
            continue
        path = os.path.join(folder, name)
        try:
            with open(path, "rb") as f:
                tree = ast.parse(f.read())
        except (SyntaxError, ValueError):
            continue
        found = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [[node.lineno, 0, a.name, []] for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                found.append([node.lineno, node.level, node.module, [a.name for a in node.names]])
        found.sort(key=lambda i: (i[0], i[2] or ""))
        print(json.dumps([path, found]))
"#;
        let output = std::process::Command::new("python3")
            .args(["-I", "-c", script])
            .output()
            .expect("python3 runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let mut files = 0;
        let mut mismatches = Vec::new();
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            let (path, expected): (String, Vec<Statement>) = serde_json::from_str(line).unwrap();
            let scanned = scan(&std::fs::read(&path).unwrap());
            let mut found: Vec<Statement> = scanned
                .imports
                .into_iter()
                .map(|i| (i.line, i.level, i.module, i.names))
                .collect();
            found.sort_by(|a, b| {
                (a.0, a.2.as_deref().unwrap_or("")).cmp(&(b.0, b.2.as_deref().unwrap_or("")))
            });
            if found != expected || !scanned.problems.is_empty() {
                mismatches.push(format!("{path}: {:?}", scanned.problems));
            }
            files += 1;
        }
        assert!(files > 400, "only {files} files");
        assert!(
            mismatches.is_empty(),
            "{} of {files} differ:\n{}",
            mismatches.len(),
            mismatches.join("\n")
        );
    }

    #[test]
    fn syntax_it_cannot_read_is_reported_never_a_crash() {
        let cases = [
            ("import\n", 1),
            ("from import x\n", 1),
            ("from . import\n", 1),
            ("x = 'unterminated\nimport after\n", 1),
            ("s = '''never closed\nimport hidden\n", 1),
            ("f(1, 2\nimport inside_call\n", 1),
            ("x = )\n", 1),
            ("from a import (b, c\n", 1),
        ];
        for (source, line) in cases {
            let scanned = scan(source.as_bytes());
            assert!(
                scanned.problems.iter().any(|p| p.line == line),
                "{source:?}: {:?}",
                scanned.problems
            );
        }
        // After an unterminated one-line string the scan goes on at the next line.
        let scanned = scan(b"x = 'unterminated\nimport after\n");
        assert_eq!(scanned.imports[0].module.as_deref(), Some("after"));
        // Nested too deeply: a problem, not a stack overflow.
        let deep = format!(
            "x = {}1{}\nimport after\n",
            "f'{".repeat(200),
            "}'".repeat(200)
        );
        assert!(!scan(deep.as_bytes()).problems.is_empty());
        // Every prefix of a tricky source, and bytes that are not UTF-8: no panic.
        let tricky = "from .a import (b,\n c)\nx = f\"{y!r:>{w}}\" + r'\\'' + '''\n'''\nimport d.e as f; \\\n import g\n\u{e9} = 1\n";
        for end in 0..=tricky.len() {
            scan(&tricky.as_bytes()[..end]);
        }
        let alphabet = b"import from . ( ) ' \" f{ } \\ \n#:;,ab";
        let mut state = 7u64;
        for _ in 0..500 {
            let noise: Vec<u8> = (0..256)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    alphabet[(state % alphabet.len() as u64) as usize]
                })
                .collect();
            scan(&noise);
        }
        scan(&[0xff, 0xfe, 0x00, b'\'', 0x80]);
    }
}
