//! Lambda's runtime lifecycle as data: for each Python runtime, the OS it runs
//! on and its glibc, the day AWS deprecates it, and the days from which AWS
//! refuses to create, then to update, functions on it. Every tool reads this
//! one table (re-exported from [`crate::platform`]): layer-pack warns about a
//! deprecated runtime, layer-attach skips a function AWS no longer lets it
//! update, layer-watch reports functions on deprecated runtimes.
//!
//! "Today" is the system clock's day (UTC), or `LAYER_TOOLS_TODAY=YYYY-MM-DD`
//! (for tests, and for asking "what happens on that day?").
//!
//! # Where the dates come from, and where sources disagree
//!
//! AWS publishes the dates on <https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html>
//! and moves them now and then. The page itself could not be read in full
//! when this table was written (2026-12, from stored copies); the dates are
//! from copies of it taken by others, each named in its row's `source`:
//! - python3.9: deprecated 2025-12-15 (every source agrees). Its block dates
//!   disagree: this project's design notes (and the test harness's model) say
//!   updates are blocked since 2026-03-09; AWS's first notice said creation
//!   from 2026-01-15 and updates from 2026-02-15; a summary of AWS's table of
//!   2026-04 says 2026-08-31 and 2026-09-30; an answer on AWS re:Post says AWS
//!   delayed them to 2027-02-01 and 2027-03-03. The table keeps the design
//!   notes' 2026-03-09 for both (the date the tests model); if AWS really moved
//!   it to 2027, layer-attach skips python3.9 functions that AWS would still
//!   let it update, and says why.
//! - python3.10 and python3.11 run on Amazon Linux 2. AWS's table of 2025
//!   (as endoflife.date scraped it) deprecated both on 2026-06-30 with
//!   updates blocked from 2026-08-31; the summary of 2026-04 gives python3.11
//!   2027-06-30 / 2027-07-31 / 2027-08-31 (AWS extended its Amazon Linux 2
//!   runtimes). python3.11 follows the newer source; python3.10's newer dates
//!   were not found, so it keeps the 2025 ones.
//! - Create-block dates that no source gives are `None`; AWS blocks creation
//!   between deprecation and the update block.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::platform::Glibc;

/// The environment variable that overrides today's date (`YYYY-MM-DD`).
pub const TODAY_VAR: &str = "LAYER_TOOLS_TODAY";

/// A calendar day (UTC), written `YYYY-MM-DD`; ordered by time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Date {
    year: i32,
    month: u32,
    day: u32,
}

impl Date {
    /// A date from its parts; the table's dates are written with it.
    pub const fn ymd(year: i32, month: u32, day: u32) -> Date {
        Date { year, month, day }
    }

    /// `2026-03-09`.
    pub fn parse(text: &str) -> Result<Date> {
        let invalid =
            || Error::input(format!("\"{text}\" is not a date")).with_fix("write it as YYYY-MM-DD");
        let mut parts = text.splitn(3, '-');
        let mut number = |digits: usize| {
            parts
                .next()
                .filter(|part| part.len() == digits && part.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|part| part.parse::<u32>().ok())
        };
        let (Some(year), Some(month), Some(day)) = (number(4), number(2), number(2)) else {
            return Err(invalid());
        };
        let date = Date::ymd(year as i32, month, day);
        let valid = (1..=12).contains(&month) && day >= 1 && day <= date.days_in_month();
        if valid { Ok(date) } else { Err(invalid()) }
    }

    /// Today (UTC) by the system clock, or `LAYER_TOOLS_TODAY` when it is set.
    pub fn today() -> Result<Date> {
        match std::env::var(TODAY_VAR) {
            Ok(text) if !text.is_empty() => Date::parse(&text).map_err(|err| {
                Error::usage(format!("{TODAY_VAR}={text} is not a date"))
                    .with_fix("set it to a day like 2026-03-09, or unset it to use the clock")
                    .with_source(err)
            }),
            _ => Ok(Date::of(SystemTime::now())),
        }
    }

