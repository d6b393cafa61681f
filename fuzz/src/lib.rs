//! Shared by the fuzz targets: each feeds its bytes to one editor and checks the invariants.

mod invariants;

pub use invariants::*;
