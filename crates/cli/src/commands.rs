//! The subcommands, one module each: `tune`, `analyze`, `compare` and `emulator`.

pub mod analyze;
pub mod compare;
pub mod emulator;
pub mod tune;
