//! `flycluster doctor` (being written).

use crate::cli::DoctorArgs;
use crate::error::{Error, Result};

pub fn run(_args: DoctorArgs) -> Result<i32> {
    Err(Error::usage("doctor is not available in this build yet"))
}
