//! The binary's global allocator, mimalloc, and the one option it sets.

// mimalloc: the engine allocates a value per record; a faster allocator is the cheapest
// large speed-up (measured with `stream-sim bench`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

// mimalloc v3's option setter, linked in with the allocator (libmimalloc-sys's bindings
// need its "extended" feature and do not name `mi_option_purge_delay`).
extern "C" {
    fn mi_option_set(option: std::os::raw::c_int, value: std::os::raw::c_long);
}

/// `mi_option_purge_delay`: the 16th entry of `mi_option_e` in mimalloc v3's mimalloc.h
/// (libmimalloc-sys 0.1.49), in milliseconds, -1 for never.
const MI_OPTION_PURGE_DELAY: std::os::raw::c_int = 15;

/// Tells mimalloc never to purge (decommit) freed pages, unless the `MIMALLOC_PURGE_DELAY`
/// environment variable says otherwise (mimalloc then reads it as usual).
///
/// By default mimalloc gives back to the kernel the pages left unused for 1 s. Batch after
/// batch the engine frees its records and allocates as many again, so each purged page
/// came back as a page fault and a page the kernel zeroes (`clear_page_erms`: 9 % of
/// `bench` figure 1's engine time, and 10 % in mimalloc's fresh pages; issue 15). Without
/// purging, `sweep wordcount --seeds 1..100 --threads 1` takes 307 minor faults instead of
/// 3,459. The price is that the process keeps its peak: bounded by `bench` figure 5 (the
/// REPL's 100,000 steps, target 300 MB) and flat in the length of a run.
pub fn never_purge() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: called first thing in `main`, before any other thread exists (mimalloc's
        // option setters are not thread safe); the option number is v3's (above).
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    }
}
