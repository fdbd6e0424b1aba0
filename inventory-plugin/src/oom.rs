//! Running out of memory still honours Ansible's contract: the binary's global allocator is the
//! system's, except that a failed allocation prints one stderr line naming the cause and exits
//! with status 1, instead of Rust's default (a message, then `abort`: status 134 and, under some
//! runtimes, several lines of noise). This is what a memory limit (`ulimit -v`, an AWX container's
//! limit enforced through the address space) looks like to Ansible when an input is too big.
//!
//! The only `unsafe` code of the project: implementing [`GlobalAlloc`] requires it. Each method
//! forwards to [`System`] unchanged; nothing here allocates (the line is formatted on the stack),
//! and the process ends with `_exit` so that no exit handler runs (one could flush half a
//! document to stdout).

#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;

/// [`System`], with one clear line and exit status 1 when an allocation fails.
#[derive(Debug)]
pub struct Checked;

// SAFETY: every method forwards its arguments to `System`, which upholds `GlobalAlloc`'s contract;
// a null result never returns to the caller (the process ends).
unsafe impl GlobalAlloc for Checked {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as received.
        checked(unsafe { System.alloc(layout) }, layout.size())
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as received.
        checked(unsafe { System.alloc_zeroed(layout) }, layout.size())
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as received.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as received.
        checked(unsafe { System.realloc(ptr, layout, new_size) }, new_size)
    }
}

fn checked(ptr: *mut u8, size: usize) -> *mut u8 {
    if ptr.is_null() {
        out_of_memory(size);
    }
    ptr
}

#[cold]
fn out_of_memory(size: usize) -> ! {
    let mut line = [0u8; 160];
    let mut cursor = std::io::Cursor::new(&mut line[..]);
    let _ = writeln!(
        cursor,
        "palin-inventory: out of memory: an allocation of {size} bytes failed (the input is too large for this process's memory limit)"
    );
    let len = usize::try_from(cursor.position()).unwrap_or(0);
    // SAFETY: writes `len` initialised bytes of `line` to fd 2 (no lock, no allocation), then
    // `_exit` ends the process at once; neither has other preconditions.
    unsafe {
        libc::write(2, line.as_ptr().cast(), len);
        libc::_exit(1)
    }
}
