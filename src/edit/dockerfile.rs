//! Editor for the `dockerfile` kind (being written).

use super::{EditCtx, Edited, Outcome};
use crate::error::Result;
use std::path::Path;

pub fn plan(_ctx: &EditCtx, _path: &Path, _before: Option<&str>) -> Result<Edited> {
    Ok(Edited::new(Outcome::Unchanged))
}
