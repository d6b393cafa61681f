//! The one Elixir expression verify evaluates on each node (probe.exs), the shell command that
//! carries it through `fly ssh console --command`, and the parser that finds its marked result
//! line amid whatever ssh, the release scripts and the VM print around it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The expression's source, one statement a line (comment lines are dropped).
const SOURCE: &str = include_str!("probe.exs");

const MARKER: &str = "FLYCLUSTER-VERIFY/1";
const END: &str = "FLYCLUSTER-END";

/// The expression for `otp_app`, on one line.
pub fn expression(otp_app: &str) -> String {
    SOURCE
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("; ")
        .replace("__OTP_APP__", otp_app)
}

/// How the release is asked: `rpc` evaluates on the running node; `eval` in a fresh VM booted
/// with the same environment, for a node that rpc cannot reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Rpc,
    Eval,
}

impl Via {
    pub fn name(self) -> &'static str {
        match self {
            Via::Rpc => "rpc",
            Via::Eval => "eval",
        }
    }
}

/// `SCRIPT rpc 'EXPR'` as one command line for `fly ssh console --command`, which the Machine
/// splits into words as a POSIX shell would (without running one).
pub fn remote_command(script: &str, via: Via, otp_app: &str) -> String {
    format!(
        "{} {} {}",
        shell_quote(script),
        via.name(),
        quoted_expression(otp_app)
    )
}

/// The expression as one shell word.
pub fn quoted_expression(otp_app: &str) -> String {
    shell_quote(&expression(otp_app))
}

/// A word in single quotes unless it is plain (the release path usually is).
fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// What one node said about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeReport {
    /// `rpc`: the running node's view; `eval`: what the release boots with (no node view).
    pub via: Via,
    /// `node()`, or for `eval` the `RELEASE_NODE` the node boots with.
    pub node: String,
    /// `Node.list()`.
    pub nodes: Vec<String>,
    /// `sha256:` (or, in a release without :crypto, `md5:`) and a 12-digit hex prefix.
    pub cookie_hash: String,
    /// The DNS name the node polls; empty when it has none.
    pub query: String,
    /// Where the query came from: `dns_cluster` (the running process), `libcluster`, `config`,
    /// `env`, `ignore` (configured as `:ignore`) or `none`.
    pub query_from: String,
    /// The AAAA answer for the query, looked up on the node.
    pub aaaa: Vec<String>,
    /// `(library, state)`: `("dns_cluster", "running")`, `("dns_cluster", "ignored")`, ...
    pub clustering: Vec<(String, String)>,
    /// Each `-proto_dist` value in effect (`:init.get_argument(:proto_dist)`).
    pub proto_dist: Vec<String>,
    pub release_version: String,
    /// `FLY_IMAGE_REF` on the Machine.
    pub fly_image_ref: String,
    /// `FLY_MACHINE_ID` on the Machine.
    pub fly_machine_id: String,
}

impl NodeReport {
    /// The part of the node name before `@`.
    pub fn basename(&self) -> &str {
        self.node.split('@').next().unwrap_or("")
    }

    pub fn runs_clustering(&self) -> bool {
        self.clustering.iter().any(|(_, state)| state == "running")
    }
}

/// Why no report could be read from an output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// No marked line at all: the expression did not run, or printed nothing.
    NoResult,
    /// A marked line without its end: the output was cut off.
    Truncated,
    /// A marked line whose field cannot be read.
    BadField(String),
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParseError::NoResult => write!(f, "no result line in the output"),
            ParseError::Truncated => write!(f, "the result line was cut off"),
            ParseError::BadField(name) => write!(f, "the result line's `{name}` is unreadable"),
        }
    }
}

/// The report in `output`: the first complete marked line, wherever it starts on its line (a
/// banner or an escape sequence may come first), with CRs and everything else ignored.
pub fn parse(output: &str) -> Result<NodeReport, ParseError> {
    let mut error = ParseError::NoResult;
    for line in output.split(['\n', '\r']) {
        let Some(at) = line.find(MARKER) else {
            continue;
        };
        match parse_line(&line[at + MARKER.len()..]) {
            Ok(report) => return Ok(report),
            // Keep looking: a later line may be whole. The most telling error is kept.
            Err(e) => {
                if error == ParseError::NoResult || matches!(e, ParseError::BadField(_)) {
                    error = e;
                }
            }
        }
    }
    Err(error)
}

