//! `make bench`: the authorizer's speed and footprint next to its references, all measured in
//! one run on this machine, so that the ratios hold on any machine.
//!
//! [`inproc`] times decisions in process against the raw signature verify, [`registry`] the
//! mTLS registry against moto, [`runtime`] the real release binaries (ours and a hello-world
//! `lambda_runtime` function, the floor) through a local Lambda Runtime API, [`callgrind`]
//! counts instructions (the figures that repeat on a noisy machine); [`report`] sets
//! every figure against the targets of issue 8 and writes the table and the JSON.

pub mod callgrind;
pub mod inproc;
pub mod inputs;
pub mod policy;
pub mod registry;
pub mod report;
pub mod runtime;
pub mod stats;

/// How many samples each part takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Effort {
    pub name: &'static str,
    /// Interleaved rounds of the in-process cases (plus one unrecorded warm-up round).
    pub rounds: usize,
    /// JWT calls per round, for the handler and for the raw verify each.
    pub jwt_per_round: usize,
    /// mTLS decisions per round.
    pub mtls_per_round: usize,
    /// Decisions with the registry cache off, against moto.
    pub moto_misses: usize,
    /// Decisions of the steady stream with the registry cache on, against moto.
    pub moto_steady: usize,
    /// Cold starts of each binary (interleaved).
    pub cold_starts: usize,
    /// Warm invocations through the Runtime API, per binary.
    pub invocations: usize,
}

impl Effort {
    /// The figures `make bench` prints (well under a minute of measuring on two cores).
    pub const FULL: Effort = Effort {
        name: "full",
        rounds: 60,
        jwt_per_round: 150,
        mtls_per_round: 4000,
        moto_misses: 200,
        moto_steady: 1200,
        cold_starts: 20,
        invocations: 4000,
    };

    /// A smoke run (seconds), to check the harness.
    pub const QUICK: Effort = Effort {
        name: "quick",
        rounds: 5,
        jwt_per_round: 20,
        mtls_per_round: 200,
        moto_misses: 20,
        moto_steady: 240,
        cold_starts: 3,
        invocations: 200,
    };
}
