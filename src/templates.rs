//! The files and snippets the tool writes, embedded from `templates/` and rendered with minijinja in
//! strict-undefined mode, so a missing value is an error rather than an empty string.

use include_dir::{Dir, include_dir};
use minijinja::{Environment, UndefinedBehavior};
use std::sync::OnceLock;

static TEMPLATES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/templates");

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .trim_blocks(true)
            .build()
            .expect("the default delimiters are valid");
        env.set_syntax(syntax);
        for file in TEMPLATES.files() {
            let name = file.path().to_str().expect("template names are UTF-8");
            let source = file.contents_utf8().expect("templates are UTF-8");
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("template `{name}` does not compile: {e}"));
        }
        env
    })
}

/// Render the embedded template `name` with `ctx` (use `minijinja::context!`).
///
/// Templates ship inside the binary and every one is rendered by the tests, so a failure here is a
/// bug in flycluster, not in the user's project: it panics with the template's name.
pub fn render(name: &str, ctx: minijinja::Value) -> String {
    let template = env()
        .get_template(name)
        .unwrap_or_else(|e| panic!("no template `{name}`: {e}"));
    template
        .render(ctx)
        .unwrap_or_else(|e| panic!("template `{name}` failed to render: {e}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_template_compiles() {
        assert!(super::env().templates().count() > 0);
    }
}
