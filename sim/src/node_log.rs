//! Per-node logs (`nodes/<id>.log`): the `tracing` events each node's
//! driver, transport and Raft core emitted inside its
//! [`NODE_SPAN`](faultline_raft::node::NODE_SPAN) span (starts and recovery,
//! role, term and leader changes with their causes, votes, log truncations,
//! snapshots, pauses, links to peers going down and up, refused or malformed
//! input, fatal errors), plus the nemesis actions of the run and the crashes
//! the driver cannot report itself.
//!
//! Each line carries the simulated true time and how far the node's own
//! clock is off it (the clock nemesis skews, bumps and strobes it):
//!
//! ```text
//!    12.340000s clock  +0.500000s n3 INFO  role, term or leader changed role=leader term=4 ...
//! ```
//!
//! [`NodeLog::capture`] routes the nodes' events on the calling thread into
//! this log until its guard is dropped. The simulation runs every host on the
//! calling thread, so the lines come out in simulation order and the logs
//! are as deterministic as the run.
//!
//! The routing is done by one process-wide `tracing` layer, [`router`],
//! that hands each event to the log captured on the emitting thread (if
//! any). A library must not install a global subscriber, so the program
//! does, with [`install`]: the binary at start-up, a test before capturing. A
//! thread-scoped subscriber (`set_default`) would be
//! simpler but loses events when other threads emit them first: `tracing`
//! caches each call site's interest process-wide, and a call site first
//! reached on a thread without a subscriber can stay disabled for all.

use crate::cluster::SimCluster;
use faultline_nemesis::clock::{true_now, SimClock};
use faultline_raft::node::{NodeHandles, NODE_SPAN};
use faultline_raft::NodeId;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// The most lines kept per node (a bound, not a hang; the log says so).
const LINES_MAX: usize = 20_000;

/// The lines written so far, per node, and who was last seen down.
#[derive(Debug, Default)]
struct Lines {
    by_node: BTreeMap<NodeId, (usize, String)>,
    down: BTreeMap<NodeId, bool>,
}

impl Lines {
    fn push(&mut self, id: NodeId, true_ns: u64, offset_ns: Option<i128>, level: &str, text: &str) {
        let Some((count, buf)) = self.by_node.get_mut(&id) else {
            return;
        };
        *count += 1;
        if *count > LINES_MAX {
            if *count == LINES_MAX + 1 {
                let _ = writeln!(buf, "... log truncated at {LINES_MAX} lines");
            }
            return;
        }
        let _ = write!(buf, "{:>12.6}s", true_ns as f64 / 1e9);
        match offset_ns {
            Some(o) => {
                let _ = write!(buf, " clock {:>+11.6}s", o as f64 / 1e9);
            }
            None => buf.push_str("                   "),
        }
        let _ = writeln!(buf, " n{id} {level:<5} {text}");
    }
}

/// Collects each node's log lines as the run goes.
#[derive(Debug, Clone)]
pub struct NodeLog {
    lines: Arc<Mutex<Lines>>,
    clocks: Arc<BTreeMap<NodeId, SimClock>>,
}

impl NodeLog {
    /// Empty logs for the nodes of `cluster`, stamped with their clocks.
    pub fn for_cluster(cluster: &SimCluster<'_>) -> Self {
        let clocks = cluster
            .ids()
            .into_iter()
            .filter_map(|id| cluster.clock(id).map(|c| (id, c.clone())))
            .collect();
        NodeLog::new(clocks)
    }

