//! The one backoff policy of our own retry loops (the SDK's adaptive retry
//! covers the rest): exponential with full jitter, so that many tasks that hit
//! the same limit at once spread out instead of retrying together.

use std::time::Duration;

/// The wait before retry number `attempt` (1 for the first retry): a random
/// time between a quarter of and the whole of 0.25 s, 0.5 s, 1 s, ... capped at 8 s.
pub fn backoff(attempt: u32) -> Duration {
    let ceiling = ceiling_ms(attempt);
    Duration::from_millis(fastrand::u64(ceiling / 4..=ceiling))
}

fn ceiling_ms(attempt: u32) -> u64 {
    (250u64 << attempt.saturating_sub(1).min(5)).min(8_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        for attempt in 1..20 {
            let ceiling = Duration::from_millis(ceiling_ms(attempt));
            let delay = backoff(attempt);
            assert!(delay <= ceiling, "{attempt}: {delay:?}");
            assert!(delay >= ceiling / 4, "{attempt}: {delay:?}");
        }
        assert_eq!(ceiling_ms(1), 250);
        assert_eq!(ceiling_ms(3), 1_000);
        assert_eq!(ceiling_ms(30), 8_000);
        let spread: std::collections::BTreeSet<Duration> = (0..50).map(|_| backoff(6)).collect();
        assert!(spread.len() > 1, "no jitter: {spread:?}");
    }
}
