//! Values compare exactly in every format: a history that writes one
//! number and reads a different one is never valid. Each format either
//! refuses a literal it cannot hold exactly (integers beyond 64 bits,
//! decimals two of which would read as one float) or keeps the two values
//! apart; it never rounds them into one.

use faultline_checker::import::{self, Format};
use faultline_checker::{check_operations, CheckOptions, ModelKind, Verdict};
use proptest::prelude::*;

/// A number as the value it denotes: whether it is written as a decimal
/// (`1.0` and `1` are different values, as in Clojure), its sign, its
/// significant digits and the power of ten of the last one.
fn denotes(literal: &str) -> (bool, bool, String, i64) {
    let is_float = literal.contains(['.', 'e', 'E']);
    let negative = literal.starts_with('-');
    let body = literal.trim_start_matches('-');
    let (mantissa, exponent) = match body.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i64>().unwrap()),
        None => (body, 0),
    };
    let (int_part, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = format!("{int_part}{frac}");
    let digits = all.trim_start_matches('0');
    let trailing = digits.len() - digits.trim_end_matches('0').len();
    let digits = digits.trim_end_matches('0').to_owned();
    let exp = exponent - frac.len() as i64 + trailing as i64;
    if digits.is_empty() {
        return (is_float, false, digits, 0);
    }
    (is_float, negative, digits, exp)
}

/// A JSON (and EDN) number literal: up to 30 digits, maybe a fraction and
/// an exponent; or a value near a boundary.
fn literal() -> impl Strategy<Value = String> {
    let random = (
        any::<bool>(),
        "[1-9][0-9]{0,29}",
        prop::option::of("[0-9]{1,20}"),
        prop::option::of(-30i32..30),
    )
        .prop_map(|(neg, int, frac, exp)| {
            let mut s = if neg { "-".to_owned() } else { String::new() };
            s.push_str(&int);
            if let Some(frac) = frac {
                s.push('.');
                s.push_str(&frac);
            }
            if let Some(exp) = exp {
                s.push_str(&format!("e{exp}"));
            }
            s
        });
    let edges = prop::sample::select(vec![
        "0",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "100000000000000000000",
        "100000000000000000001",
        "9007199254740992.0",
        "9007199254740993.0",
        "0.1",
        "0.10000000000000001",
        "1298860943949768.2",
        "1298860943949768.3",
    ])
    .prop_map(str::to_owned);
    prop_oneof![random, edges]
}

/// `write a` then `read b`, in `format`.
fn history(format: Format, a: &str, b: &str) -> String {
    match format {
        Format::Csv => format!(
            "index,time_ns,process,type,f,key,value\n0,0,0,invoke,write,,{a}\n1,1,0,ok,write,,{a}\n\
             2,2,0,invoke,read,,null\n3,3,0,ok,read,,{b}\n"
        ),
        Format::Jsonl => [("invoke", "write", a), ("ok", "write", a), ("invoke", "read", "null"), ("ok", "read", b)]
            .iter()
            .enumerate()
            .map(|(i, (t, f, v))| {
                format!("{{\"index\":{i},\"time_ns\":{i},\"process\":0,\"type\":\"{t}\",\"f\":\"{f}\",\"value\":{v}}}\n")
            })
            .collect(),
        Format::JepsenEdn | Format::PorcupineKv => [("invoke", "write", a), ("ok", "write", a), ("invoke", "read", "nil"), ("ok", "read", b)]
            .iter()
            .map(|(t, f, v)| format!("{{:process 0, :type :{t}, :f :{f}, :key \"k\", :value {v}}}\n"))
            .collect(),
        Format::PorcupineEtcd => [("invoke", "write", a), ("ok", "write", a), ("invoke", "read", "nil"), ("ok", "read", b)]
            .iter()
            .map(|(t, f, v)| format!("INFO  jepsen.util - 0\t:{t}\t:{f}\t{v}\n"))
            .collect(),
    }
}

/// The verdict of `write a; read b` read as `format`, or `None` when the
/// format refuses a value.
fn verdict(format: Format, a: &str, b: &str) -> Option<Verdict> {
    let text = history(format, a, b);
    let history = import::read_str(&text, "h", format).ok()?;
    let ops = history.operations().ok()?;
    let model: ModelKind = "register".parse().unwrap();
    Some(
        check_operations(&ops, &model, &CheckOptions::default())
            .unwrap()
            .verdict,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn different_values_never_read_as_equal_in_any_format(a in literal(), b in literal()) {
        for format in Format::ALL {
            if let Some(v) = verdict(format, &a, &b) {
                if v == Verdict::Valid {
                    prop_assert_eq!(denotes(&a), denotes(&b), "{}: write {} / read {} is valid", format, a, b);
                }
            }
            // The same literal always reads back as itself (or is refused).
            if let Some(v) = verdict(format, &a, &a) {
                prop_assert_eq!(v, Verdict::Valid, "{}: {}", format, a);
            }
        }
    }
}

#[test]
fn the_issue_example_is_refused_not_reported_valid() {
    for format in [
        Format::Csv,
        Format::Jsonl,
        Format::JepsenEdn,
        Format::PorcupineEtcd,
    ] {
        let got = verdict(format, "100000000000000000000", "100000000000000000001");
        assert_eq!(got, None, "{format}");
    }
    // Within 64 bits the same difference is a violation.
    for format in Format::ALL {
        let got = verdict(format, "1000000000000000000", "1000000000000000001");
        assert_eq!(got, Some(Verdict::Invalid), "{format}");
    }
}
