//! A persistent string for the append-kv model: appending shares the old
//! string instead of copying it, so the search's memo holds thousands of
//! long, overlapping strings in little memory.

use std::fmt;
use std::sync::Arc;

/// One appended piece and everything before it.
struct Node {
    parent: Option<Arc<Node>>,
    piece: Arc<str>,
}

impl Drop for Node {
    // Unlink the chain iteratively: a recursive drop of a string built from
    // 100,000 appends would overflow the stack.
    fn drop(&mut self) {
        let mut parent = self.parent.take();
        while let Some(node) = parent {
            match Arc::try_unwrap(node) {
                Ok(mut inner) => parent = inner.parent.take(),
                Err(_) => break,
            }
        }
    }
}

/// An immutable string made of shared pieces, with its length and a
/// polynomial hash kept up to date on every append.
#[derive(Clone, Default)]
pub struct Rope {
    last: Option<Arc<Node>>,
    len: usize,
    hash: u64,
}

/// `extend_hash(extend_hash(0, a), b) == extend_hash(0, a + b)`.
fn extend_hash(hash: u64, text: &str) -> u64 {
    const BASE: u64 = 0x0000_0100_0000_01B3;
    text.bytes().fold(hash, |h, b| {
        h.wrapping_mul(BASE).wrapping_add(u64::from(b) + 1)
    })
}

impl Rope {
    /// The string `text`.
    pub fn from_piece(text: Arc<str>) -> Self {
        Rope::default().append(&text)
    }

    /// This string followed by `piece`.
    pub fn append(&self, piece: &Arc<str>) -> Self {
        if piece.is_empty() {
            return self.clone();
        }
        Rope {
            last: Some(Arc::new(Node {
                parent: self.last.clone(),
                piece: Arc::clone(piece),
            })),
            len: self.len + piece.len(),
            hash: extend_hash(self.hash, piece),
        }
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the string is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The polynomial hash of the content.
    pub fn content_hash(&self) -> u64 {
        self.hash
    }

    /// Whether the content equals `text`.
    pub fn eq_str(&self, text: &str) -> bool {
        if self.len != text.len() {
            return false;
        }
        let bytes = text.as_bytes();
        let mut end = bytes.len();
        let mut node = self.last.as_ref();
        while let Some(n) = node {
            let piece = n.piece.as_bytes();
            if bytes[end - piece.len()..end] != *piece {
                return false;
            }
            end -= piece.len();
            node = n.parent.as_ref();
        }
        true
    }
}

impl PartialEq for Rope {
    fn eq(&self, other: &Self) -> bool {
        if self.len != other.len || self.hash != other.hash {
            return false;
        }
        // Compare from the end, piece by piece, stopping early where both
        // share the rest of their chain.
        let (mut a, mut b) = (self.last.as_ref(), other.last.as_ref());
        let (mut x, mut y): (&[u8], &[u8]) = (&[], &[]);
        loop {
            if x.is_empty() && y.is_empty() {
                if let (Some(p), Some(q)) = (a, b) {
                    if Arc::ptr_eq(p, q) {
                        return true;
                    }
                }
            }
            if x.is_empty() {
                let Some(n) = a else { return true };
                x = n.piece.as_bytes();
                a = n.parent.as_ref();
                continue;
            }
            if y.is_empty() {
                let Some(n) = b else { return true };
                y = n.piece.as_bytes();
                b = n.parent.as_ref();
                continue;
            }
            let k = x.len().min(y.len());
            if x[x.len() - k..] != y[y.len() - k..] {
                return false;
            }
            x = &x[..x.len() - k];
            y = &y[..y.len() - k];
        }
    }
}

impl Eq for Rope {}

impl fmt::Display for Rope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut pieces = Vec::new();
        let mut node = self.last.as_ref();
        while let Some(n) = node {
            pieces.push(&n.piece);
            node = n.parent.as_ref();
        }
        for piece in pieces.iter().rev() {
            f.write_str(piece)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Rope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn piece(s: &str) -> Arc<str> {
        s.into()
    }

    #[test]
    fn equal_content_is_equal_whatever_the_pieces() {
        let ab = Rope::from_piece(piece("a")).append(&piece("bc"));
        let abc = Rope::from_piece(piece("ab")).append(&piece("c"));
        let acb = Rope::from_piece(piece("a")).append(&piece("cb"));
        assert_eq!(ab, abc);
        assert_eq!(ab.content_hash(), abc.content_hash());
        assert_ne!(ab, acb);
        assert!(ab.eq_str("abc") && !ab.eq_str("abd") && !ab.eq_str("ab"));
        assert_eq!(abc.to_string(), "abc");
        assert!(Rope::default().eq_str("") && Rope::default().is_empty());
    }

    #[test]
    fn a_very_long_chain_drops_without_overflowing_the_stack() {
        let x = piece("x");
        let mut rope = Rope::default();
        for _ in 0..200_000 {
            rope = rope.append(&x);
        }
        assert_eq!(rope.len(), 200_000);
        drop(rope);
    }
}
