//! One trait for every summary that merges, so a windowed operator can keep
//! one summary per pane and combine the panes of a window generically.
//!
//! | type | merge result | error |
//! | --- | --- | --- |
//! | [`crate::HyperLogLog`] | exactly the sketch of the union | precision or seed differ |
//! | [`crate::CountMin`] | exactly the sketch of the concatenation | shape, seed or update mode differ |
//! | [`crate::MisraGries`] | bounds of one summary of the concatenation (Agarwal et al. 2012) | `k` differs |
//! | [`crate::SpaceSaving`] | bounds of one summary of the concatenation (Agarwal et al. 2012) | `k` differs |
//! | [`crate::Kll`] | rank guarantee of one sketch of the concatenation | `k` differs |
//! | [`crate::VarOpt`] | a VarOpt sample of the union | `k` differs |
//!
//! Uniform reservoirs merge through [`crate::reservoir::merge`], which
//! needs a random generator and returns a new reservoir. Count-Min alone is
//! also invertible ([`crate::CountMin::subtract`]).

use std::hash::Hash;

/// A summary that can absorb another summary of the same shape.
pub trait Mergeable {
    /// Why two summaries do not merge (different shapes or seeds).
    type Error;

    /// Merge `other` into `self`; on error `self` is unchanged.
    ///
    /// # Errors
    ///
    /// When the two summaries have different shapes (see the module table).
    fn merge_from(&mut self, other: &Self) -> Result<(), Self::Error>;
}

/// Merge the summaries of consecutive panes into one summary of the whole
/// window, in pane order (left fold). `None` for an empty window.
///
/// # Errors
///
/// The first merge error.
pub fn merge_panes<'a, S, I>(panes: I) -> Result<Option<S>, S::Error>
where
    S: Mergeable + Clone + 'a,
    I: IntoIterator<Item = &'a S>,
{
    let mut it = panes.into_iter();
    let Some(first) = it.next() else {
        return Ok(None);
    };
    let mut acc = first.clone();
    for p in it {
        acc.merge_from(p)?;
    }
    Ok(Some(acc))
}

macro_rules! mergeable {
    (impl[$($g:tt)*] $ty:ty, $err:ty $(, where $($b:tt)*)?) => {
        impl<$($g)*> Mergeable for $ty $(where $($b)*)? {
            type Error = $err;
            fn merge_from(&mut self, other: &Self) -> Result<(), $err> {
                self.merge(other)
            }
        }
    };
}

mergeable!(impl[] crate::HyperLogLog, crate::hyperloglog::HyperLogLogError);
mergeable!(impl[] crate::CountMin, crate::count_min::CountMinError);
mergeable!(impl[] crate::Kll, crate::kll::KllError);
mergeable!(impl[T] crate::MisraGries<T>, crate::misra_gries::CapacityMismatch, where T: Ord + Clone);
mergeable!(impl[T] crate::SpaceSaving<T>, crate::space_saving::CapacityMismatch, where T: Ord + Hash + Clone);
mergeable!(impl[T] crate::VarOpt<T>, crate::varopt::VarOptError, where T: Clone);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CountMin, HyperLogLog, Kll, MisraGries, SpaceSaving};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    // Proves: merge_panes over pane summaries equals (HLL, Count-Min:
    // exactly) or bounds (Misra-Gries, Space-Saving, KLL) the summary of the
    // window's items, and an empty window gives None.
    #[test]
    fn window_of_panes() {
        let panes: Vec<Vec<u32>> = (0..4u32)
            .map(|p| (p * 50..p * 50 + 120).collect())
            .collect();
        let all: Vec<u32> = panes.concat();
        let hll: Vec<HyperLogLog> = panes
            .iter()
            .map(|p| {
                let mut h = HyperLogLog::new(8).unwrap();
                p.iter().for_each(|x| h.add(x));
                h
            })
            .collect();
        let mut whole = HyperLogLog::new(8).unwrap();
        all.iter().for_each(|x| whole.add(x));
        assert_eq!(merge_panes(&hll).unwrap(), Some(whole));
        let cm: Vec<CountMin> = panes
            .iter()
            .map(|p| {
                let mut c = CountMin::with_dimensions(32, 3, 1).unwrap();
                p.iter().for_each(|x| c.add(x));
                c
            })
            .collect();
        let mut whole = CountMin::with_dimensions(32, 3, 1).unwrap();
        all.iter().for_each(|x| whole.add(x));
        assert_eq!(merge_panes(&cm).unwrap(), Some(whole));
        let mg: Vec<MisraGries<u32>> = panes
            .iter()
            .map(|p| {
                let mut m = MisraGries::new(5);
                p.iter().for_each(|&x| m.add(x));
                m
            })
            .collect();
        let merged = merge_panes(&mg).unwrap().unwrap();
        assert_eq!(merged.n(), all.len() as u64);
        let ss: Vec<SpaceSaving<u32>> = panes
            .iter()
            .map(|p| {
                let mut s = SpaceSaving::new(5);
                p.iter().for_each(|&x| s.add(x));
                s
            })
            .collect();
        let merged = merge_panes(&ss).unwrap().unwrap();
        assert_eq!(merged.n(), all.len() as u64);
        assert!(merged.min_count() * 5 <= merged.n());
        let kll: Vec<Kll> = panes
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mut s = Kll::new(16, ChaCha8Rng::seed_from_u64(i as u64)).unwrap();
                p.iter().for_each(|&x| s.add(f64::from(x)).unwrap());
                s
            })
            .collect();
        let merged = merge_panes(&kll).unwrap().unwrap();
        assert_eq!(merged.n(), all.len() as u64);
        assert_eq!((merged.min(), merged.max()), (Some(0.0), Some(269.0)));
        assert!(merge_panes::<Kll, _>(&[]).unwrap().is_none());
    }
}
