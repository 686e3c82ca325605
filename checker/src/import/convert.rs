//! Conversions shared by the importers: EDN values to JSON values, and the
//! names of operation functions normalised to the checker's vocabulary.

use serde_json::{Map, Number, Value};

use super::edn::Edn;

/// The functions the importers accept, after normalisation: Porcupine's
/// `get`/`put` become `read`/`write`.
pub const FUNCTIONS: &str = "read, write, cas, append, add, txn, acquire, release, enqueue, dequeue (get and put are read and write)";

/// Normalises an imported function name; `None` for unsupported ones.
pub fn normalise_f(name: &str) -> Option<&'static str> {
    match name {
        "read" | "get" => Some("read"),
        "write" | "put" => Some("write"),
        "cas" => Some("cas"),
        "append" => Some("append"),
        "add" => Some("add"),
        "txn" => Some("txn"),
        "acquire" => Some("acquire"),
        "release" => Some("release"),
        "enqueue" => Some("enqueue"),
        "dequeue" => Some("dequeue"),
        _ => None,
    }
}

/// Converts an EDN value to JSON: `nil` is `null`, keywords and symbols are
/// their names, vectors, lists and sets are arrays, maps become objects when
/// their keys are strings, keywords, symbols or integers, and a tagged value
/// is its value. Returns why when a part has no JSON form.
pub fn edn_to_json(value: &Edn) -> Result<Value, String> {
    Ok(match value {
        Edn::Nil => Value::Null,
        Edn::Bool(b) => Value::Bool(*b),
        Edn::Int(n) => Value::Number(Number::from(*n)),
        Edn::Float(x) => {
            Value::Number(Number::from_f64(*x).ok_or_else(|| format!("{x} has no JSON form"))?)
        }
        Edn::Str(s) => Value::String(s.clone()),
        Edn::Char(c) => Value::String(c.to_string()),
        Edn::Keyword(name) | Edn::Symbol(name) => Value::String(name.clone()),
        Edn::List(items) | Edn::Vector(items) | Edn::Set(items) => {
            Value::Array(items.iter().map(edn_to_json).collect::<Result<_, _>>()?)
        }
        Edn::Map(pairs) => {
            let mut object = Map::new();
            for (k, v) in pairs {
                let key = edn_key(k)?;
                object.insert(key, edn_to_json(v)?);
            }
            Value::Object(object)
        }
        Edn::Tagged(_, inner) => edn_to_json(inner)?,
    })
}

/// The text of a key: strings, keywords and symbols by name, integers in
/// decimal.
pub fn edn_key(value: &Edn) -> Result<String, String> {
    match value {
        Edn::Str(s) | Edn::Keyword(s) | Edn::Symbol(s) => Ok(s.clone()),
        Edn::Int(n) => Ok(n.to_string()),
        other => Err(format!("{} cannot be a key", other.kind_name())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edn_values_become_json() {
        let v = Edn::Map(vec![
            (
                Edn::Keyword("a".into()),
                Edn::Vector(vec![Edn::Int(1), Edn::Nil]),
            ),
            (Edn::Int(2), Edn::Set(vec![Edn::Keyword("x".into())])),
        ]);
        assert_eq!(
            edn_to_json(&v).unwrap(),
            serde_json::json!({"a": [1, null], "2": ["x"]})
        );
        assert!(edn_to_json(&Edn::Map(vec![(Edn::Nil, Edn::Nil)])).is_err());
    }

    #[test]
    fn porcupine_names_normalise_to_read_and_write() {
        assert_eq!(normalise_f("get"), Some("read"));
        assert_eq!(normalise_f("put"), Some("write"));
        assert_eq!(normalise_f("txn"), Some("txn"));
        assert_eq!(normalise_f("lock"), None);
    }
}
