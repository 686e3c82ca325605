//! Delta debugging over a list (Zeller's ddmin, biggest cuts first): try
//! the empty list, then, splitting the list into `n` chunks, keep only one
//! chunk, then drop one chunk; on success restart from the smaller list,
//! otherwise split finer, until chunks are single items. A candidate
//! batch is tested as a whole and the *first* passing candidate wins, so
//! the result does not depend on how many candidates run at once.

/// What testing a batch of candidates found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Batch {
    /// The candidate at this position (the first that passed) still fails
    /// for the reason sought.
    Pass(usize),
    /// None did.
    Fail,
    /// The budget ran out before one passed.
    Exhausted,
}

/// Shrinks `items` with `test`, which is handed batches of candidate
/// lists; returns the smallest list found to pass (or `items`).
pub fn ddmin<T: Clone>(items: Vec<T>, test: &mut dyn FnMut(Vec<Vec<T>>) -> Batch) -> Vec<T> {
    if items.is_empty() {
        return items;
    }
    match test(vec![Vec::new()]) {
        Batch::Pass(_) => return Vec::new(),
        Batch::Exhausted => return items,
        Batch::Fail => {}
    }
    let mut current = items;
    let mut n = 2;
    while current.len() >= 2 {
        let chunks = split(&current, n);
        let mut candidates: Vec<Vec<T>> = chunks.clone();
        if n > 2 {
            // With two chunks, dropping one is keeping the other.
            candidates.extend((0..chunks.len()).map(|i| complement(&chunks, i)));
        }
        match test(candidates) {
            Batch::Pass(i) if i < chunks.len() => {
                current = chunks[i].clone();
                n = 2;
            }
            Batch::Pass(i) => {
                current = complement(&chunks, i - chunks.len());
                n = (n - 1).max(2);
            }
            Batch::Fail if n < current.len() => n = (2 * n).min(current.len()),
            Batch::Fail | Batch::Exhausted => break,
        }
    }
    current
}

/// `items` in `n` contiguous chunks of near-equal size (none empty).
fn split<T: Clone>(items: &[T], n: usize) -> Vec<Vec<T>> {
    let n = n.clamp(1, items.len().max(1));
    (0..n)
        .map(|i| items[i * items.len() / n..(i + 1) * items.len() / n].to_vec())
        .filter(|c| !c.is_empty())
        .collect()
}

/// Every chunk but the `skip`-th, in order.
fn complement<T: Clone>(chunks: &[Vec<T>], skip: usize) -> Vec<T> {
    chunks
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != skip)
        .flat_map(|(_, c)| c.iter().cloned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A test that passes when the list holds every item of `needed`.
    fn needs<'a>(
        needed: &'static [u32],
        tests: &'a mut u32,
    ) -> impl FnMut(Vec<Vec<u32>>) -> Batch + 'a {
        move |batch| {
            *tests += batch.len() as u32;
            batch
                .iter()
                .position(|c| needed.iter().all(|n| c.contains(n)))
                .map_or(Batch::Fail, Batch::Pass)
        }
    }

    #[test]
    fn ddmin_finds_the_items_a_failure_needs() {
        let mut tests = 0;
        let items: Vec<u32> = (0..16).collect();
        assert_eq!(
            ddmin(items.clone(), &mut needs(&[3, 11], &mut tests)),
            [3, 11]
        );
        assert_eq!(ddmin(items.clone(), &mut needs(&[7], &mut tests)), [7]);
        assert_eq!(
            ddmin(items.clone(), &mut needs(&[], &mut tests)),
            Vec::<u32>::new()
        );
        assert_eq!(ddmin(vec![5], &mut needs(&[5], &mut tests)), [5]);
    }

    #[test]
    fn an_exhausted_budget_keeps_the_best_so_far() {
        let mut calls = 0;
        let result = ddmin((0..8).collect(), &mut |batch: Vec<Vec<u32>>| {
            calls += 1;
            match calls {
                1 => Batch::Fail,
                2 => batch
                    .iter()
                    .position(|c| c.contains(&1))
                    .map_or(Batch::Fail, Batch::Pass),
                _ => Batch::Exhausted,
            }
        });
        assert_eq!(result, [0, 1, 2, 3]);
    }

    #[test]
    fn chunks_cover_the_list_in_order() {
        let items: Vec<u32> = (0..5).collect();
        assert_eq!(split(&items, 2), [vec![0, 1], vec![2, 3, 4]]);
        assert_eq!(split(&items, 9).len(), 5);
        assert_eq!(complement(&split(&items, 2), 0), [2, 3, 4]);
    }
}
