//! Work that cannot be killed like a process (an ioctl, mount(2), a name lookup), run in a thread
//! the caller leaves behind at a deadline.

use std::time::Instant;

/// `work()` in its own thread; `None` when it has not returned by `deadline` (the thread is left
/// to finish, or not, on its own).
pub fn before<T: Send + 'static>(
    deadline: Instant,
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // the receiver is gone only after the deadline
        drop(tx.send(work()));
    });
    rx.recv_timeout(deadline.saturating_duration_since(Instant::now()))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn work_that_returns_gives_its_value_and_work_that_hangs_is_left_behind() {
        let soon = || Instant::now() + Duration::from_millis(200);
        assert_eq!(before(soon(), || 7), Some(7));
        let (_keep, never) = std::sync::mpsc::channel::<()>();
        assert_eq!(before(soon(), move || never.recv().is_ok()), None);
    }
}