    /// The UTC day of a moment.
    pub fn of(time: SystemTime) -> Date {
        let seconds = time
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());
        Date::from_days((seconds / 86_400) as i64)
    }

    /// The day `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z.rem_euclid(146_097);
        let year_of_era =
            (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let shifted_month = (5 * day_of_year + 2) / 153;
        let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
        let month = if shifted_month < 10 {
            shifted_month + 3
        } else {
            shifted_month - 9
        } as u32;
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Date::ymd(year as i32, month, day)
    }

    fn days_in_month(&self) -> u32 {
        match self.month {
            2 if self.year % 4 == 0 && (self.year % 100 != 0 || self.year % 400 == 0) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl TryFrom<String> for Date {
    type Error = Error;

    fn try_from(text: String) -> Result<Date> {
        Date::parse(&text)
    }
}

impl From<Date> for String {
    fn from(date: Date) -> String {
        date.to_string()
    }
}

/// The operating system Lambda runs a runtime on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    AmazonLinux,
    AmazonLinux2,
    AmazonLinux2023,
}

impl Os {
    pub fn name(&self) -> &'static str {
        match self {
            Os::AmazonLinux => "Amazon Linux",
            Os::AmazonLinux2 => "Amazon Linux 2",
            Os::AmazonLinux2023 => "Amazon Linux 2023",
        }
    }

    /// The OS's glibc: 2.17 on Amazon Linux, 2.26 on Amazon Linux 2, 2.34 on Amazon Linux 2023.
    pub fn glibc(&self) -> Glibc {
        match self {
            Os::AmazonLinux => Glibc(2, 17),
            Os::AmazonLinux2 => Glibc(2, 26),
            Os::AmazonLinux2023 => Glibc(2, 34),
        }
    }
}

impl fmt::Display for Os {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One runtime's row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeLifecycle {
    /// Lambda's runtime id, e.g. `python3.12`.
    pub runtime: &'static str,
    pub os: Os,
    /// From this day AWS no longer patches the runtime (its end of support).
    pub deprecated: Option<Date>,
    /// From this day AWS refuses to create functions on it.
    pub create_blocked: Option<Date>,
    /// From this day AWS refuses to update functions on it (their code or configuration).
    pub update_blocked: Option<Date>,
    /// Where the dates come from.
    pub source: &'static str,
}

/// Where a runtime stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Supported,
    /// No longer patched; functions can still be created (until the block) and updated.
    Deprecated,
    /// No new functions; existing ones can still be updated.
    CreateBlocked,
    /// Existing functions can no longer be updated (they keep running).
    UpdateBlocked,
}

impl RuntimeLifecycle {
    pub fn glibc(&self) -> Glibc {
        self.os.glibc()
    }

    /// Where the runtime stands on `day`.
    pub fn stage(&self, day: Date) -> Stage {
        let reached = |date: Option<Date>| date.is_some_and(|date| date <= day);
        if reached(self.update_blocked) {
            Stage::UpdateBlocked
        } else if reached(self.create_blocked) {
            Stage::CreateBlocked
        } else if reached(self.deprecated) {
            Stage::Deprecated
        } else {
            Stage::Supported
        }
    }

    /// Does AWS refuse to update a function on this runtime on `day`?
    pub fn update_blocked_on(&self, day: Date) -> bool {
        self.stage(day) == Stage::UpdateBlocked
    }

    /// A sentence for people: "python3.9 is deprecated since 2025-12-15; AWS
    /// blocks updates of functions on it from 2026-03-09 (source: ...)".
    pub fn describe(&self, day: Date) -> String {
        let mut text = match (self.stage(day), self.deprecated) {
            (Stage::Supported, Some(date)) => {
                format!("{} is supported until {date}", self.runtime)
            }
            (Stage::Supported, None) => format!("{} is supported", self.runtime),
            (_, Some(date)) => format!("{} is deprecated since {date}", self.runtime),
            (_, None) => format!("{} is deprecated", self.runtime),
        };
        if let Some(date) = self.update_blocked {
            let tense = if date <= day { "since" } else { "from" };
            text.push_str(&format!(
                "; AWS blocks updates of functions on it {tense} {date}"
            ));
        }
        text.push_str(&format!(" (source: {})", self.source));
        text
    }
}

