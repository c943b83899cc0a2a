//! mimalloc as a Rust global allocator, entered through its plain `malloc`-style functions
//! whenever they already give the alignment a layout asks for.
//!
//! The `mimalloc` crate's allocator (0.1.52) sends every allocation through
//! `mi_malloc_aligned`. In mimalloc 3 that function has a fast path only for blocks of at
//! most 1 KiB; any larger block (and a small one whose next free block is misaligned) goes
//! through a slow path: a generic aligned allocation that checks whether the size class is
//! naturally aligned and, when it is not, falls back to "over-allocating" (by `align - 1`
//! bytes, none for byte buffers) through mimalloc's generic `malloc`. hyper's 8 KiB read
//! buffer and its header buffers took that path on every request: three times and about 530
//! instructions per `GET /` (callgrind, `bench/service-instructions.sh`). The same report
//! upstream: <https://github.com/purpleprotocol/mimalloc_rust/pull/170>.
//!
//! The rule here is std's own `System` allocator's. On the 64-bit targets this service is
//! built for, mimalloc rounds every block of 16 bytes or more to a multiple of 16 bytes
//! (`MI_MAX_ALIGN_SIZE`) and starts a page's blocks at 16-byte aligned offsets, so such a
//! block is 16-byte aligned; the 8-byte blocks are 8-byte aligned. A layout whose alignment
//! is at most 16 and at most its size therefore needs nothing more from `mi_malloc`. Larger
//! alignments still use the `_aligned` functions. (The one mode that breaks the rule, precise
//! guard pages, exists only in mimalloc's debug build, which the `debug` feature of
//! `libmimalloc-sys` selects and this crate does not. The tests below check the rule.)

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys as ffi;

/// The alignment every `mi_malloc` block of at least this size has (`MI_MAX_ALIGN_SIZE`).
const PLAIN_ALIGN: usize = 16;

/// The global allocator of the binary (`src/main.rs`). The library does not install it.
#[derive(Clone, Copy, Debug, Default)]
pub struct MiMalloc;

/// Whether the plain functions already satisfy an allocation of `size` bytes aligned to
/// `align`.
#[inline]
fn plain(size: usize, align: usize) -> bool {
    align <= PLAIN_ALIGN && align <= size
}

// SAFETY: every path returns either null or a block of mimalloc's of at least `size` bytes,
// aligned as asked (see the module docs and the tests), and frees and resizes only blocks
// mimalloc handed out: `mi_free` and `mi_realloc` accept blocks of both the plain and the
// aligned functions.
unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: plain FFI calls; any size and power-of-two alignment is accepted.
        unsafe {
            if plain(layout.size(), layout.align()) {
                ffi::mi_malloc(layout.size()).cast()
            } else {
                ffi::mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as in `alloc`.
        unsafe {
            if plain(layout.size(), layout.align()) {
                ffi::mi_zalloc(layout.size()).cast()
            } else {
                ffi::mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: the caller passes a block this allocator returned.
        unsafe { ffi::mi_free(ptr.cast::<c_void>()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller passes a block this allocator returned; the new block keeps
        // `layout.align()` either way.
        unsafe {
            if plain(new_size, layout.align()) {
                ffi::mi_realloc(ptr.cast::<c_void>(), new_size).cast()
            } else {
                ffi::mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sizes around every mimalloc bin boundary up to 80 KiB, and a few huge ones.
    fn sizes() -> impl Iterator<Item = usize> {
        let small = 1..=1100;
        let steps = (1..=80).flat_map(|k| {
            let n = k * 1024;
            [n - 8, n - 1, n, n + 1, n + 8]
        });
        small.chain(steps).chain([1 << 20, (1 << 22) + 24, 3 << 23])
    }

    fn check_block(ptr: *mut u8, layout: Layout, what: &str) {
        assert!(!ptr.is_null(), "{what} {layout:?} returned null");
        assert_eq!(
            ptr as usize % layout.align(),
            0,
            "{what} {layout:?} returned {ptr:p}, misaligned"
        );
    }

    #[test]
    fn every_block_is_aligned_as_asked_and_usable() {
        let alloc = MiMalloc;
        for align in [1, 2, 4, 8, 16, 32, 64, 128, 4096] {
            for size in sizes() {
                let layout = Layout::from_size_align(size, align).unwrap();
                // SAFETY: non-zero size; the block is written within its size and freed once.
                unsafe {
                    let p = alloc.alloc(layout);
                    check_block(p, layout, "alloc");
                    p.write_bytes(0xA5, size);
                    assert_eq!(*p.add(size - 1), 0xA5);
                    alloc.dealloc(p, layout);

                    let z = alloc.alloc_zeroed(layout);
                    check_block(z, layout, "alloc_zeroed");
                    let zeroed = std::slice::from_raw_parts(z, size);
                    assert!(zeroed.iter().all(|&b| b == 0), "{layout:?} not zeroed");
                    alloc.dealloc(z, layout);
                }
            }
        }
    }

    #[test]
    fn blocks_at_every_position_of_a_page_are_aligned_on_the_plain_path() {
        // Many live blocks of one size fill whole pages, so every block position is checked,
        // not only the first free one.
        let alloc = MiMalloc;
        let sizes = (1..=1100).chain((2..=16).map(|k| k * 1024 + 16));
        for size in sizes {
            // The largest alignment the plain path serves for this size.
            let align = 1 << size.min(PLAIN_ALIGN).ilog2();
            let layout = Layout::from_size_align(size, align).unwrap();
            let count = (256 * 1024 / size).clamp(64, 512);
            // SAFETY: non-zero size; every block is freed once, with its layout.
            unsafe {
                let blocks: Vec<*mut u8> = (0..count).map(|_| alloc.alloc(layout)).collect();
                for &p in &blocks {
                    check_block(p, layout, "alloc");
                }
                for p in blocks {
                    alloc.dealloc(p, layout);
                }
            }
        }
    }

    #[test]
    fn realloc_keeps_contents_and_alignment_across_sizes() {
        let alloc = MiMalloc;
        for align in [1, 8, 16, 64] {
            let mut layout = Layout::from_size_align(1, align).unwrap();
            // SAFETY: each step reallocates the live block with its current layout and only
            // reads and writes within the current size.
            unsafe {
                let mut p = alloc.alloc(layout);
                check_block(p, layout, "alloc");
                p.write(7);
                // Grow through the small, medium and large bins, then shrink back.
                let grow = [2, 15, 16, 17, 24, 100, 1024, 1500, 8192, 70_000, 1 << 21];
                for &new_size in grow.iter().chain(grow.iter().rev().skip(1)) {
                    p = alloc.realloc(p, layout, new_size);
                    layout = Layout::from_size_align(new_size, align).unwrap();
                    check_block(p, layout, "realloc");
                    assert_eq!(p.read(), 7, "first byte lost at {new_size} (align {align})");
                    p.add(new_size - 1).write(9);
                }
                alloc.dealloc(p, layout);
            }
        }
    }
}
