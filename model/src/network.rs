//! The messages in flight: an unordered multiset, kept sorted so that two
//! networks holding the same messages are equal and hash alike whatever
//! order they were sent in. Any message may be delivered next (reordering),
//! dropped, or duplicated.

use faultline_raft::Message;

/// A bounded multiset of messages in flight.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Network {
    /// Sorted ascending; equal messages sit next to each other.
    messages: Vec<Message>,
}

impl Network {
    /// Adds a message unless `capacity` messages are already in flight;
    /// returns whether it was added (a full network loses it).
    pub fn send(&mut self, message: Message, capacity: usize) -> bool {
        if self.messages.len() >= capacity {
            return false;
        }
        let at = self.messages.partition_point(|m| m <= &message);
        self.messages.insert(at, message);
        true
    }

    /// Removes one copy of `message`; returns whether one was in flight.
    pub fn take(&mut self, message: &Message) -> bool {
        match self.messages.binary_search(message) {
            Ok(at) => {
                self.messages.remove(at);
                true
            }
            Err(_) => false,
        }
    }

    /// Keeps only the messages `keep` accepts.
    pub fn retain(&mut self, keep: impl FnMut(&Message) -> bool) {
        self.messages.retain(keep);
    }

    /// Whether a copy of `message` is in flight.
    pub fn contains(&self, message: &Message) -> bool {
        self.messages.binary_search(message).is_ok()
    }

    /// Each distinct message in flight once, ascending.
    pub fn distinct(&self) -> impl Iterator<Item = &Message> {
        self.messages
            .iter()
            .enumerate()
            .filter(|(i, m)| *i == 0 || self.messages[i - 1] != **m)
            .map(|(_, m)| m)
    }

    /// How many messages are in flight.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// Whether nothing is in flight.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_raft::MessageBody;

    fn vote(from: u64, to: u64) -> Message {
        Message {
            from,
            to,
            term: 1,
            body: MessageBody::RequestVoteResponse {
                pre_vote: false,
                granted: true,
            },
        }
    }

    #[test]
    fn send_order_does_not_matter_and_copies_are_kept() {
        let (mut a, mut b) = (Network::default(), Network::default());
        for m in [vote(1, 2), vote(3, 1), vote(1, 2)] {
            assert!(a.send(m, 8));
        }
        for m in [vote(1, 2), vote(1, 2), vote(3, 1)] {
            assert!(b.send(m, 8));
        }
        assert_eq!(a, b);
        assert_eq!(a.len(), 3);
        assert_eq!(a.distinct().count(), 2);
        assert!(a.take(&vote(1, 2)) && a.contains(&vote(1, 2)));
        assert!(a.take(&vote(1, 2)) && !a.contains(&vote(1, 2)));
        assert!(!a.take(&vote(1, 2)));
    }

    #[test]
    fn a_full_network_loses_what_is_sent() {
        let mut net = Network::default();
        assert!(net.send(vote(1, 2), 1));
        assert!(!net.send(vote(2, 1), 1));
        assert_eq!(net.len(), 1);
    }
}
