//! Where the release's start script is on a Machine: `/app/bin/OTP_APP` as `mix phx.gen.release
//! --docker` lays it out, unless the Dockerfile's final stage copies the release elsewhere.

/// The script path for a release of `otp_app`, given the Dockerfile's text (if any).
///
/// In the final stage (after the last `FROM`), the last `COPY`/`ADD` whose source is a release
/// folder (`.../rel/NAME`) names both the release (`NAME`, which `releases:` in mix.exs may make
/// differ from the OTP app) and where it lands: its destination, relative to the `WORKDIR` in
/// effect there. `COPY --from=builder /app/_build/prod/rel/hello ./` under `WORKDIR /app` gives
/// `/app/bin/hello`.
pub fn script_path(dockerfile: Option<&str>, otp_app: &str) -> String {
    let default = format!("/app/bin/{otp_app}");
    let Some(text) = dockerfile else {
        return default;
    };
    let instructions = instructions(text);
    let final_stage = instructions
        .iter()
        .rposition(|(keyword, _)| keyword == "FROM")
        .map_or(0, |i| i + 1);
    let mut workdir = String::from("/");
    let mut found = None;
    for (keyword, args) in &instructions[final_stage..] {
        match keyword.as_str() {
            "WORKDIR" => workdir = join(&workdir, &unquote(args.trim())),
            "COPY" | "ADD" => {
                let words = arguments(args);
                let Some((dest, sources)) = words.split_last() else {
                    continue;
                };
                let release = sources.iter().find_map(|s| release_name(s));
                if let Some(name) = release {
                    found = Some((join(&workdir, dest), name));
                }
            }
            _ => {}
        }
    }
    match found {
        Some((root, name)) => join(&root, &format!("bin/{name}")),
        None => default,
    }
}

/// `(KEYWORD, arguments)` per instruction: `\` continuations joined, comments and blank lines
/// (also inside a continuation, as BuildKit skips them) dropped.
fn instructions(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(body) => {
                current.push_str(body);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                let (keyword, args) = current
                    .split_once(char::is_whitespace)
                    .unwrap_or((&current, ""));
                out.push((keyword.to_ascii_uppercase(), args.trim().to_string()));
                current.clear();
            }
        }
    }
    out
}

/// The words of a `COPY`: the JSON form `["a", "b"]`, else words split on blanks; flags
/// (`--from=builder`, `--chown=...`) left out.
fn arguments(args: &str) -> Vec<String> {
    let args = args.trim();
    let words: Vec<String> = if args.starts_with('[') {
        serde_json::from_str::<Vec<String>>(args).unwrap_or_default()
    } else {
        args.split_whitespace().map(unquote).collect()
    };
    words.into_iter().filter(|w| !w.starts_with("--")).collect()
}

fn unquote(word: &str) -> String {
    word.trim_matches('"').trim_matches('\'').to_string()
}

/// `NAME` when `source` is a release folder `.../rel/NAME` (with or without a trailing `/`).
fn release_name(source: &str) -> Option<String> {
    let source = source.trim_end_matches('/');
    let (parent, name) = source.rsplit_once('/')?;
    let is_rel = parent == "rel" || parent.ends_with("/rel");
    (is_rel && !name.is_empty() && !name.contains('$')).then(|| name.to_string())
}

/// `path` against the folder `base` (a `WORKDIR` or a `COPY` destination): absolute stays,
/// relative is joined, `.` and `./` are the folder itself.
fn join(base: &str, path: &str) -> String {
    let path = path.trim();
    let joined = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{}/{}", base.trim_end_matches('/'), path)
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_dockerfile_is_the_phoenix_layout() {
        assert_eq!(script_path(None, "hello_elixir"), "/app/bin/hello_elixir");
    }

    #[test]
    fn the_generated_dockerfile_gives_app_bin() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/hello_elixir/Dockerfile"
        ))
        .unwrap();
        assert_eq!(
            script_path(Some(&text), "hello_elixir"),
            "/app/bin/hello_elixir"
        );
    }

    #[test]
    fn the_final_stage_copy_decides_where_and_which_release() {
        let text = "\
FROM elixir:1.16 AS builder
WORKDIR /build
COPY --from=x /build/_build/prod/rel/wrong ./
RUN mix release

FROM debian:bookworm-slim
WORKDIR \"/srv\"
WORKDIR app
# a comment between
COPY --from=builder --chown=nobody:root \\
     /build/_build/${MIX_ENV}/rel/my_release/ \\
     ./release/
CMD [\"/srv/app/release/bin/server\"]
";
        assert_eq!(
            script_path(Some(text), "hello"),
            "/srv/app/release/bin/my_release"
        );
    }

    #[test]
    fn an_absolute_destination_and_the_json_form() {
        let text = "FROM a\nWORKDIR /app\nCOPY [\"/b/_build/prod/rel/hello\", \"/opt/hello\"]\n";
        assert_eq!(script_path(Some(text), "hello"), "/opt/hello/bin/hello");
    }

    #[test]
    fn a_final_stage_without_a_release_copy_keeps_the_default() {
        let text =
            "FROM a AS builder\nCOPY . .\nFROM b\nWORKDIR /x\nCOPY --from=builder /x/app ./\n";
        assert_eq!(script_path(Some(text), "hello"), "/app/bin/hello");
    }
}
