mod edit;
mod error;
mod plan;
mod templates;
mod textfile;

fn main() {}
