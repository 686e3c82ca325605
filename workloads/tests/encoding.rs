//! Encoding tests: ops map onto string KV requests and stored strings decode
//! back into the DESIGN §3 values, with junk surfacing rather than vanishing.

use faultline_workloads::encoding::{decode_list, decode_register, ok_value};
use faultline_workloads::{KvRequest, Op, OpFn, WorkloadKind};
use serde_json::{json, Value};

fn op(f: OpFn, value: Value) -> Op {
    Op {
        worker: 0,
        process: 0,
        f,
        key: "k".into(),
        value,
        final_read: false,
    }
}

#[test]
fn ops_become_string_kv_requests() {
    let req = |f, v| KvRequest::for_op(&op(f, v)).unwrap();
    assert_eq!(
        req(OpFn::Read, Value::Null),
        KvRequest::Read { key: "k".into() }
    );
    assert_eq!(
        req(OpFn::Write, json!(3)),
        KvRequest::Write {
            key: "k".into(),
            value: "3".into()
        }
    );
    assert_eq!(
        req(OpFn::Cas, json!([0, 4])),
        KvRequest::Cas {
            key: "k".into(),
            expected: "0".into(),
            new: "4".into()
        }
    );
    assert_eq!(
        req(OpFn::Add, json!(12)),
        KvRequest::Append {
            key: "k".into(),
            suffix: "12,".into()
        }
    );
    assert_eq!(
        req(OpFn::Append, json!(7)),
        KvRequest::Append {
            key: "k".into(),
            suffix: "7,".into()
        }
    );
}

#[test]
fn malformed_op_values_are_errors_naming_the_value() {
    let err = KvRequest::for_op(&op(OpFn::Cas, json!([1]))).unwrap_err();
    assert!(err.to_string().contains("[1]"), "{err}");
    assert!(KvRequest::for_op(&op(OpFn::Write, json!({"a": 1}))).is_err());
    assert!(KvRequest::for_op(&op(OpFn::Append, json!("1,2"))).is_err());
}

#[test]
fn stored_strings_decode_to_history_values() {
    assert_eq!(decode_register(None), Value::Null);
    assert_eq!(decode_register(Some("4")), json!(4));
    assert_eq!(decode_register(Some("x")), json!("x"));
    assert_eq!(decode_list(None), Value::Null);
    assert_eq!(decode_list(Some("")), json!([]));
    assert_eq!(decode_list(Some("3,12,")), json!([3, 12]));
    assert_eq!(
        decode_list(Some("3,1?,")),
        json!([3, "1?"]),
        "junk stays visible"
    );
    let read = op(OpFn::Read, Value::Null);
    assert_eq!(
        ok_value(WorkloadKind::Set, &read, Some("1,2,")),
        json!([1, 2])
    );
    assert_eq!(ok_value(WorkloadKind::Kv, &read, Some("2")), json!(2));
    let write = op(OpFn::Write, json!(2));
    assert_eq!(ok_value(WorkloadKind::Kv, &write, None), json!(2));
}
