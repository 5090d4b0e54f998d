//! One way to wait for a condition: look, and look again every so often, until it holds, fails for good, or the
//! time is up. The components' readiness checks (chromedriver, Caddy, an OpenSearch node, authentik's stages)
//! say only what to look at.

use std::time::{Duration, Instant};

/// What one look found.
pub enum Look<T, E> {
    Ready(T),
    /// No point in looking again (the process exited, …).
    Failed(E),
    NotYet,
}

/// Why the wait ended without the condition.
#[derive(Debug)]
pub enum Waited<E> {
    Failed(E),
    TimedOut,
}

/// Looks at once, then every `every`, for at most `limit`.
pub async fn until<T, E>(
    limit: Duration,
    every: Duration,
    mut look: impl AsyncFnMut() -> Look<T, E>,
) -> Result<T, Waited<E>> {
    let deadline = Instant::now() + limit;
    loop {
        match look().await {
            Look::Ready(t) => return Ok(t),
            Look::Failed(e) => return Err(Waited::Failed(e)),
            Look::NotYet if Instant::now() >= deadline => return Err(Waited::TimedOut),
            Look::NotYet => tokio::time::sleep(every).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn ready_failed_and_timed_out() {
        let mut n = 0;
        let r: Result<u32, Waited<()>> =
            until(Duration::from_secs(5), Duration::ZERO, async || {
                n += 1;
                if n == 3 { Look::Ready(n) } else { Look::NotYet }
            })
            .await;
        assert_eq!(r.unwrap(), 3);
        let r: Result<(), Waited<&str>> =
            until(Duration::from_secs(5), Duration::ZERO, async || {
                Look::Failed("exited")
            })
            .await;
        assert!(matches!(r, Err(Waited::Failed("exited"))));
        let r: Result<(), Waited<()>> = until(
            Duration::from_millis(20),
            Duration::from_millis(5),
            async || Look::NotYet,
        )
        .await;
        assert!(matches!(r, Err(Waited::TimedOut)));
    }
}
