//! Interning of JSON values into small copyable atoms.
//!
//! The built-in models compare and hash values on every search step; working
//! on `u32` atoms instead of `serde_json::Value`s keeps those steps cheap and
//! allocation-free. Each partition has its own table.

use serde_json::Value;
use std::collections::BTreeMap;

/// An interned JSON value: equal atoms from one [`ValueTable`] stand for equal
/// values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Atom(pub u32);

/// A two-way map between JSON values and [`Atom`]s. Values are identified by
/// their canonical JSON text, so `1` and `1.0` are different values.
#[derive(Debug, Clone, Default)]
pub struct ValueTable {
    ids: BTreeMap<String, Atom>,
    values: Vec<Value>,
}

impl ValueTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// The atom for `value`, adding it to the table if it is new.
    pub fn intern(&mut self, value: &Value) -> Atom {
        let text = value.to_string();
        if let Some(atom) = self.ids.get(&text) {
            return *atom;
        }
        let atom = Atom(u32::try_from(self.values.len()).expect("fewer than 2^32 distinct values"));
        self.ids.insert(text, atom);
        self.values.push(value.clone());
        atom
    }

    /// The value an atom stands for (`null` for an atom from another table).
    pub fn value(&self, atom: Atom) -> &Value {
        self.values.get(atom.0 as usize).unwrap_or(&Value::Null)
    }

    /// How many distinct values the table holds.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the table holds no values.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn equal_values_share_an_atom_and_round_trip() {
        let mut table = ValueTable::new();
        let a = table.intern(&json!(3));
        let b = table.intern(&json!("3"));
        let c = table.intern(&json!(3));
        assert_eq!(a, c);
        assert_ne!(a, b);
        assert_eq!(table.value(b), &json!("3"));
        assert_eq!(table.len(), 2);
    }
}
