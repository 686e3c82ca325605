//! Tests of the EDN reader: every form, and bad input named by line.

use super::*;

fn one(text: &str) -> Edn {
    Reader::new(text, 1).single_value().unwrap()
}

fn kw(name: &str) -> Edn {
    Edn::Keyword(name.into())
}

#[test]
fn reads_a_jepsen_op_map() {
    let op = one("{:type :invoke, :f :cas, :value [3 0], :process 2, :time 12}");
    assert_eq!(op.get("type"), Some(&kw("invoke")));
    assert_eq!(
        op.get("value"),
        Some(&Edn::Vector(vec![Edn::Int(3), Edn::Int(0)]))
    );
    assert_eq!(op.get("time"), Some(&Edn::Int(12)));
    assert_eq!(op.get("missing"), None);
}

#[test]
fn reads_scalars_strings_and_escapes() {
    assert_eq!(one("nil"), Edn::Nil);
    assert_eq!(one("true"), Edn::Bool(true));
    assert_eq!(one("-17"), Edn::Int(-17));
    assert_eq!(one("42N"), Edn::Int(42));
    assert_eq!(one("2.5"), Edn::Float(2.5));
    assert_eq!(one("1e3"), Edn::Float(1000.0));
    assert_eq!(one("1.5M"), Edn::Float(1.5));
    assert_eq!(one(r#""a\"b\\c\n\u00e9""#), Edn::Str("a\"b\\c\né".into()));
    assert_eq!(one(r"\newline"), Edn::Char('\n'));
    assert_eq!(one(r"\x"), Edn::Char('x'));
    assert_eq!(one("foo/bar"), Edn::Symbol("foo/bar".into()));
    assert_eq!(one("-"), Edn::Symbol("-".into()));
    assert_eq!(one("1/4"), Edn::Float(0.25));
    assert_eq!(one("##Inf"), Edn::Symbol("##Inf".into()));
    assert_eq!(one(r#"#"a.*b""#), Edn::Str("a.*b".into()));
    assert_eq!(
        one("#object[java.lang.Thread 0x5F \"main\"]"),
        Edn::Tagged(
            "object".into(),
            Box::new(Edn::Vector(vec![
                Edn::Symbol("java.lang.Thread".into()),
                Edn::Int(0x5f),
                Edn::Str("main".into())
            ]))
        )
    );
}

#[test]
fn reads_sets_lists_tags_comments_and_discards() {
    let v = one("; a comment\n#{1 2} ");
    assert_eq!(v, Edn::Set(vec![Edn::Int(1), Edn::Int(2)]));
    assert_eq!(one("(1 #_ 2 3)"), Edn::List(vec![Edn::Int(1), Edn::Int(3)]));
    assert_eq!(
        one("#jepsen.independent/tuple [1 2]"),
        Edn::Tagged(
            "jepsen.independent/tuple".into(),
            Box::new(Edn::Vector(vec![Edn::Int(1), Edn::Int(2)]))
        )
    );
}

#[test]
fn reports_lines_of_values_and_errors() {
    let mut reader = Reader::new("{:a 1}\n\n{:b\n 2}\n[1 2", 1);
    assert_eq!(reader.next_value().unwrap().unwrap().0, 1);
    assert_eq!(reader.next_value().unwrap().unwrap().0, 3);
    let err = reader.next_value().unwrap_err();
    assert_eq!(err.line, 5);
    assert!(err.reason.contains("unterminated"), "{}", err.reason);
}

#[test]
fn rejects_malformed_input_without_panicking() {
    for bad in [
        "{:a}",
        "\"abc",
        "]",
        "1x",
        "99999999999999999999",
        "#",
        "#{1",
        "\\",
        ":",
        "\"\\q\"",
        "\"\\u12\"",
        "1.2.3",
        "1/0",
        "1/x",
        "##Foo",
        "0xZ",
        "-0x",
        "#_",
        "#tag",
    ] {
        assert!(
            Reader::new(bad, 1).single_value().is_err(),
            "accepted {bad:?}"
        );
    }
    assert!(Reader::new("1 2", 1).single_value().is_err());
}

#[test]
fn entered_collection_yields_elements_with_their_lines() {
    let mut reader = Reader::new("[{:a 1}\n {:a 2}]\n", 1);
    assert!(reader.enter_collection());
    assert_eq!(reader.next_value().unwrap().unwrap().0, 1);
    assert_eq!(reader.next_value().unwrap().unwrap().0, 2);
    assert_eq!(reader.next_value().unwrap(), None);
    let mut open = Reader::new("[{:a 1}", 1);
    assert!(open.enter_collection());
    assert!(open.next_value().unwrap().is_some());
    assert!(open.next_value().is_err());
}

#[test]
fn bounds_nesting_depth() {
    let deep = "[".repeat(MAX_DEPTH + 10);
    let err = Reader::new(&deep, 1).single_value().unwrap_err();
    assert!(err.reason.contains("nesting"), "{}", err.reason);
}
