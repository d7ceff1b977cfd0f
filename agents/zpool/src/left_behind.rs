//! Work that cannot be killed like a process (an ioctl, mount(2)), run in a thread the caller
//! leaves behind at a deadline.

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
