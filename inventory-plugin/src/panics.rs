//! A panic is a failure too, and Ansible's contract holds for it: one stderr line, a non-zero
//! exit, nothing on stdout. Third-party code can panic on odd input (minijinja 2.24's lexer does
//! on `x }} y`); [`catch`] turns such a panic into an error its caller words, and
//! [`is_catching`] lets the binary's panic hook stay quiet while it does (the hook, in `main.rs`,
//! prints the one line for any other panic).

use std::any::Any;
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};

thread_local! {
    static CATCHING: Cell<bool> = const { Cell::new(false) };
}

/// Run `f`; a panic in it becomes `Err` with the panic's message.
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let outer = CATCHING.with(|c| c.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f)).map_err(|payload| message(payload.as_ref()));
    CATCHING.with(|c| c.set(outer));
    result
}

/// Whether the current thread is inside [`catch`].
pub fn is_catching() -> bool {
    CATCHING.with(Cell::get)
}

/// The text a panic was raised with.
pub fn message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(ToString::to_string)
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

#[cfg(test)]
mod tests {
    use super::{catch, is_catching};

    #[test]
    fn a_panic_becomes_an_error_and_the_flag_is_restored() {
        assert!(!is_catching());
        assert_eq!(catch(|| 1), Ok(1));
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let caught = catch(|| -> u8 { panic!("boom {}", 1) });
        std::panic::set_hook(hook);
        assert_eq!(caught, Err("boom 1".to_owned()));
        assert!(!is_catching());
    }
}
