//! A hint to the processor to bring an element of a slice into the cache ahead of its use.
//!
//! The reduce side of a shuffle reads its entries in an order that is not their order in
//! memory (a map partition's combiner in `hashCode` order, an `AppendOnlyMap`'s entries in
//! slot order): each read is a cache miss the processor cannot foresee, while the program
//! knows the entry it will read a few steps later. Issue 15's profile of figure 1 found a
//! quarter of the reduce side's time on the loads and stores of those reads.

/// Asks for `slice[i]` to be brought into the cache (all levels). No effect when `i` is out
/// of range or on a processor without the hint (only `x86_64` gives it here); never reads
/// the element, never faults.
#[inline(always)]
pub fn prefetch<T>(slice: &[T], i: usize) {
    if i < slice.len() {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            let p = slice.as_ptr().wrapping_add(i) as *const i8;
            // SAFETY: `prefetch` is a hint; it does not access memory as far as the program
            // is concerned (no fault, no data race), and SSE is in every x86_64 target.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p) };
        }
    }
}
