//! The client library reports each operation's outcome precisely: `ok` only
//! on a reply, `fail` only when the operation certainly did not take effect,
//! `info` once a write may have reached a leader. Scripted servers on
//! loopback TCP answer (or stay silent) exactly as each case needs.

use faultline_raft::kv::KvReply;
use faultline_raft::node::codec::{read_frame, write_frame, FrameDecoder};
use faultline_raft::node::wire::{Frame, Hello};
use faultline_raft::node::{
    ClientConfig, ClientError, ClientRequest, ClientResponse, KvClient, Network, ResponseBody,
    TokioNetwork,
};
use faultline_raft::NodeId;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What a scripted server does with the n-th request it receives.
type Script = Arc<dyn Fn(usize, &ClientRequest) -> Option<ResponseBody> + Send + Sync>;

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<ClientRequest>>>);

impl Log {
    fn requests(&self) -> Vec<ClientRequest> {
        self.0.lock().unwrap().clone()
    }
}

/// Starts a server answering by `script`; returns its address and request log.
async fn scripted(script: Script) -> (String, Log) {
    let listener = TokioNetwork.bind("127.0.0.1:0").await.unwrap();
    let addr = TokioNetwork::local_addr(&listener).unwrap().to_string();
    let log = Log::default();
    let seen = log.clone();
    tokio::spawn(async move {
        while let Ok((mut read, mut write, _)) = TokioNetwork::accept(&listener).await {
            let script = script.clone();
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut dec = FrameDecoder::new(1 << 20);
                let Ok(Some(Frame::Hello(Hello::Client { .. }))) =
                    read_frame::<_, Frame>(&mut read, &mut dec).await
                else {
                    return;
                };
                while let Ok(Some(Frame::Request(req))) =
                    read_frame::<_, Frame>(&mut read, &mut dec).await
                {
                    let n = {
                        let mut log = seen.0.lock().unwrap();
                        log.push(req.clone());
                        log.len() - 1
                    };
                    if let Some(body) = script(n, &req) {
                        let resp = Frame::Response(ClientResponse {
                            req_id: req.req_id,
                            body,
                        });
                        if write_frame(&mut write, &resp, 1 << 20).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    (addr, log)
}

fn client(nodes: &[String]) -> KvClient<TokioNetwork> {
    KvClient::new(TokioNetwork, client_config(nodes), 0)
}

/// The test clients' configuration: short timeouts over `nodes`.
fn client_config(nodes: &[String]) -> ClientConfig {
    let map: BTreeMap<NodeId, String> = nodes
        .iter()
        .enumerate()
        .map(|(i, a)| (i as NodeId + 1, a.clone()))
        .collect();
    let mut config = ClientConfig::new(map);
    config.op_timeout = Duration::from_millis(400);
    config.attempt_timeout = Duration::from_millis(100);
    config.retry_backoff = Duration::from_millis(10);
    // (client id 0 starts at the first node.)
    config
}

#[tokio::test]
async fn a_cas_whose_precondition_failed_is_fail() {
    let (a, _) = scripted(Arc::new(|_, _| {
        Some(ResponseBody::Reply(KvReply::CasFailed {
            current: Some("other".into()),
        }))
    }))
    .await;
    let outcome = client(&[a]).cas("k", "x", "y").await;
    assert!(
        matches!(outcome, Err(ClientError::NotApplied(_))),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_write_sent_but_never_answered_is_info_never_fail() {
    let (a, log) = scripted(Arc::new(|_, _| None)).await;
    let outcome = client(&[a]).write("k", "v").await;
    assert!(
        matches!(outcome, Err(ClientError::Indeterminate(_))),
        "{outcome:?}"
    );
    let reqs = log.requests();
    assert!(reqs.len() >= 2, "the client should have retried");
    assert!(
        reqs.iter().all(|r| r.seq == reqs[0].seq),
        "retries must reuse the sequence number"
    );
}

#[tokio::test]
async fn a_write_refused_by_every_node_before_appending_is_fail() {
    let (a, _) = scripted(Arc::new(|_, _| {
        Some(ResponseBody::NotLeader { leader_hint: None })
    }))
    .await;
    let (b, _) = scripted(Arc::new(|_, _| Some(ResponseBody::Overloaded))).await;
    let outcome = client(&[a, b]).append("k", "v").await;
    assert!(
        matches!(outcome, Err(ClientError::NotApplied(_))),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_refusal_after_an_unanswered_attempt_leaves_the_write_info() {
    // Node 1 swallows the request (it may have appended it); node 2 refuses.
    let (a, _) = scripted(Arc::new(|_, _| None)).await;
    let (b, _) = scripted(Arc::new(|_, _| {
        Some(ResponseBody::NotLeader { leader_hint: None })
    }))
    .await;
    let outcome = client(&[a, b]).write("k", "v").await;
    assert!(
        matches!(outcome, Err(ClientError::Indeterminate(_))),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn the_client_follows_the_leader_hint_with_the_same_sequence_number() {
    let (a, log_a) = scripted(Arc::new(|_, _| {
        Some(ResponseBody::NotLeader {
            leader_hint: Some(3),
        })
    }))
    .await;
    let (b, log_b) = scripted(Arc::new(|_, _| None)).await;
    let (c, log_c) = scripted(Arc::new(|_, _| Some(ResponseBody::Reply(KvReply::Done)))).await;
    let mut kv = client(&[a, b, c]);
    let outcome = kv.write("k", "v").await;
    assert_eq!(outcome, Ok(KvReply::Done));
    assert!(
        log_b.requests().is_empty(),
        "node 2 should have been skipped"
    );
    assert_eq!(log_a.requests()[0].seq, log_c.requests()[0].seq);
    // The next operation uses a new sequence number and goes to the leader.
    let outcome = kv.write("k", "w").await;
    assert!(outcome.is_ok());
    let c_reqs = log_c.requests();
    assert_eq!(c_reqs.len(), 2);
    assert!(c_reqs[1].seq > c_reqs[0].seq);
}

#[tokio::test]
async fn an_unknown_answer_then_a_cached_reply_is_ok() {
    let (a, log) = scripted(Arc::new(|n, _| {
        Some(if n == 0 {
            ResponseBody::Unknown
        } else {
            ResponseBody::Reply(KvReply::Done)
        })
    }))
    .await;
    let outcome = client(&[a]).write("k", "v").await;
    assert_eq!(outcome, Ok(KvReply::Done));
    let reqs = log.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].seq, reqs[1].seq);
}

#[tokio::test]
async fn a_read_that_cannot_be_served_is_fail() {
    let (a, _) = scripted(Arc::new(|_, _| None)).await;
    let outcome = client(&[a]).read("k").await;
    assert!(
        matches!(outcome, Err(ClientError::NotApplied(_))),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn an_unreachable_cluster_fails_a_write_that_was_never_sent() {
    // Bind and drop a listener to get a port nobody listens on.
    let listener = TokioNetwork.bind("127.0.0.1:0").await.unwrap();
    let addr = TokioNetwork::local_addr(&listener).unwrap().to_string();
    drop(listener);
    let outcome = client(&[addr]).write("k", "v").await;
    assert!(
        matches!(outcome, Err(ClientError::NotApplied(_))),
        "{outcome:?}"
    );
}

#[cfg(feature = "bug-catalogue")]
#[tokio::test]
async fn the_retry_new_sequence_bug_gives_a_retry_a_new_sequence_number() {
    use faultline_raft::bugs::{Bug, BugSet};
    let (a, log) = scripted(Arc::new(|n, _| {
        Some(if n == 0 {
            ResponseBody::Unknown
        } else {
            ResponseBody::Reply(KvReply::Done)
        })
    }))
    .await;
    let mut config = client_config(&[a]);
    config.bugs = BugSet::of([Bug::RetryNewSequence]);
    let mut buggy = KvClient::new(TokioNetwork, config, 0);
    assert_eq!(buggy.write("k", "v").await, Ok(KvReply::Done));
    let reqs = log.requests();
    assert_eq!(reqs.len(), 2);
    assert_ne!(reqs[0].seq, reqs[1].seq, "the retry is not deduplicated");
}
