//! `flycluster cookie`: a new release cookie, alone or as the `fly secrets set` command for a project.

use crate::cli::CookieArgs;
use crate::cookie;
use crate::error::Result;
use crate::exit::Exit;
use crate::project::{self, DetectOptions};

pub fn run(args: CookieArgs) -> Result<Exit> {
    let cookie = cookie::generate();
    match args.fly {
        None => println!("{cookie}"),
        Some(path) => {
            let project = project::detect(&path, &DetectOptions { otp_app: None })?;
            println!(
                "{}",
                cookie::secrets_command(&cookie, &project::default_fly_app(&project))
            );
        }
    }
    Ok(Exit::Done)
}