const AWS_PAGE: &str = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html";

/// Lambda's Python runtimes, newest first. See the module comment for the sources.
pub const PYTHON_RUNTIMES: &[RuntimeLifecycle] = &[
    RuntimeLifecycle {
        runtime: "python3.14",
        os: Os::AmazonLinux2023,
        deprecated: Some(Date::ymd(2029, 6, 30)),
        create_blocked: None,
        update_blocked: Some(Date::ymd(2029, 8, 31)),
        source: "https://endoflife.date/aws-lambda, from AWS's page (2026)",
    },
    RuntimeLifecycle {
        runtime: "python3.13",
        os: Os::AmazonLinux2023,
        deprecated: Some(Date::ymd(2029, 6, 30)),
        create_blocked: None,
        update_blocked: Some(Date::ymd(2029, 8, 31)),
        source: "https://endoflife.date/aws-lambda, from AWS's page (2025)",
    },
    RuntimeLifecycle {
        runtime: "python3.12",
        os: Os::AmazonLinux2023,
        deprecated: Some(Date::ymd(2028, 10, 31)),
        create_blocked: None,
        update_blocked: Some(Date::ymd(2029, 1, 10)),
        source: "https://endoflife.date/aws-lambda, from AWS's page (2025)",
    },
    RuntimeLifecycle {
        runtime: "python3.11",
        os: Os::AmazonLinux2,
        deprecated: Some(Date::ymd(2027, 6, 30)),
        create_blocked: Some(Date::ymd(2027, 7, 31)),
        update_blocked: Some(Date::ymd(2027, 8, 31)),
        source: "a summary of AWS's page of 2026-04 (Amazon Linux 2 runtimes extended)",
    },
    RuntimeLifecycle {
        runtime: "python3.10",
        os: Os::AmazonLinux2,
        deprecated: Some(Date::ymd(2026, 6, 30)),
        create_blocked: None,
        update_blocked: Some(Date::ymd(2026, 8, 31)),
        source: "https://endoflife.date/aws-lambda, from AWS's page (2025)",
    },
    RuntimeLifecycle {
        runtime: "python3.9",
        os: Os::AmazonLinux2,
        deprecated: Some(Date::ymd(2025, 12, 15)),
        create_blocked: Some(Date::ymd(2026, 3, 9)),
        update_blocked: Some(Date::ymd(2026, 3, 9)),
        source: "the project's design notes; AWS's own dates for it moved (see layer_core::lifecycle)",
    },
    RuntimeLifecycle {
        runtime: "python3.8",
        os: Os::AmazonLinux2,
        deprecated: Some(Date::ymd(2024, 10, 14)),
        create_blocked: Some(Date::ymd(2025, 2, 28)),
        update_blocked: Some(Date::ymd(2025, 3, 31)),
        source: "AWS's notice of 2024, quoted in aws-solutions/aws-control-tower-customizations#193",
    },
    RuntimeLifecycle {
        runtime: "python3.7",
        os: Os::AmazonLinux,
        deprecated: Some(Date::ymd(2023, 12, 4)),
        create_blocked: None,
        update_blocked: Some(Date::ymd(2025, 11, 1)),
        source: "https://endoflife.date/aws-lambda, from AWS's page (2025)",
    },
    RuntimeLifecycle {
        runtime: "python3.6",
        os: Os::AmazonLinux,
        deprecated: Some(Date::ymd(2022, 7, 18)),
        create_blocked: None,
        update_blocked: Some(Date::ymd(2022, 8, 29)),
        source: "https://endoflife.date/aws-lambda, from AWS's page (2025)",
    },
    RuntimeLifecycle {
        runtime: "python2.7",
        os: Os::AmazonLinux,
        deprecated: Some(Date::ymd(2021, 7, 15)),
        create_blocked: None,
        update_blocked: Some(Date::ymd(2022, 5, 30)),
        source: "https://endoflife.date/aws-lambda, from AWS's page (2025)",
    },
];

