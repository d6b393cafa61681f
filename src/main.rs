mod edit;
mod elixir;
mod error;
mod files;
mod plan;
mod project;
mod templates;
mod textfile;

fn main() {}
