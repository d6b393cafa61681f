//! `flycluster man` and `flycluster completions`: documentation generated from the clap definitions,
//! so it cannot drift from the options.

use crate::cli::Cli;
use crate::error::{Error, Result};
use crate::exit::Exit;
use clap::CommandFactory;
use std::io::Write;

/// The roff page on stdout.
pub fn run() -> Result<Exit> {
    let page = man_page().map_err(|e| Error::io("stdout", "write the manual page to", e))?;
    std::io::stdout()
        .write_all(&page)
        .map_err(|e| Error::io("stdout", "write the manual page to", e))?;
    Ok(Exit::Done)
}

/// The completion script for `shell` on stdout.
pub fn completions(shell: clap_complete::Shell) -> Result<Exit> {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "flycluster", &mut std::io::stdout());
    Ok(Exit::Done)
}

/// One roff page: the command's own sections, then for each subcommand its synopsis, description
/// and options under a heading of its own, so `man flycluster` documents everything.
pub fn man_page() -> std::io::Result<Vec<u8>> {
    let cmd = Cli::command();
    let mut page = Vec::new();
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    // clap_mangen lists each subcommand as a page of its own (`flycluster-init(1)`); here they are
    // sections of this page.
    let mut list = Vec::new();
    man.render_subcommands_section(&mut list)?;
    let mut list = String::from_utf8_lossy(&list).into_owned();
    for name in cmd.get_subcommands().map(|s| s.get_name()).chain(["help"]) {
        list = list.replace(
            &format!("flycluster\\-{name}(1)"),
            &format!("\\fBflycluster {name}\\fR"),
        );
    }
    page.extend_from_slice(list.as_bytes());
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("flycluster {}", sub.get_name());
        let sub = sub.clone().bin_name(name.clone());
        writeln!(page, ".SH \"{}\"", name.to_uppercase())?;
        let man = clap_mangen::Man::new(sub);
        // The subcommand's sections, each demoted to a subsection of its heading.
        let mut part = Vec::new();
        man.render_synopsis_section(&mut part)?;
        man.render_description_section(&mut part)?;
        man.render_options_section(&mut part)?;
        let part = String::from_utf8_lossy(&part).replace(".SH ", ".SS ");
        page.extend_from_slice(part.as_bytes());
    }
    man.render_version_section(&mut page)?;
    Ok(page)
}
