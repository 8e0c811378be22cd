//! One way to take a lock: a handler that panicked while holding it leaves data that is still
//! consistent enough to serve (every update is a single assignment), so a poisoned lock is
//! taken as it is rather than spreading the panic to every later request.

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, poisoned or not.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
