//! Which functions a run is about.
//!
//! Without selectors: every function that already uses some version of a record's
//! layer (the roll-forward), and only that layer is moved on it. With selectors:
//! a function is chosen when it matches every kind of selector given (any of the
//! `--function` names, any `--prefix`, any `--match` glob, every `--tagged`), and
//! every record's layer of its region is attached to it (with `--users-only`,
//! only the layers it already uses).

use std::collections::BTreeMap;

use globset::{Glob, GlobMatcher};
use layer_core::{Error, Result};

use crate::Args;

#[derive(Debug)]
pub struct Selectors {
    functions: Vec<String>,
    prefixes: Vec<String>,
    globs: Vec<GlobMatcher>,
    pub tags: Vec<(String, String)>,
    pub users_only: bool,
}

impl Selectors {
    pub fn from_args(args: &Args) -> Result<Selectors> {
        let globs = args
            .globs
            .iter()
            .map(|glob| {
                Glob::new(glob)
                    .map(|glob| glob.compile_matcher())
                    .map_err(|err| {
                        Error::usage(format!("--match '{glob}' is not a valid glob: {err}"))
                            .with_fix("use * and ? wildcards, e.g. --match 'makoto-*-dev'")
                    })
            })
            .collect::<Result<_>>()?;
        Ok(Selectors {
            functions: args.functions.clone(),
            prefixes: args.prefixes.clone(),
            globs,
            tags: args.tags.clone(),
            users_only: args.users_only,
        })
    }

    /// Were functions chosen explicitly (rather than "every user of the layer")?
    pub fn explicit(&self) -> bool {
        !(self.functions.is_empty()
            && self.prefixes.is_empty()
            && self.globs.is_empty()
            && self.tags.is_empty())
    }

    /// Does the name pass every name selector given?
    pub fn name_matches(&self, name: &str) -> bool {
        (self.functions.is_empty() || self.functions.iter().any(|f| f == name))
            && (self.prefixes.is_empty() || self.prefixes.iter().any(|p| name.starts_with(p)))
            && (self.globs.is_empty() || self.globs.iter().any(|g| g.is_match(name)))
    }

    /// Do the function's tags carry every `--tagged`?
    pub fn tags_match(&self, tags: &BTreeMap<String, String>) -> bool {
        self.tags
            .iter()
            .all(|(key, value)| tags.get(key) == Some(value))
    }

    /// `--function` names found in no region: a typo, refused before anything changes.
    pub fn missing_functions(&self, found: impl Fn(&str) -> bool) -> Vec<String> {
        self.functions
            .iter()
            .filter(|name| !found(name))
            .cloned()
            .collect()
    }
}

/// `KEY=VALUE` for `--tagged`.
pub fn parse_tag(text: &str) -> Result<(String, String)> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(Error::usage(format!(
            "expected KEY=VALUE, e.g. env=dev, got \"{text}\""
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selectors(functions: &[&str], prefixes: &[&str], globs: &[&str]) -> Selectors {
        Selectors {
            functions: functions.iter().map(|s| s.to_string()).collect(),
            prefixes: prefixes.iter().map(|s| s.to_string()).collect(),
            globs: globs
                .iter()
                .map(|g| Glob::new(g).unwrap().compile_matcher())
                .collect(),
            tags: vec![],
            users_only: false,
        }
    }

    #[test]
    fn kinds_narrow_and_repeats_widen() {
        let s = selectors(&[], &["makoto-"], &["*-dev", "*-stg"]);
        assert!(s.name_matches("makoto-api-dev"));
        assert!(s.name_matches("makoto-api-stg"));
        assert!(!s.name_matches("makoto-api-prod"));
        assert!(!s.name_matches("other-api-dev"));
        let s = selectors(&["a", "b"], &[], &[]);
        assert!(s.name_matches("a") && s.name_matches("b") && !s.name_matches("ab"));
    }

    #[test]
    fn a_glob_matches_the_whole_name() {
        let s = selectors(&[], &[], &["makoto-*-dev"]);
        assert!(s.name_matches("makoto-x-dev"));
        assert!(!s.name_matches("makoto-x-dev2"));
        assert!(!s.name_matches("pre-makoto-x-dev"));
    }

    #[test]
    fn tags_must_all_match() {
        let mut s = selectors(&[], &[], &[]);
        s.tags = vec![("env".into(), "dev".into()), ("team".into(), "a".into())];
        let mut tags = BTreeMap::new();
        tags.insert("env".to_string(), "dev".to_string());
        assert!(!s.tags_match(&tags));
        tags.insert("team".to_string(), "a".to_string());
        assert!(s.tags_match(&tags));
    }

    #[test]
    fn tag_arguments_are_checked() {
        assert_eq!(parse_tag("env=dev").unwrap(), ("env".into(), "dev".into()));
        assert_eq!(parse_tag("k=").unwrap(), ("k".into(), "".into()));
        assert!(parse_tag("env").is_err());
        assert!(parse_tag("=x").is_err());
    }
}