/// The row of a runtime id (`python3.9`), if the table has one.
pub fn lifecycle(runtime: &str) -> Option<&'static RuntimeLifecycle> {
    PYTHON_RUNTIMES.iter().find(|row| row.runtime == runtime)
}

/// AWS's page of runtimes and their dates.
pub fn source_page() -> &'static str {
    AWS_PAGE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_print_and_order() {
        let date = Date::parse("2026-03-09").unwrap();
        assert_eq!(date, Date::ymd(2026, 3, 9));
        assert_eq!(date.to_string(), "2026-03-09");
        assert!(Date::ymd(2026, 3, 8) < date && date < Date::ymd(2026, 3, 10));
        assert!(Date::ymd(2025, 12, 31) < Date::ymd(2026, 1, 1));
        assert_eq!(Date::parse("2024-02-29").unwrap(), Date::ymd(2024, 2, 29));
        for bad in [
            "2026-3-9",
            "2026-02-30",
            "2025-02-29",
            "2026-13-01",
            "26-03-09",
            "yesterday",
            "2026-03-09x",
        ] {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Date::from_days(0), Date::ymd(1970, 1, 1));
        assert_eq!(Date::from_days(20_521), Date::ymd(2026, 3, 9));
        let json = serde_json::to_string(&date).unwrap();
        assert_eq!(json, "\"2026-03-09\"");
        assert_eq!(serde_json::from_str::<Date>(&json).unwrap(), date);
    }

    #[test]
    fn stages_begin_on_their_day() {
        let py39 = lifecycle("python3.9").unwrap();
        assert_eq!(py39.stage(Date::ymd(2025, 12, 14)), Stage::Supported);
        assert_eq!(py39.stage(Date::ymd(2025, 12, 15)), Stage::Deprecated);
        assert_eq!(py39.stage(Date::ymd(2026, 3, 8)), Stage::Deprecated);
        assert!(py39.update_blocked_on(Date::ymd(2026, 3, 9)));
        let py38 = lifecycle("python3.8").unwrap();
        assert_eq!(py38.stage(Date::ymd(2025, 3, 1)), Stage::CreateBlocked);
        assert_eq!(
            py39.describe(Date::ymd(2026, 12, 4)),
            "python3.9 is deprecated since 2025-12-15; AWS blocks updates of functions on it \
             since 2026-03-09 (source: the project's design notes; AWS's own dates for it moved \
             (see layer_core::lifecycle))"
        );
        assert!(
            lifecycle("python3.12")
                .unwrap()
                .describe(Date::ymd(2026, 12, 4))
                .starts_with("python3.12 is supported until 2028-10-31; AWS blocks updates of functions on it from 2029-01-10")
        );
        assert_eq!(lifecycle("nodejs20.x"), None);
    }

    #[test]
    fn the_table_is_consistent() {
        for row in PYTHON_RUNTIMES {
            if let (Some(deprecated), Some(blocked)) = (row.deprecated, row.update_blocked) {
                assert!(deprecated <= blocked, "{}", row.runtime);
            }
            if let (Some(create), Some(update)) = (row.create_blocked, row.update_blocked) {
                assert!(create <= update, "{}", row.runtime);
            }
            assert!(!row.source.is_empty());
        }
        assert_eq!(lifecycle("python3.11").unwrap().glibc(), Glibc(2, 26));
        assert_eq!(lifecycle("python3.12").unwrap().glibc(), Glibc(2, 34));
    }
}
