//! insta snapshots of what the tools write, with what changes from run to run
//! redacted: the test's account in ARNs, dates, the paths of temporary folders
//! and timings. The account is replaced by `[account]` only where it is the
//! test's own account, so an ARN of another account still shows (and fails).
//!
//! ```text
//! layer_test_harness::snapshot::settings(&account).bind(|| {
//!     insta::assert_json_snapshot!("first_publish", record);
//! });
//! ```

use insta::internals::Content;

use crate::Account;

/// Every field, at any depth, that holds ARNs (a string or a list of them).
const ARN_FIELDS: &[&str] = &[
    ".**.layer_arn",
    ".**.version_arn",
    ".**.before",
    ".**.after",
    ".**.arn",
];

/// Fields that hold dates and times, whatever the record. (A selector ends in
/// one name: insta matches `.**.a.b` by its last segments only as far as the
/// path goes, so `.**.window.start` would also hit a top-level `start`.)
const TIME_FIELDS: &[&str] = &[".**.created_date", ".**.generated_at"];

/// Settings for a snapshot of a test in `account`: ARNs of the account with
/// `[account]`, dates as `[date]`, timings as `[ms]`.
pub fn settings(account: &Account) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    let id = account.id.clone();
    for selector in ARN_FIELDS {
        let id = id.clone();
        settings.add_dynamic_redaction(selector, move |content, _| {
            replace_in_strings(content, &format!(":{id}:"), ":[account]:")
        });
    }
    for selector in TIME_FIELDS {
        settings.add_dynamic_redaction(selector, |content, _| match content {
            Content::String(_) => Content::from("[date]"),
            other => other,
        });
    }
    // Timings in milliseconds, and the window of a report (its start and end).
    settings.add_dynamic_redaction(".**.timing_ms", |content, _| {
        map_values(content, |_, _| Content::from("[ms]"))
    });
    settings.add_dynamic_redaction(".**.window", |content, _| {
        map_values(content, |key, value| match key {
            "start" | "end" => Content::from("[date]"),
            _ => value,
        })
    });
    settings
}

/// A map with each value replaced by `new(key, value)`; anything else as it is.
fn map_values(content: Content, new: impl Fn(&str, Content) -> Content) -> Content {
    match content {
        Content::Map(entries) => Content::Map(
            entries
                .into_iter()
                .map(|(key, value)| {
                    let value = new(key.as_str().unwrap_or_default(), value);
                    (key, value)
                })
                .collect(),
        ),
        Content::Some(inner) => Content::Some(Box::new(map_values(*inner, new))),
        other => other,
    }
}

/// Also replace `path` (a temporary folder) by `name` in every string.
pub fn with_path(
    mut settings: insta::Settings,
    path: &std::path::Path,
    name: &str,
) -> insta::Settings {
    let path = path.display().to_string();
    let name = name.to_string();
    settings.add_dynamic_redaction(".**", move |content, _| {
        replace_in_strings(content, &path, &name)
    });
    settings
}

/// `from` replaced by `to` in every string of a value, at any depth.
fn replace_in_strings(content: Content, from: &str, to: &str) -> Content {
    match content {
        Content::String(text) => Content::String(text.replace(from, to)),
        Content::Seq(items) => Content::Seq(
            items
                .into_iter()
                .map(|item| replace_in_strings(item, from, to))
                .collect(),
        ),
        Content::Map(entries) => Content::Map(
            entries
                .into_iter()
                .map(|(key, value)| (key, replace_in_strings(value, from, to)))
                .collect(),
        ),
        Content::Some(inner) => Content::Some(Box::new(replace_in_strings(*inner, from, to))),
        other => other,
    }
}
