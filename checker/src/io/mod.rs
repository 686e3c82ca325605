//! Lossless text forms of a [`History`](crate::history::History): CSV (one
//! event per row under the header `index,time_ns,process,type,f,key,value`)
//! and JSON Lines (one object per event with the same fields).
//!
//! Writers take any [`std::io::Write`], readers any [`std::io::Read`]; the
//! readers validate the history (DESIGN §3) and name `source:line: field:
//! reason` in every error.

pub mod csv;
pub mod jsonl;

/// The column names of the CSV form, in order.
pub const COLUMNS: [&str; 7] = ["index", "time_ns", "process", "type", "f", "key", "value"];