    /// Empty logs for the nodes of `clocks`, stamped with those clocks.
    pub fn new(clocks: BTreeMap<NodeId, SimClock>) -> Self {
        let ids: Vec<NodeId> = clocks.keys().copied().collect();
        let lines = Lines {
            by_node: ids.iter().map(|&id| (id, (0, String::new()))).collect(),
            down: ids.iter().map(|&id| (id, false)).collect(),
        };
        NodeLog {
            lines: Arc::new(Mutex::new(lines)),
            clocks: Arc::new(clocks),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Lines> {
        self.lines.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn offset_at(&self, id: NodeId, true_time: Duration) -> Option<i128> {
        self.clocks.get(&id).map(|c| c.offset_ns_at(true_time))
    }

    /// Routes the nodes' events (the faultline crates at debug level and
    /// above) emitted on this thread into this log until the guard is
    /// dropped. Fails if no [`router`] was installed as (part of) the
    /// global `tracing` subscriber: the log would stay empty.
    pub fn capture(&self) -> Result<CaptureGuard, String> {
        if !ROUTER_BUILT.load(std::sync::atomic::Ordering::Relaxed)
            || !tracing::dispatcher::has_been_set()
        {
            return Err(
                "node logs are not routed: install faultline_sim::node_log::router() \
                        in the global tracing subscriber first"
                    .into(),
            );
        }
        let previous = CAPTURING.with(|c| c.replace(Some(self.clone())));
        Ok(CaptureGuard { previous })
    }

    /// Notes the crashes the nodes cannot report themselves (a crashed
    /// host runs no code): call after every simulation step with the nodes'
    /// handles.
    pub fn observe(&mut self, now: Duration, handles: &BTreeMap<NodeId, NodeHandles>) {
        let t = now.as_nanos() as u64;
        let mut lines = self.lock();
        for (&id, h) in handles {
            let down = !h.observation.lock().running;
            let was_down = lines.down.insert(id, down).unwrap_or(false);
            if down && !was_down {
                let offset = self.offset_at(id, now);
                lines.push(id, t, offset, "INFO", "process stopped (crashed or killed)");
            }
        }
    }

    /// Notes a nemesis action in every node's log (partitions, heals and
    /// clock faults concern them all).
    pub fn nemesis(&mut self, time_ns: u64, f: &str, value: &Value) {
        let text = format!("nemesis {f} {value}");
        let at = Duration::from_nanos(time_ns);
        let ids: Vec<NodeId> = self.clocks.keys().copied().collect();
        let mut lines = self.lock();
        for id in ids {
            let offset = self.offset_at(id, at);
            lines.push(id, time_ns, offset, "INFO", &text);
        }
    }

    /// Notes each node's state (as [`faultline_checker::NodeState`] writes
    /// it) in its own log, as a `state at fault start: ...` line: written when a fault
    /// starts, so a report can show the cluster just before the fault that
    /// led to a failure.
    pub fn states(&mut self, time_ns: u64, states: &BTreeMap<NodeId, String>) {
        let at = Duration::from_nanos(time_ns);
        let offsets: Vec<(NodeId, _)> = states
            .keys()
            .map(|&id| (id, self.offset_at(id, at)))
            .collect();
        let mut lines = self.lock();
        for (id, offset) in offsets {
            if let Some(state) = states.get(&id) {
                lines.push(
                    id,
                    time_ns,
                    offset,
                    "INFO",
                    &format!("state at fault start: {state}"),
                );
            }
        }
    }

    /// Node `id`'s log so far.
    pub fn text(&self, id: NodeId) -> String {
        self.lock()
            .by_node
            .get(&id)
            .map(|(_, s)| s.clone())
            .unwrap_or_default()
    }

    /// The finished logs.
    pub fn finish(self) -> BTreeMap<NodeId, String> {
        let mut lines = self.lock();
        std::mem::take(&mut lines.by_node)
            .into_iter()
            .map(|(id, (_, s))| (id, s))
            .collect()
    }
}

thread_local! {
    /// The log that events emitted on this thread go to.
    static CAPTURING: std::cell::RefCell<Option<NodeLog>> = const { std::cell::RefCell::new(None) };
}

/// Restores the thread's previous capture when dropped.
#[derive(Debug)]
pub struct CaptureGuard {
    previous: Option<NodeLog>,
}

impl Drop for CaptureGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CAPTURING.with(|c| *c.borrow_mut() = previous);
    }
}

/// Whether [`router`] was called (a capture without it would stay empty).
static ROUTER_BUILT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The `tracing` layer that routes node events to the captured logs, with
/// its filter (the faultline crates at debug level and above). Install it
/// once per process in the global subscriber, e.g.
/// `tracing::subscriber::set_global_default(registry().with(router()))`.
pub fn router<S>() -> impl Layer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    ROUTER_BUILT.store(true, std::sync::atomic::Ordering::Relaxed);
    let targets = Targets::new()
        .with_target("faultline_raft", Level::DEBUG)
        .with_target("faultline_nemesis", Level::DEBUG)
        .with_target("faultline_sim", Level::DEBUG);
    NodeLogLayer.with_filter(targets)
}

/// Installs a global subscriber made of [`router`] alone, once per process
/// (the binary calls it at start-up; tests that capture logs call it too). Fails if
/// another global subscriber was installed first.
pub fn install() -> Result<(), String> {
    static INSTALLED: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            let subscriber = tracing_subscriber::registry().with(router());
            tracing::subscriber::set_global_default(subscriber)
                .map_err(|e| format!("cannot route node logs: {e}"))
        })
        .clone()
}

/// The node a span belongs to (stored in the span's extensions).
#[derive(Debug, Clone, Copy)]
struct NodeTag(NodeId);

/// Reads the `id` field of a node span.
#[derive(Default)]
struct IdVisitor(Option<NodeId>);

impl Visit for IdVisitor {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "id" {
            self.0 = Some(value);
        }
    }

    fn record_debug(&mut self, _field: &Field, _value: &dyn std::fmt::Debug) {}
}

/// Formats an event's message and fields as `message k=v k=v`.
#[derive(Default)]
struct TextVisitor {
    message: String,
    fields: String,
}

impl Visit for TextVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}

/// The `tracing` layer behind [`NodeLog::capture`].
struct NodeLogLayer;

impl<S> Layer<S> for NodeLogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() != NODE_SPAN {
            return;
        }
        let mut visitor = IdVisitor::default();
        attrs.record(&mut visitor);
        if let (Some(node), Some(span)) = (visitor.0, ctx.span(id)) {
            span.extensions_mut().insert(NodeTag(node));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let Some(log) = CAPTURING.with(|c| c.borrow().clone()) else {
            return;
        };
        let Some(scope) = ctx.event_scope(event) else {
            return;
        };
        let Some(node) = scope
            .into_iter()
            .find_map(|span| span.extensions().get::<NodeTag>().copied())
        else {
            return;
        };
        let mut text = TextVisitor::default();
        event.record(&mut text);
        let true_time = true_now().unwrap_or_default();
        let offset = log.offset_at(node.0, true_time);
        let line = format!("{}{}", text.message, text.fields);
        let level = event.metadata().level().as_str();
        log.lock()
            .push(node.0, true_time.as_nanos() as u64, offset, level, &line);
    }
}
