//! A bounded queue that never blocks its producer: when full, the oldest
//! item is dropped and counted (the transport's outbound queue per peer).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::Notify;

/// A bounded multi-producer, single-consumer queue with drop-oldest overflow.
#[derive(Debug)]
pub struct DropOldestQueue<T> {
    items: Mutex<VecDeque<T>>,
    capacity: usize,
    notify: Notify,
    dropped: Arc<AtomicU64>,
}

impl<T> DropOldestQueue<T> {
    /// A queue holding at most `capacity` items (at least one); overflow is
    /// added to `dropped`.
    pub fn new(capacity: usize, dropped: Arc<AtomicU64>) -> Self {
        DropOldestQueue {
            items: Mutex::new(VecDeque::new()),
            capacity: capacity.max(1),
            notify: Notify::new(),
            dropped,
        }
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<T>> {
        // A panic while holding this lock cannot leave the deque inconsistent.
        self.items.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Enqueues `item`; returns `true` if an older item was dropped for it.
    pub fn push(&self, item: T) -> bool {
        let dropped = {
            let mut items = self.lock();
            let dropped = if items.len() >= self.capacity {
                items.pop_front();
                true
            } else {
                false
            };
            items.push_back(item);
            dropped
        };
        if dropped {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        self.notify.notify_one();
        dropped
    }

    /// Takes the oldest item without waiting.
    pub fn try_pop(&self) -> Option<T> {
        self.lock().pop_front()
    }

    /// Waits for and takes the oldest item. Cancel-safe.
    pub async fn pop(&self) -> T {
        loop {
            if let Some(item) = self.try_pop() {
                return item;
            }
            self.notify.notified().await;
        }
    }

    /// Waits until at least one item is queued (without taking it).
    pub async fn wait_nonempty(&self) {
        loop {
            if !self.is_empty() {
                return;
            }
            self.notify.notified().await;
        }
    }

    /// Discards every queued item (not counted as drops).
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The number of queued items.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_drops_the_oldest_item_and_counts_it() {
        let dropped = Arc::new(AtomicU64::new(0));
        let q = DropOldestQueue::new(3, dropped.clone());
        for i in 0..5 {
            q.push(i);
        }
        assert_eq!(dropped.load(Ordering::Relaxed), 2);
        let got: Vec<i32> = std::iter::from_fn(|| q.try_pop()).collect();
        assert_eq!(got, vec![2, 3, 4]);
    }

    #[tokio::test]
    async fn pop_waits_for_a_push() {
        let q = Arc::new(DropOldestQueue::new(2, Arc::new(AtomicU64::new(0))));
        let q2 = q.clone();
        let waiter = tokio::spawn(async move { q2.pop().await });
        tokio::task::yield_now().await;
        q.push(42);
        assert_eq!(waiter.await.unwrap(), 42);
    }
}
