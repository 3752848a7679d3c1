//! The description of a published version. Layers cannot be tagged, so the
//! description is the only free-text metadata: it carries the semantic version
//! and a short content hash, e.g. `Shared code (v1.4.0 sha256:9f86d081884c)`.
//!
//! Layer versions are immutable, so a marker written at publish time is still
//! true later: a version whose marker names another hash cannot hold our zip,
//! and needs no GetLayerVersion to rule it out.

/// What precedes the short hash in a description.
pub const MARKER_PREFIX: &str = "sha256:";

/// How many hex digits of the sha256 the marker carries (48 bits: a false
/// match is still confirmed against the full CodeSha256 before reuse).
const SHORT_HASH_LEN: usize = 12;

/// Lambda's limit on a layer version's description, in characters.
pub const DESCRIPTION_LIMIT: usize = 256;

/// The description layer-publish writes: the layer's own description (shortened
/// when needed), then the version and the short hash, within 256 characters.
pub fn describe(base: Option<&str>, version: Option<&str>, sha256_hex: &str) -> String {
    let short = &sha256_hex[..SHORT_HASH_LEN.min(sha256_hex.len())];
    let tag = match version {
        Some(version) => {
            let version = version.strip_prefix('v').unwrap_or(version);
            format!("v{version} {MARKER_PREFIX}{short}")
        }
        None => format!("{MARKER_PREFIX}{short}"),
    };
    let base = base.map(str::trim).filter(|base| !base.is_empty());
    let Some(base) = base else {
        return truncate(&tag, DESCRIPTION_LIMIT);
    };
    let room = DESCRIPTION_LIMIT.saturating_sub(tag.chars().count() + 3);
    let base = if base.chars().count() > room {
        let mut cut: String = base.chars().take(room.saturating_sub(1)).collect();
        cut.push('…');
        cut
    } else {
        base.to_string()
    };
    format!("{base} ({tag})")
}

/// The short hash in a description written by [`describe`], if there is one.
pub fn short_hash_of(description: &str) -> Option<&str> {
    let start = description.rfind(MARKER_PREFIX)? + MARKER_PREFIX.len();
    let hash = description.get(start..start + SHORT_HASH_LEN)?;
    let is_hex = hash
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let ends = description[start + SHORT_HASH_LEN..]
        .chars()
        .next()
        .is_none_or(|c| !c.is_ascii_alphanumeric());
    (is_hex && ends).then_some(hash)
}

/// The semantic version a description written by [`describe`] carries
/// (`1.4.0` of `Shared code (v1.4.0 sha256:9f86d081884c)`), if any.
pub fn version_in(description: &str) -> Option<&str> {
    short_hash_of(description)?;
    let before = description[..description.rfind(MARKER_PREFIX)?].trim_end();
    let token = before.rsplit([' ', '(']).next()?;
    token
        .strip_prefix('v')
        .filter(|version| !version.is_empty())
}

/// Does a description's marker name this content? `None` when it has no marker
/// (a description the user chose): then only GetLayerVersion can tell.
pub fn marker_matches(description: &str, sha256_hex: &str) -> Option<bool> {
    short_hash_of(description).map(|short| sha256_hex.starts_with(short))
}

fn truncate(text: &str, limit: usize) -> String {
    text.chars().take(limit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn carries_version_and_short_hash() {
        assert_eq!(
            describe(Some("Shared code"), Some("1.4.0"), HASH),
            "Shared code (v1.4.0 sha256:9f86d081884c)"
        );
        assert_eq!(
            describe(None, Some("v2.0.0"), HASH),
            "v2.0.0 sha256:9f86d081884c"
        );
        assert_eq!(describe(Some("  "), None, HASH), "sha256:9f86d081884c");
    }

    #[test]
    fn stays_within_the_limit_and_keeps_the_marker() {
        let long = "x".repeat(400);
        let text = describe(Some(&long), Some("1.0.0-rc.1+build.7"), HASH);
        assert_eq!(text.chars().count(), DESCRIPTION_LIMIT);
        assert!(
            text.ends_with("(v1.0.0-rc.1+build.7 sha256:9f86d081884c)"),
            "{text}"
        );
        assert_eq!(short_hash_of(&text), Some("9f86d081884c"));
    }

    #[test]
    fn reads_the_version_back() {
        assert_eq!(
            version_in(&describe(Some("Shared code"), Some("1.4.0"), HASH)),
            Some("1.4.0")
        );
        assert_eq!(
            version_in(&describe(None, Some("2.0.0-rc.1+b7"), HASH)),
            Some("2.0.0-rc.1+b7")
        );
        assert_eq!(version_in(&describe(Some("a"), None, HASH)), None);
        assert_eq!(version_in("my own words v1.0"), None);
    }

    #[test]
    fn reads_markers_back() {
        let text = describe(Some("a"), Some("1.0.0"), HASH);
        assert_eq!(marker_matches(&text, HASH), Some(true));
        let other = "b".repeat(64);
        assert_eq!(marker_matches(&text, &other), Some(false));
        assert_eq!(marker_matches("my own words", HASH), None);
        assert_eq!(marker_matches("sha256:XYZ", HASH), None);
        assert_eq!(marker_matches("sha256:9f86d081884c7d", HASH), None);
    }
}
