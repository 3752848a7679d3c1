//! Lambda's dates (`2024-05-01T12:00:00.000+0000`).

use std::time::SystemTime;

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

/// Whole days since a date as Lambda writes it; `None` when it does not parse
/// or lies in the future (clock skew).
pub fn age_days(created: &str, now: SystemTime) -> Option<u64> {
    // Lambda writes the offset without a colon; RFC 3339 wants one.
    let normalised = match created.len().checked_sub(5).map(|at| created.split_at(at)) {
        Some((head, offset))
            if (offset.starts_with('+') || offset.starts_with('-'))
                && offset[1..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            format!("{head}{}:{}", &offset[..3], &offset[3..])
        }
        _ => created.to_string(),
    };
    let created = DateTime::from_str(&normalised, Format::DateTimeWithOffset).ok()?;
    let seconds = DateTime::from(now).secs().checked_sub(created.secs())?;
    u64::try_from(seconds).ok().map(|s| s / 86_400)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn ages_from_lambda_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000); // 2023-11-14T22:13:20Z
        assert_eq!(age_days("2023-11-14T10:00:00.000+0000", now), Some(0));
        assert_eq!(age_days("2023-11-04T22:13:21.000+0000", now), Some(9));
        assert_eq!(age_days("2023-08-16T22:13:20.000+0000", now), Some(90));
        // An offset moves the instant.
        assert_eq!(age_days("2023-11-14T23:13:20.000+0100", now), Some(0));
        assert_eq!(age_days("2023-11-04T22:13:20Z", now), Some(10));
        assert_eq!(age_days("yesterday", now), None);
        // A date in the future (clock skew) has no age.
        assert_eq!(age_days("2030-01-01T00:00:00.000+0000", now), None);
    }
}
