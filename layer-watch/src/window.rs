//! The metrics window (`--since 24h`): where it starts and ends, and the
//! CloudWatch period that covers it in as few datapoints as CloudWatch allows.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use layer_core::{Error, Result};

/// CloudWatch keeps one-hour datapoints for 455 days; older data is gone.
const MAX_WINDOW: Duration = Duration::from_secs(455 * 86_400);
/// One minute is the finest period of Lambda's metrics.
const MIN_WINDOW: Duration = Duration::from_secs(60);

/// The window of the metrics: `--since` as given, and its length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub since: String,
    pub length: Duration,
}

impl Window {
    /// Parse `--since` (`15m`, `24h`, `7d`, `1h 30m`).
    pub fn parse(text: &str) -> Result<Window> {
        let fix = "use a duration like 15m, 24h or 7d (at least 1m, at most 455d)";
        let length = layer_core::cli::parse_duration(text)
            .map_err(|err| Error::usage(format!("--since {err}")).with_fix(fix))?;
        if length < MIN_WINDOW {
            return Err(Error::usage(format!(
                "--since \"{text}\" is shorter than one minute, the finest period of Lambda's metrics"
            ))
            .with_fix(fix));
        }
        if length > MAX_WINDOW {
            return Err(Error::usage(format!(
                "--since \"{text}\" reaches further back than the 455 days CloudWatch keeps metrics"
            ))
            .with_fix(fix));
        }
        Ok(Window {
            since: text.trim().to_string(),
            length,
        })
    }

    /// The window's bounds (Unix seconds) for a round starting at `now`: the end
    /// is rounded down to the minute, as CloudWatch aligns datapoints to it.
    pub fn bounds(&self, now: SystemTime) -> (i64, i64) {
        let now = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() as i64;
        let end = now - now % 60;
        (end - self.period() as i64, end)
    }

    /// One period spanning the whole window, so each query returns one or two
    /// datapoints. CloudWatch wants a multiple of 60 s, of 300 s beyond 15 days
    /// back, and of 3600 s beyond 63 days back; round the window up to it.
    pub fn period(&self) -> i32 {
        let seconds = self.length.as_secs();
        let unit = if seconds > 63 * 86_400 {
            3_600
        } else if seconds > 15 * 86_400 {
            300
        } else {
            60
        };
        (seconds.div_ceil(unit) * unit) as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_windows() {
        assert_eq!(Window::parse("24h").unwrap().period(), 86_400);
        assert_eq!(Window::parse("15m").unwrap().period(), 900);
        assert_eq!(Window::parse("90s").unwrap().period(), 120);
        assert_eq!(Window::parse("7d").unwrap().period(), 604_800);
        // 20 days and a second: beyond 15 days, rounded up to 5 minutes.
        assert_eq!(Window::parse("20d 1s").unwrap().period(), 20 * 86_400 + 300);
        assert_eq!(
            Window::parse("100d 1s").unwrap().period(),
            100 * 86_400 + 3_600
        );
    }

    #[test]
    fn refuses_bad_windows_as_usage_errors() {
        for bad in ["", "yesterday", "-1h", "30s", "500d", "24"] {
            let err = Window::parse(bad).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad}");
            assert!(err.to_string().contains("--since"), "{bad}: {err}");
        }
    }

    #[test]
    fn the_window_ends_on_a_whole_minute() {
        let window = Window::parse("1h").unwrap();
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000_123);
        let (start, end) = window.bounds(now);
        assert_eq!(end, 1_000_000_080);
        assert_eq!(end - start, 3_600);
    }
}
