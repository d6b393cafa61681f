//! Fuzz the `fly_toml` editor: no panic, idempotent, output as valid as its input, nothing lost.
#![no_main]

use flycluster_fuzz::{Editor, check_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| check_bytes(Editor::FlyToml, data));
