use serde::{Deserialize, Serialize};

/// `check`: `layer-bump check`'s answer to "is this version compatible with
/// that requirement?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckSection {
    /// The version checked (a semantic version).
    pub have: String,
    /// The requirement, normalised (a bare `1.2.0` reads as `^1.2.0`).
    pub need: String,
    pub compatible: bool,
    /// Why, in words.
    pub reason: String,
}
