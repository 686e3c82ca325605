//! Histories written as EDN operation maps: Jepsen's `history.edn` (one map
//! per line, or one vector of maps) and Porcupine's kv format (one map per
//! line with a `:key`). Both share this reader; they differ only in whether
//! `:key` is required.
//!
//! Recognised keys: `:type` (`:invoke :ok :fail :info`), `:process` (an
//! integer, or `:nemesis`, whose operations are skipped), `:f` (normalised,
//! see [`normalise_f`]), `:value`, and the optional `:key`, `:time` (ns) and
//! `:index`. Other keys (`:error`, `:node`, ...) are ignored. A value tagged
//! `#jepsen.independent/tuple [k v]` supplies the key `k` and the value `v`.
//! Without `:time`/`:index`, each operation is one tick after the previous
//! one. As in Knossos, the line order is the real-time order: `:time` is
//! kept for display and may go backwards between lines (each Jepsen worker
//! stamps its own operations).

use super::convert::{edn_key, edn_to_json, normalise_f, FUNCTIONS};
use super::edn::{Edn, Reader};
use crate::error::{HistoryError, Location};
use crate::history::{Event, EventType, HistoryBuilder, Process, SourcedHistory};

/// Which EDN dialect is being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Jepsen's `history.edn`: `:key` optional.
    Jepsen,
    /// Porcupine's kv histories: `:key` required.
    PorcupineKv,
}

/// Whether a history gives an explicit number (`:time`, `:index`) or has it
/// synthesised from the line order; decided by the first operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Numbering {
    Undecided,
    Explicit,
    Synthesised,
}

/// Reads and validates an EDN history; `source` names the input in errors.
pub fn read(text: &str, source: &str, dialect: Dialect) -> Result<SourcedHistory, HistoryError> {
    let mut reader = Reader::new(text, 1);
    reader.enter_collection();
    // Each Jepsen worker stamps its own `:time`, so times may go backwards
    // by microseconds between lines: the line order is the real-time order.
    let mut builder = HistoryBuilder::line_ordered(source);
    let mut ordinal: u64 = 0;
    let mut index_numbering = Numbering::Undecided;
    let mut time_numbering = Numbering::Undecided;
    loop {
        let next = reader.next_value().map_err(|err| {
            HistoryError::parse(Location::line(Some(source), err.line), "edn", err.reason)
        })?;
        let Some((line, op)) = next else {
            break;
        };
        let at = Location::line(Some(source), line);
        let parsed = parse_op(&op, &at, dialect)?;
        let synthetic = ordinal;
        ordinal += 1;
        let Some(mut event) = parsed else {
            continue;
        };
        event.index = number(&op, "index", &at, &mut index_numbering, synthetic)?;
        event.time_ns = number(&op, "time", &at, &mut time_numbering, synthetic)?;
        builder.push(event, line)?;
    }
    Ok(builder.finish())
}

fn number(
    op: &Edn,
    name: &str,
    at: &Location,
    numbering: &mut Numbering,
    synthetic: u64,
) -> Result<u64, HistoryError> {
    let given = op.get(name);
    let this = if given.is_some() {
        Numbering::Explicit
    } else {
        Numbering::Synthesised
    };
    match (*numbering, this) {
        (Numbering::Undecided, _) => *numbering = this,
        (Numbering::Explicit, Numbering::Synthesised) => {
            return Err(HistoryError::parse(
                at.clone(),
                name,
                format!("missing, while earlier operations have :{name}"),
            ))
        }
        (Numbering::Synthesised, Numbering::Explicit) => {
            return Err(HistoryError::parse(
                at.clone(),
                name,
                format!("present, while earlier operations have no :{name}"),
            ))
        }
        _ => {}
    }
    match given {
        None => Ok(synthetic),
        Some(Edn::Int(n)) if *n >= 0 => Ok(*n as u64),
        Some(other) => Err(HistoryError::parse(
            at.clone(),
            name,
            format!("expected a non-negative integer, found {}", describe(other)),
        )),
    }
}

/// A short rendering of a value for error messages.
fn describe(value: &Edn) -> String {
    match value {
        Edn::Int(n) => n.to_string(),
        Edn::Keyword(k) => format!(":{k}"),
        Edn::Str(s) => format!("{s:?}"),
        Edn::Symbol(s) => s.clone(),
        other => other.kind_name().to_owned(),
    }
}

/// The event of one operation map (index and time still zero), or `None`
/// for a nemesis operation.
fn parse_op(op: &Edn, at: &Location, dialect: Dialect) -> Result<Option<Event>, HistoryError> {
    let err = |field: &str, reason: String| HistoryError::parse(at.clone(), field, reason);
    if !matches!(op, Edn::Map(_)) {
        return Err(err(
            "line",
            format!(
                "expected an operation map {{:type .. :f ..}}, found {}",
                op.kind_name()
            ),
        ));
    }
    let process = match op.get("process") {
        Some(Edn::Int(n)) if *n >= 0 => Process::Client(*n as u64),
        Some(Edn::Keyword(k)) if k == "nemesis" => return Ok(None),
        Some(other) => {
            return Err(err(
                "process",
                format!(
                    "expected a non-negative integer or :nemesis, found {}",
                    describe(other)
                ),
            ))
        }
        None => return Err(err("process", "missing".into())),
    };
    let kind = match op.get("type") {
        Some(Edn::Keyword(k)) => EventType::from_name(k).ok_or_else(|| {
            err(
                "type",
                format!("unknown type :{k} (expected :invoke, :ok, :fail or :info)"),
            )
        })?,
        Some(other) => {
            return Err(err(
                "type",
                format!("expected a keyword, found {}", describe(other)),
            ))
        }
        None => return Err(err("type", "missing".into())),
    };
    let f = match op.get("f") {
        Some(Edn::Keyword(name) | Edn::Str(name) | Edn::Symbol(name)) => normalise_f(name)
            .ok_or_else(|| {
                err(
                    "f",
                    format!("unsupported function {name:?} (supported: {FUNCTIONS})"),
                )
            })?,
        Some(other) => {
            return Err(err(
                "f",
                format!("expected a keyword, found {}", describe(other)),
            ))
        }
        None => return Err(err("f", "missing".into())),
    };
    let mut key = match op.get("key") {
        None | Some(Edn::Nil) => None,
        Some(k) => Some(edn_key(k).map_err(|reason| err("key", reason))?),
    };
    let raw_value = op.get("value").unwrap_or(&Edn::Nil);
    let value = match raw_value {
        Edn::Tagged(tag, inner) if tag == "jepsen.independent/tuple" && key.is_none() => {
            match inner.as_ref() {
                Edn::Vector(pair) | Edn::List(pair) if pair.len() == 2 => {
                    key = Some(edn_key(&pair[0]).map_err(|reason| err("value", reason))?);
                    edn_to_json(&pair[1]).map_err(|reason| err("value", reason))?
                }
                _ => {
                    return Err(err(
                        "value",
                        "an independent tuple must be a [key value] pair".into(),
                    ))
                }
            }
        }
        other => edn_to_json(other).map_err(|reason| err("value", reason))?,
    };
    if dialect == Dialect::PorcupineKv && key.is_none() {
        return Err(err(
            "key",
            "missing (Porcupine kv operations name a :key)".into(),
        ));
    }
    Ok(Some(Event {
        index: 0,
        time_ns: 0,
        process,
        kind,
        f: f.to_owned(),
        key,
        value,
        value_unknown: false,
    }))
}