fn parse_line(rest: &str) -> Result<NodeReport, ParseError> {
    let words: Vec<&str> = rest.split_whitespace().collect();
    let Some(end) = words.iter().position(|w| *w == END) else {
        return Err(ParseError::Truncated);
    };
    let mut fields = std::collections::HashMap::new();
    for word in &words[..end] {
        let (key, value) = word
            .split_once('=')
            .ok_or_else(|| ParseError::BadField((*word).to_string()))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(value)
            .map_err(|_| ParseError::BadField(key.to_string()))?;
        let text = String::from_utf8(bytes).map_err(|_| ParseError::BadField(key.to_string()))?;
        fields.insert(key, text);
    }
    let get = |key: &str| -> Result<String, ParseError> {
        fields
            .get(key)
            .cloned()
            .ok_or_else(|| ParseError::BadField(key.to_string()))
    };
    let list = |key: &str| -> Result<Vec<String>, ParseError> {
        Ok(get(key)?.split_whitespace().map(str::to_string).collect())
    };
    let via = match get("mode")?.as_str() {
        "rpc" => Via::Rpc,
        "eval" => Via::Eval,
        _ => return Err(ParseError::BadField("mode".into())),
    };
    let clustering = list("clustering")?
        .iter()
        .map(|entry| match entry.split_once(':') {
            Some((lib, state)) => Ok((lib.to_string(), state.to_string())),
            None => Err(ParseError::BadField("clustering".into())),
        })
        .collect::<Result<_, _>>()?;
    Ok(NodeReport {
        via,
        node: get("node")?,
        nodes: list("nodes")?,
        cookie_hash: get("cookie")?,
        query: get("query")?,
        query_from: get("query_from")?,
        aaaa: list("aaaa")?,
        clustering,
        proto_dist: list("proto_dist")?,
        release_version: get("vsn")?,
        fly_image_ref: get("image")?,
        fly_machine_id: get("machine")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    /// A result line as probe.exs prints it, for a node that sees one other.
    fn line() -> String {
        let fields = [
            ("mode", "rpc"),
            (
                "node",
                "hello-elixir-01HXYZ@fdaa:0:1da8:a7b:ac2:f901:4bf7:2",
            ),
            (
                "nodes",
                "hello-elixir-01HXYZ@fdaa:0:1da8:a7b:ac4:eb41:19d3:2",
            ),
            ("cookie", "sha256:9f86d081884c"),
            ("query", "hello-elixir.internal"),
            ("query_from", "dns_cluster"),
            (
                "aaaa",
                "fdaa:0:1da8:a7b:ac2:f901:4bf7:2 fdaa:0:1da8:a7b:ac4:eb41:19d3:2",
            ),
            ("clustering", "dns_cluster:running"),
            ("proto_dist", "inet6_tcp"),
            ("vsn", "0.1.0"),
            ("image", "registry.fly.io/hello-elixir:deployment-01HXYZ"),
            ("machine", "d891394fe06158"),
        ];
        let mut s = String::from(MARKER);
        for (k, v) in fields {
            s.push_str(&format!(" {k}={}", b64(v)));
        }
        s.push(' ');
        s.push_str(END);
        s
    }

    fn expected() -> NodeReport {
        NodeReport {
            via: Via::Rpc,
            node: "hello-elixir-01HXYZ@fdaa:0:1da8:a7b:ac2:f901:4bf7:2".into(),
            nodes: vec!["hello-elixir-01HXYZ@fdaa:0:1da8:a7b:ac4:eb41:19d3:2".into()],
            cookie_hash: "sha256:9f86d081884c".into(),
            query: "hello-elixir.internal".into(),
            query_from: "dns_cluster".into(),
            aaaa: vec![
                "fdaa:0:1da8:a7b:ac2:f901:4bf7:2".into(),
                "fdaa:0:1da8:a7b:ac4:eb41:19d3:2".into(),
            ],
            clustering: vec![("dns_cluster".into(), "running".into())],
            proto_dist: vec!["inet6_tcp".into()],
            release_version: "0.1.0".into(),
            fly_image_ref: "registry.fly.io/hello-elixir:deployment-01HXYZ".into(),
            fly_machine_id: "d891394fe06158".into(),
        }
    }

    #[test]
    fn the_marked_line_is_found_amid_banners_warnings_and_crlf() {
        let output = format!(
            "Connecting to fdaa:0:1da8:a7b:ac2:f901:4bf7:2... complete\r\n\
             warning: the VM is running with native name encoding of latin1\r\n\
             \x1b[0m{}\r\n\
             Error: ssh shell: Process exited with status 0\r\n",
            line()
        );
        assert_eq!(parse(&output), Ok(expected()));
    }

    #[test]
    fn a_cut_off_line_is_truncated_and_a_later_whole_one_still_counts() {
        let whole = line();
        let cut = &whole[..whole.len() - 30];
        assert_eq!(parse(&format!("{cut}\n")), Err(ParseError::Truncated));
        assert_eq!(parse(&format!("{cut}\n{whole}\n")), Ok(expected()));
    }

    #[test]
    fn no_marked_line_and_bad_fields_are_told_apart() {
        assert_eq!(
            parse("--rpc-eval : RPC failed with reason :nodedown\n"),
            Err(ParseError::NoResult)
        );
        assert_eq!(parse(""), Err(ParseError::NoResult));
        let bad = line().replace(&format!("mode={}", b64("rpc")), "mode=%%%");
        assert_eq!(parse(&bad), Err(ParseError::BadField("mode".into())));
        let missing = line().replace(&format!(" vsn={}", b64("0.1.0")), "");
        assert_eq!(parse(&missing), Err(ParseError::BadField("vsn".into())));
    }

    #[test]
    fn an_echo_of_the_expression_is_not_a_result() {
        // With a pseudo-terminal, or in an error message, the expression itself may be printed.
        let echoed = format!("{}\n", expression("hello_elixir"));
        assert_eq!(parse(&echoed), Err(ParseError::NoResult));
    }

    #[test]
    fn the_expression_is_one_line_without_single_quotes() {
        let expr = expression("hello_elixir");
        assert!(!expr.contains('\n'));
        assert!(
            !expr.contains('\''),
            "a single quote would end the shell word"
        );
        assert!(expr.starts_with("app = :hello_elixir; "), "{expr}");
        assert!(!expr.contains("__OTP_APP__"));
    }

    #[test]
    fn the_remote_command_quotes_the_expression_as_one_word() {
        let cmd = remote_command("/app/bin/hello_elixir", Via::Rpc, "hello_elixir");
        assert_eq!(
            cmd,
            format!("/app/bin/hello_elixir rpc '{}'", expression("hello_elixir"))
        );
        assert_eq!(
            remote_command("/opt/my app/bin/x", Via::Eval, "x")
                .split(" eval ")
                .next(),
            Some("'/opt/my app/bin/x'")
        );
    }
}
