//! The frontier forms of linearized sets decide exactly as whole bitsets
//! do: on random register histories, short and long, valid and not, a
//! search storing either kind of form takes the same steps, memoizes the
//! same number of pairs and ends with the same outcome (the whole-bitset
//! search is the representation the stateright cross-checks validated).

use super::bitset::Forms;
use super::search::{Budget, Outcome, Search, SearchOp};
use crate::model::{Atom, RegisterOp, RegisterRet, RegisterSpec};

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n
    }
}

/// `n` operations from `processes` processes, each taking effect at a random
/// moment of its interval; a few never return (`info`, taking effect or
/// not), and with `corrupt` one read in ten returns a random value instead.
fn history(rng: &mut Rng, n: usize, processes: u64, corrupt: bool) -> Vec<SearchOp<RegisterSpec>> {
    let mut free_at = vec![0u64; processes as usize];
    let mut timed: Vec<(u64, u64, u64, RegisterOp, bool)> = Vec::with_capacity(n);
    for _ in 0..n {
        let p = rng.below(processes) as usize;
        let call = free_at[p] + rng.below(3);
        let effect = call + rng.below(6);
        let ret = effect + rng.below(6);
        free_at[p] = ret + 1;
        let op = match rng.below(3) {
            0 => RegisterOp::Read,
            1 => RegisterOp::Write(Atom(rng.below(3) as u32)),
            _ => RegisterOp::Cas {
                old: Atom(rng.below(3) as u32),
                new: Atom(rng.below(3) as u32),
            },
        };
        let info = rng.below(20) == 0;
        timed.push((effect, call, ret, op, info));
    }
    timed.sort_by_key(|t| (t.0, t.1));
    let mut value = Atom(0);
    let mut ops = Vec::with_capacity(n);
    for (k, (_, call, ret, op, info)) in timed.into_iter().enumerate() {
        let takes_effect = !info || rng.below(2) == 0;
        let got = if takes_effect {
            let mut spec = RegisterSpec { value };
            let got = stateright::semantics::SequentialSpec::invoke(&mut spec, &op);
            value = spec.value;
            got
        } else {
            RegisterRet::Written
        };
        let expected = match (info, got) {
            (true, _) => None,
            (false, RegisterRet::Value(_)) if corrupt && rng.below(10) == 0 => {
                Some(RegisterRet::Value(Atom(rng.below(3) as u32)))
            }
            (false, got) => Some(got),
        };
        let k = k as u64;
        ops.push(SearchOp {
            op,
            expected,
            call: (call, 2 * k),
            ret: (!info).then_some((ret, 2 * k + 1)),
        });
    }
    ops
}

fn decide(ops: &[SearchOp<RegisterSpec>], forms: Forms) -> (String, u64, usize) {
    let mut search = Search::with_forms(ops, RegisterSpec { value: Atom(0) }, forms);
    let outcome = search.run(Budget {
        deadline: None,
        max_memo_entries: usize::MAX,
        memory_bytes_max: usize::MAX,
        max_steps: 2_000_000,
    });
    let shown = match outcome {
        Outcome::NotLinearizable {
            prefix,
            state,
            stuck,
            concurrent,
        } => format!("invalid {prefix:?} {state:?} {stuck} {concurrent:?}"),
        other => format!("{other:?}"),
    };
    let stats = search.stats();
    (shown, stats.steps, stats.memo_entries)
}

#[test]
fn frontier_forms_and_whole_bitsets_search_identically() {
    let mut rng = Rng(11);
    let (mut valid, mut invalid) = (0, 0);
    for round in 0..300 {
        let n = if round % 10 == 0 {
            300 + round
        } else {
            5 + round % 90
        };
        let processes = 2 + rng.below(6);
        let ops = history(&mut rng, n, processes, round % 2 == 1);
        let whole = decide(&ops, Forms::Whole);
        let frontier = decide(&ops, Forms::Frontier);
        assert_eq!(
            whole, frontier,
            "round {round}: {n} ops from {processes} processes"
        );
        assert_eq!(decide(&ops, Forms::Auto), whole, "round {round}");
        if whole.0 == "Linearizable" {
            valid += 1;
        } else if whole.0.starts_with("invalid") {
            invalid += 1;
        }
    }
    assert!(
        valid > 50 && invalid > 50,
        "{valid} valid, {invalid} invalid"
    );
}
