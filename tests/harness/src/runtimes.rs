//! Lambda's runtime lifecycle as the harness's AWS model applies it: from which
//! day AWS refuses to create, or to update, functions on a runtime. This is the
//! one table the proxy reads; a test gives the model another one (or another
//! "today") through [`crate::proxy::AwsModel::runtimes`].
//!
//! Kept apart from the tools' own table (the tests check the tools against it,
//! so it must not be the same code).

use std::time::SystemTime;

/// One runtime's block dates (UTC days, `YYYY-MM-DD`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeBlock {
    pub runtime: String,
    /// From this day CreateFunction on the runtime is refused.
    pub create_blocked_from: String,
    /// From this day updates of a function on the runtime are refused.
    pub update_blocked_from: String,
}

/// (runtime, create blocked from, update blocked from, source).
const PYTHON_BLOCKS: &[(&str, &str, &str, &str)] = &[
    // The project's design notes and issue 15 ("python3.9: updates of functions
    // blocked since 2026-03-09"); no separate create date is given there, and
    // AWS blocks creation first, so creation is taken as blocked from then too.
    (
        "python3.9",
        "2026-03-09",
        "2026-03-09",
        "DESIGN.md, issue 15",
    ),
    // AWS's notice: no new functions from 2025-02-28, no updates from 2025-03-31.
    (
        "python3.8",
        "2025-02-28",
        "2025-03-31",
        "AWS notice of 2024",
    ),
    // Older runtimes: AWS's refusal ("The runtime parameter of pythonX is no
    // longer supported for creating or updating ...") was already reported on
    // these days; the blocks began earlier.
    (
        "python3.7",
        "2024-02-28",
        "2024-02-28",
        "reports of AWS's refusal",
    ),
    (
        "python3.6",
        "2023-07-06",
        "2023-07-06",
        "reports of AWS's refusal",
    ),
    (
        "python2.7",
        "2022-03-16",
        "2022-03-16",
        "reports of AWS's refusal",
    ),
];

/// The runtimes AWS blocks, and the day it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeLifecycle {
    pub blocks: Vec<RuntimeBlock>,
    /// The runtime AWS's refusal recommends instead.
    pub recommended: String,
    /// Today, `YYYY-MM-DD` (UTC); `None`: the system clock's day.
    pub today: Option<String>,
}

impl RuntimeLifecycle {
    /// AWS's blocks of Python runtimes (the table above), on the system clock's day.
    pub fn aws() -> Self {
        RuntimeLifecycle {
            blocks: PYTHON_BLOCKS
                .iter()
                .map(|(runtime, create, update, _source)| RuntimeBlock {
                    runtime: (*runtime).into(),
                    create_blocked_from: (*create).into(),
                    update_blocked_from: (*update).into(),
                })
                .collect(),
            recommended: "python3.14".into(),
            today: None,
        }
    }

    /// As if today were `date` (`YYYY-MM-DD`).
    pub fn on(mut self, date: &str) -> Self {
        self.today = Some(date.into());
        self
    }

    /// Block creating and updating functions on `runtime` from `date`.
    pub fn block(mut self, runtime: &str, date: &str) -> Self {
        self.blocks.retain(|block| block.runtime != runtime);
        self.blocks.push(RuntimeBlock {
            runtime: runtime.into(),
            create_blocked_from: date.into(),
            update_blocked_from: date.into(),
        });
        self
    }

    fn today(&self) -> String {
        self.today.clone().unwrap_or_else(today_utc)
    }

    fn block_of(&self, runtime: &str) -> Option<&RuntimeBlock> {
        self.blocks.iter().find(|block| block.runtime == runtime)
    }

    /// Does AWS refuse to update a function on `runtime` today?
    pub fn update_blocked(&self, runtime: &str) -> bool {
        self.block_of(runtime)
            .is_some_and(|block| block.update_blocked_from <= self.today())
    }

    /// Does AWS refuse to create a function on `runtime` today?
    pub fn create_blocked(&self, runtime: &str) -> bool {
        self.block_of(runtime)
            .is_some_and(|block| block.create_blocked_from <= self.today())
    }

    /// AWS's message (with `InvalidParameterValueException`, HTTP 400).
    pub fn refusal(&self, runtime: &str) -> String {
        format!(
            "The runtime parameter of {runtime} is no longer supported for creating or updating \
             AWS Lambda functions. We recommend you use the new runtime ({}) while creating or \
             updating functions.",
            self.recommended
        )
    }
}

/// Today's date in UTC, `YYYY-MM-DD`, by the system clock (the calendar
/// arithmetic is layer-core's; the model's dates stay its own).
pub fn today_utc() -> String {
    layer_core::lifecycle::Date::of(SystemTime::now()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_become_dates() {
        assert_eq!(today_utc().len(), 10);
    }

    #[test]
    fn blocks_start_on_their_day() {
        let before = RuntimeLifecycle::aws().on("2026-03-08");
        assert!(!before.update_blocked("python3.9"));
        assert!(before.update_blocked("python3.8"));
        let on = RuntimeLifecycle::aws().on("2026-03-09");
        assert!(on.update_blocked("python3.9"));
        assert!(on.create_blocked("python3.9"));
        assert!(!on.update_blocked("python3.11"));
        let custom = RuntimeLifecycle::aws()
            .on("2026-03-09")
            .block("python3.11", "2026-01-01");
        assert!(custom.update_blocked("python3.11"));
        assert!(
            on.refusal("python3.9")
                .starts_with("The runtime parameter of python3.9 is no longer supported")
        );
    }
}
