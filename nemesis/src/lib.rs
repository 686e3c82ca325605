//! # faultline-nemesis
//!
//! The faults that strike a cluster, and the seams they enter through. This
//! crate never runs a cluster itself: the executor acts on a
//! [`target::FaultTarget`], which the simulated cluster of `faultline-sim`
//! implements.
//!
//! * The catalogue and the plan: [`fault`] (the kinds of fault), [`grudge`]
//!   (partition shapes), [`plan`] and [`schedule`] (when which fault
//!   strikes whom, from a seed), [`explicit`] (a schedule as data) and
//!   [`executor`] (applies and undoes them
//!   through [`target`]); [`trigger`] and [`chase`] are the protocol-aware
//!   kinds' event detectors.
//! * The faulty seams a node is built with: [`clock`] (a skewable per-node
//!   clock behind the node's `Clock`), [`disk_faults`] (injected corruption
//!   and I/O errors behind its `Disk`) and [`message_faults`] (duplication
//!   and reordering behind its outbound-message seam), each seeded from the
//!   run's seed.

pub mod chase;
pub mod clock;
pub mod disk_faults;
pub mod executor;
pub mod explicit;
pub mod fault;
pub mod grudge;
pub mod magnitudes;
pub mod message_faults;
pub mod plan;
pub mod schedule;
pub mod stale;
pub mod target;
pub mod trigger;
