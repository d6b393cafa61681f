//! Editor for the `fly-toml` kind: puts `DNS_CLUSTER_QUERY` (and, with `--cookie fly-toml`,
//! `RELEASE_COOKIE`) into the `[env]` table of `fly.toml`, or creates a `fly.toml` from the template.
//!
//! Edits go through toml_edit's `DocumentMut` and touch only the keys they add or replace, in the
//! indentation and quote style the table already uses, so every other byte of the file stays.

use super::{Database, EditCtx, Edited, Outcome};
use crate::error::{Error, Result};
use crate::facts::FindingId;
use crate::plan::Warning;
use crate::templates;
use std::path::Path;
use toml_edit::{Decor, Document, DocumentMut, InlineTable, Item, Key, Table, Value};

const DNS_QUERY_KEY: &str = "DNS_CLUSTER_QUERY";
const COOKIE_KEY: &str = "RELEASE_COOKIE";
const ECTO_IPV6_KEY: &str = "ECTO_IPV6";

/// What `fly launch` indents table keys with; used when the document gives no hint.
const DEFAULT_INDENT: &str = "  ";

pub fn plan(ctx: &EditCtx, path: &Path, before: Option<&str>) -> Result<Edited> {
    let mut warnings = Vec::new();
    if ctx.fly_toml_cookie.is_some() {
        warnings.push(
            Warning::new(
                FindingId::CookieInFlyToml,
                "`RELEASE_COOKIE` is written here in plain text; fly.toml is usually committed, so \
                 everyone with the repository can read the cookie and join the cluster (use \
                 `--cookie secret` to keep it in a Fly secret instead)",
            )
            .at(path, None),
        );
    }
    let mut edited = match before {
        None => create(ctx, path)?,
        Some(before) => {
            let text = without_ecto_ipv6(ctx, path, before, &mut warnings)?;
            let edited = update(ctx, path, &text, &mut warnings)?;
            match edited.outcome {
                Outcome::Unchanged if text != before => Edited::new(Outcome::Write(text)),
                _ => edited,
            }
        }
    };
    edited.warnings.extend(warnings);
    Ok(edited)
}

/// For a database outside Fly, `before` without an `[env]` `ECTO_IPV6` that turns IPv6 on (its
/// line goes, every other byte stays); said in `warnings`, as is an entry in a layout whose line
/// cannot simply go.
fn without_ecto_ipv6(
    ctx: &EditCtx,
    path: &Path,
    before: &str,
    warnings: &mut Vec<Warning>,
) -> Result<String> {
    if ctx.database != Database::External {
        return Ok(before.to_owned());
    }
    let parsed = Document::parse(before).map_err(|e| malformed(path, before, &e))?;
    let Some(env) = parsed.get("env").and_then(Item::as_table_like) else {
        return Ok(before.to_owned());
    };
    let Some((key, value)) = env.get_key_value(ECTO_IPV6_KEY) else {
        return Ok(before.to_owned());
    };
    if !matches!(value.as_str(), Some("true" | "1")) {
        return Ok(before.to_owned());
    }
    let line = key_line(before, key);
    let why = "the database is outside Fly (`--database external`), and with ECTO_IPV6 Postgrex asks \
               only for IPv6 addresses, so an IPv4-only host fails with `:nxdomain`";
    let start: usize = before
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    let end = before[start..]
        .find('\n')
        .map_or(before.len(), |i| start + i + 1);
    let after = format!("{}{}", &before[..start], &before[end..]);
    let removed_alone = parsed.get("env").is_some_and(Item::is_table)
        && value
            .span()
            .is_some_and(|span| line_at(before, span.start) == line)
        && Document::parse(after.as_str()).is_ok_and(|doc| {
            doc.get("env")
                .and_then(Item::as_table_like)
                .is_some_and(|env| {
                    env.len() + 1 == parsed["env"].as_table_like().map_or(0, |e| e.len())
                        && !env.contains_key(ECTO_IPV6_KEY)
                })
        });
    if !removed_alone {
        warnings.push(
            Warning::new(
                FindingId::EctoIpv6External,
                format!("remove `{ECTO_IPV6_KEY}` from `env`: {why}"),
            )
            .at(path, Some(line)),
        );
        return Ok(before.to_owned());
    }
    warnings.push(
        Warning::new(
            FindingId::EctoIpv6External,
            format!("`{ECTO_IPV6_KEY}` taken out of `[env]`: {why}"),
        )
        .at(path, Some(line)),
    );
    Ok(after)
}

/// The `[env]` entries this run wants, in the order they are written.
fn wanted_env(ctx: &EditCtx) -> Vec<(&'static str, String)> {
    let mut wanted = vec![(DNS_QUERY_KEY, format!("{}.internal", ctx.fly_app))];
    if let Some(cookie) = &ctx.fly_toml_cookie {
        wanted.push((COOKIE_KEY, cookie.clone()));
    }
    wanted
}

/// A project without fly.toml gets the one `fly launch` would write for Phoenix, plus clustering.
fn create(ctx: &EditCtx, path: &Path) -> Result<Edited> {
    let text = templates::render(
        "fly.toml.j2",
        minijinja::context! {
            app => &ctx.fly_app,
            dns_cluster_query => format!("{}.internal", ctx.fly_app),
            cookie => &ctx.fly_toml_cookie,
        },
    );
    validate(path, &text)?;
    Ok(Edited::new(Outcome::Write(text)))
}

fn update(ctx: &EditCtx, path: &Path, before: &str, warnings: &mut Vec<Warning>) -> Result<Edited> {
    // The reader turned every CRLF into LF, so a CR left here ended no line on disk: TOML allows
    // none anywhere (and toml_edit would drop it on output, losing a byte of the file).
    if let Some(at) = before.find('\r') {
        return Err(Error::input(
            path,
            Some(line_at(before, at)),
            "not valid TOML: a carriage return that does not end a line",
        )
        .with_help("fix the TOML at that line, then run `flycluster init` again"));
    }
    let parsed = Document::parse(before).map_err(|e| malformed(path, before, &e))?;

    // Lines are only known while the document still has its spans, so read them before editing.
    if let Some((key, item)) = parsed.get_key_value("app")
        && let Some(app) = item.as_str()
        && app != ctx.fly_app
    {
        warnings.push(
            Warning::new(
                FindingId::FlyAppMismatch,
                format!(
                    "`app` is `{app}` but the Fly app is `{}`; `{DNS_QUERY_KEY}` names `{}.internal`, \
                     which finds no nodes unless both are the same app",
                    ctx.fly_app, ctx.fly_app
                ),
            )
            .at(path, Some(key_line(before, key))),
        );
    }
    let env_lines: Vec<(String, usize)> = match parsed.get("env") {
        Some(item) => match item.as_table_like() {
            Some(env) => env
                .iter()
                .filter_map(|(name, _)| {
                    let key = env.key(name)?;
                    Some((name.to_owned(), key_line(before, key)))
                })
                .collect(),
            None => {
                let line = parsed.key("env").map(|k| key_line(before, k));
                return Err(Error::input(
                    path,
                    line,
                    format!("`env` is {}, not a table", item.type_name()),
                )
                .with_help(
                    "write the environment as an `[env]` table of `KEY = 'value'` entries",
                ));
            }
        },
        None => Vec::new(),
    };
    let line_of = |name: &str| {
        env_lines
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, line)| *line)
    };

    let mut doc = parsed.into_mut();
    // toml_edit writes some layouts back differently (dotted keys of one table split by other keys
    // come out grouped): then an edit would move the user's lines, so it is left to the user.
    let unedited = doc.to_string();
    let keeps_layout = unedited == before;
    let style = Style::of(&doc);
    if !doc.contains_key("env") {
        // Append after everything, trailing comments included, with a blank line before the header.
        let mut prefix = doc.trailing().as_str().unwrap_or_default().to_owned();
        doc.set_trailing("");
        if before.lines().last().is_some_and(|l| !l.trim().is_empty()) {
            prefix.push('\n');
        }
        let mut env = Table::new();
        env.decor_mut().set_prefix(prefix);
        env.set_position(Some(last_position(doc.as_table()) + 1));
        doc.insert("env", Item::Table(env));
    }
    let mut env = match doc.get_mut("env") {
        Some(Item::Table(t)) => EnvTable::Table(t),
        Some(Item::Value(Value::InlineTable(t))) => EnvTable::Inline(t),
        _ => unreachable!("`env` was checked to be a table above"),
    };

    if ctx.fly_toml_cookie.is_none()
        && let Some(line) = line_of(COOKIE_KEY)
    {
        warnings.push(
            Warning::new(
                FindingId::CookieInFlyToml,
                "`RELEASE_COOKIE` is set in plain text, readable by everyone with the repository; \
                 remove it and keep the cookie in a Fly secret (`fly secrets set RELEASE_COOKIE=...`)",
            )
            .at(path, Some(line)),
        );
    }

    for (name, value) in wanted_env(ctx) {
        match env.get(name) {
            None => env.insert(name, &value, &style),
            Some(Some(existing)) if existing == value => {}
            Some(existing) => {
                let line = line_of(name).unwrap_or(1);
                let shown_value = match existing {
                    Some(s) => format!("`{s}`"),
                    None => "not a string".to_owned(),
                };
                if ctx.force {
                    env.replace(name, &value, &style);
                } else {
                    let id = if name == COOKIE_KEY {
                        FindingId::CookieInFlyToml
                    } else {
                        FindingId::DnsClusterQueryMismatch
                    };
                    warnings.push(
                        Warning::new(
                            id,
                            format!(
                                "`{name}` is {shown_value}, not `{value}`; left as is (run with \
                                 `--force` to replace it)"
                            ),
                        )
                        .at(path, Some(line)),
                    );
                }
            }
        }
    }

    let after = doc.to_string();
    if after == unedited {
        return Ok(Edited::new(Outcome::Unchanged));
    }
    validate(path, &after)?;
    if !keeps_layout {
        let snippet = wanted_env(ctx)
            .into_iter()
            .map(|(name, value)| format!("{name} = {}", Value::from(value)))
            .collect::<Vec<_>>()
            .join("\n");
        return Ok(Edited::new(Outcome::Manual(crate::plan::ManualStep {
            // Only fly.toml's copy of the query is missing: the env.sh block sets it at boot, so
            // doctor has nothing but init's pending edit to report.
            id: FindingId::InitPending,
            path: path.to_path_buf(),
            location: "in the `[env]` table".into(),
            snippet,
            reason: "rewriting this fly.toml would move some of its lines (dotted keys split by \
                     other keys are written back grouped)"
                .into(),
        })));
    }
    Ok(Edited::from_text(Some(before), after))
}

/// What `flycluster doctor` reads from fly.toml: the app and the `[env]` entries, with their lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlyTomlView {
    /// `app` and its 1-based line.
    pub app: Option<(String, usize)>,
    pub env: Vec<EnvEntry>,
    /// `[http_service]` and each `[[services]]`, in file order.
    pub services: Vec<ServiceView>,
    /// The `[processes]` groups and their lines, and the line of the table.
    pub processes: Vec<(String, usize)>,
    pub processes_line: Option<usize>,
}

/// One service Fly Proxy routes to the app's Machines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceView {
    /// `[http_service]`, or `[[services]]` with its 1-based position (`[[services]] #2`).
    pub section: String,
    /// 1-based line of its header.
    pub line: usize,
    /// `auto_stop_machines` and its line; `None` when unset (Fly then stops nothing).
    pub auto_stop: Option<(AutoStop, usize)>,
    /// `min_machines_running` and its line.
    pub min_machines_running: Option<(i64, usize)>,
    /// `internal_port`, the port inside the Machine the service forwards to, and its line.
    pub internal_port: Option<(i64, usize)>,
}

/// `auto_stop_machines`: `"off"` (or `false`), `"stop"` (or `true`), `"suspend"`, as Fly's docs
/// list them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AutoStop {
    Off,
    Stop,
    Suspend,
    /// A value Fly does not document, as written.
    Other(String),
}

impl AutoStop {
    fn of(value: &Item) -> AutoStop {
        if let Some(b) = value.as_bool() {
            return if b { AutoStop::Stop } else { AutoStop::Off };
        }
        match value.as_str().map(str::to_ascii_lowercase).as_deref() {
            Some("off") => AutoStop::Off,
            Some("stop") => AutoStop::Stop,
            Some("suspend") => AutoStop::Suspend,
            _ => AutoStop::Other(
                value
                    .as_str()
                    .map_or_else(|| value.to_string().trim().to_owned(), str::to_owned),
            ),
        }
    }

    /// Idle Machines are stopped or suspended.
    pub fn stops(&self) -> bool {
        matches!(self, AutoStop::Stop | AutoStop::Suspend)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvEntry {
    pub name: String,
    /// `None` when the value is not a string.
    pub value: Option<String>,
    /// 1-based line of the key.
    pub line: usize,
}

impl FlyTomlView {
    pub fn env(&self, name: &str) -> Option<&EnvEntry> {
        self.env.iter().find(|e| e.name == name)
    }
}

/// Reads fly.toml without editing it; malformed TOML is the same error init reports.
pub fn read_view(path: &Path, text: &str) -> Result<FlyTomlView> {
    let parsed = Document::parse(text).map_err(|e| malformed(path, text, &e))?;
    let app = parsed.get_key_value("app").and_then(|(key, item)| {
        item.as_str()
            .map(|app| (app.to_owned(), key_line(text, key)))
    });
    let env = match parsed.get("env") {
        None => Vec::new(),
        Some(item) => {
            let Some(env) = item.as_table_like() else {
                let line = parsed.key("env").map(|k| key_line(text, k));
                return Err(Error::input(
                    path,
                    line,
                    format!("`env` is {}, not a table", item.type_name()),
                )
                .with_help(
                    "write the environment as an `[env]` table of `KEY = 'value'` entries",
                ));
            };
            env.iter()
                .map(|(name, value)| EnvEntry {
                    name: name.to_owned(),
                    value: value.as_str().map(str::to_owned),
                    line: env.key(name).map_or(1, |k| key_line(text, k)),
                })
                .collect()
        }
    };
    let mut services = Vec::new();
    if let Some(http) = parsed.get("http_service").and_then(Item::as_table_like) {
        let line = parsed.key("http_service").map_or(1, |k| key_line(text, k));
        services.push(service_view(text, "[http_service]".into(), line, http));
    }
    if let Some(array) = parsed.get("services").and_then(Item::as_array_of_tables) {
        for (i, table) in array.iter().enumerate() {
            let line = table.span().map_or(1, |span| line_at(text, span.start));
            services.push(service_view(
                text,
                format!("[[services]] #{}", i + 1),
                line,
                table,
            ));
        }
    }
    let (processes, processes_line) = match parsed.get("processes").and_then(Item::as_table_like) {
        Some(table) => (
            table
                .iter()
                .map(|(name, _)| {
                    let line = table.key(name).map_or(1, |k| key_line(text, k));
                    (name.to_owned(), line)
                })
                .collect(),
            parsed.key("processes").map(|k| key_line(text, k)),
        ),
        None => (Vec::new(), None),
    };
    Ok(FlyTomlView {
        app,
        env,
        services,
        processes,
        processes_line,
    })
}

fn service_view(
    text: &str,
    section: String,
    line: usize,
    table: &dyn toml_edit::TableLike,
) -> ServiceView {
    let with_line = |name: &str| {
        let item = table.get(name)?;
        Some((item, table.key(name).map_or(line, |k| key_line(text, k))))
    };
    ServiceView {
        section,
        line,
        auto_stop: with_line("auto_stop_machines").map(|(v, l)| (AutoStop::of(v), l)),
        min_machines_running: with_line("min_machines_running")
            .and_then(|(v, l)| Some((v.as_integer()?, l))),
        internal_port: with_line("internal_port").and_then(|(v, l)| Some((v.as_integer()?, l))),
    }
}

/// The `[env]` table in either of its spellings: a `[env]` section or `env = { ... }`.
enum EnvTable<'a> {
    Table(&'a mut Table),
    Inline(&'a mut InlineTable),
}

impl EnvTable<'_> {
    /// `None`: no such key; `Some(None)`: the key holds something other than a string.
    fn get(&self, name: &str) -> Option<Option<&str>> {
        match self {
            EnvTable::Table(t) => t.get(name).map(Item::as_str),
            EnvTable::Inline(t) => t.get(name).map(Value::as_str),
        }
    }

    /// Add `name` after the table's last key, written the way the table's other keys are.
    fn insert(&mut self, name: &str, value: &str, style: &Style) {
        match self {
            EnvTable::Table(t) => {
                let indent = last_key_indent(t).unwrap_or_else(|| style.indent.clone());
                let key = Key::new(name).with_leaf_decor(Decor::new(indent, " "));
                let quote = table_quote(t.iter().filter_map(|(_, item)| item.as_value()))
                    .unwrap_or(style.quote);
                t.insert_formatted(&key, Item::Value(string_value(value, quote)));
            }
            EnvTable::Inline(t) => {
                let quote = table_quote(t.iter().map(|(_, v)| v)).unwrap_or(style.quote);
                let mut value = string_value(value, quote);
                // Inline entries are written `{ A = 'x', B = 'y' }`; the space before `}` lives in the
                // last value's suffix, so move it from the old last value to the new one.
                let trailing = t
                    .iter_mut()
                    .last()
                    .and_then(|(_, v)| {
                        let suffix = v.decor().suffix().cloned();
                        v.decor_mut().set_suffix("");
                        suffix
                    })
                    .unwrap_or_else(|| " ".into());
                *value.decor_mut() = Decor::new(" ", trailing);
                let key = Key::new(name).with_leaf_decor(Decor::new(" ", " "));
                t.insert_formatted(&key, value);
            }
        }
    }

    /// Put `value` in place of the key's current value, keeping its comment and spacing.
    fn replace(&mut self, name: &str, value: &str, style: &Style) {
        let old = match self {
            EnvTable::Table(t) => t.get_mut(name).and_then(Item::as_value_mut),
            EnvTable::Inline(t) => t.get_mut(name),
        };
        let Some(old) = old else {
            return;
        };
        let quote = quote_of(old).unwrap_or(style.quote);
        let mut new = string_value(value, quote);
        *new.decor_mut() = old.decor().clone();
        *old = new;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    /// `"..."`, a basic string.
    Double,
    /// `'...'`, a literal string (what `fly launch` writes).
    Single,
}

/// How the document writes things, for keys added where the table itself gives no hint.
struct Style {
    indent: String,
    quote: Quote,
}

impl Style {
    fn of(doc: &DocumentMut) -> Style {
        let root = doc.as_table();
        let mut indent = None;
        let mut quote = None;
        visit_tables(root, &mut |t| {
            // Root keys sit at the margin whatever the style, so only tables under a header count.
            if indent.is_none() && !std::ptr::eq(t, root) {
                indent = first_key_indent(t);
            }
            if quote.is_none() {
                quote = table_quote(t.iter().filter_map(|(_, item)| item.as_value()));
            }
        });
        Style {
            indent: indent.unwrap_or_else(|| DEFAULT_INDENT.to_owned()),
            quote: quote.unwrap_or(Quote::Double),
        }
    }
}

fn visit_tables(table: &Table, f: &mut impl FnMut(&Table)) {
    f(table);
    for (_, item) in table.iter() {
        match item {
            Item::Table(t) => visit_tables(t, f),
            Item::ArrayOfTables(a) => a.iter().for_each(|t| visit_tables(t, f)),
            _ => {}
        }
    }
}

fn last_position(root: &Table) -> isize {
    let mut last = 0;
    visit_tables(root, &mut |t| last = last.max(t.position().unwrap_or(0)));
    last
}

/// The whitespace before a key on its line (its decor may also hold comment lines above it).
fn indent_of(key: &Key) -> Option<String> {
    let prefix = key.leaf_decor().prefix()?.as_str()?;
    let indent = prefix.rsplit('\n').next().unwrap_or(prefix);
    indent
        .chars()
        .all(|c| c == ' ' || c == '\t')
        .then(|| indent.to_owned())
}

fn last_key_indent(t: &Table) -> Option<String> {
    let (name, _) = t.iter().filter(|(_, item)| item.is_value()).last()?;
    indent_of(t.key(name)?)
}

fn first_key_indent(t: &Table) -> Option<String> {
    let (name, _) = t.iter().find(|(_, item)| item.is_value())?;
    indent_of(t.key(name)?)
}

fn quote_of(value: &Value) -> Option<Quote> {
    let Value::String(s) = value else {
        return None;
    };
    let raw = s.as_repr()?.as_raw().as_str()?;
    if raw.starts_with('\'') {
        Some(Quote::Single)
    } else {
        Some(Quote::Double)
    }
}

/// The quote style of the last string among `values`.
fn table_quote<'a>(values: impl Iterator<Item = &'a Value>) -> Option<Quote> {
    values.filter_map(quote_of).last()
}

fn string_value(value: &str, quote: Quote) -> Value {
    let literal_ok = !value.contains(['\'', '\n', '\r']);
    let repr = if quote == Quote::Single && literal_ok {
        format!("'{value}'")
    } else {
        // A basic string, escaped as toml_edit would.
        Value::from(value).to_string().trim().to_owned()
    };
    let mut v: Value = repr.parse().expect("a quoted string is a valid TOML value");
    v.decor_mut().clear();
    v
}

fn key_line(text: &str, key: &Key) -> usize {
    key.span().map_or(1, |span| line_at(text, span.start))
}

/// 1-based line of a byte offset.
fn line_at(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn malformed(path: &Path, text: &str, e: &toml_edit::TomlError) -> Error {
    let line = e.span().map(|span| line_at(text, span.start));
    let message = e.message().lines().next().unwrap_or("").trim_end();
    Error::input(path, line, format!("not valid TOML: {message}"))
        .with_help("fix the TOML at that line, then run `flycluster init` again")
}

/// Our own output must parse; anything else is a bug and is never written.
fn validate(path: &Path, text: &str) -> Result<()> {
    match Document::parse(text) {
        Ok(_) => Ok(()),
        Err(e) => Err(Error::Invalid {
            path: path.to_path_buf(),
            message: format!("the new fly.toml is not valid TOML: {}", e.message()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::test_ctx;

    /// What `fly launch` writes for a Phoenix app (flyctl 0.2+: single quotes, two-space indent).
    const FLY_LAUNCH: &str = "\
# fly.toml app configuration file generated for hello-elixir on 2024-05-02T10:12:33+02:00
#
# See https://fly.io/docs/reference/configuration/ for information about how to use this file.
#

app = 'hello-elixir'
primary_region = 'cdg'
kill_signal = 'SIGTERM'

[build]

[deploy]
  release_command = '/app/bin/migrate'

[env]
  PHX_HOST = 'hello-elixir.fly.dev'
  PORT = '8080'

[http_service]
  internal_port = 8080
  force_https = true
  auto_stop_machines = 'stop'
  auto_start_machines = true
  min_machines_running = 0
  processes = ['app']

  [http_service.concurrency]
    type = 'connections'
    hard_limit = 1000
    soft_limit = 1000

[[vm]]
  memory = '1gb'
  cpu_kind = 'shared'
  cpus = 1
";

    fn path() -> &'static Path {
        Path::new("fly.toml")
    }

    #[test]
    fn an_external_database_takes_ecto_ipv6_out_of_env() {
        let ctx = EditCtx {
            database: Database::External,
            ..test_ctx()
        };
        let before = FLY_LAUNCH.replace(
            "  PORT = '8080'\n",
            "  PORT = '8080'\n  # for Fly Postgres\n  ECTO_IPV6 = 'true'\n",
        );
        let (after, warnings) = written(&ctx, Some(&before));
        assert_added_only(
            &before.replace("  ECTO_IPV6 = 'true'\n", ""),
            &after,
            &["  DNS_CLUSTER_QUERY = 'hello-elixir.internal'"],
        );
        assert!(!after.contains("ECTO_IPV6"), "{after}");
        assert!(
            warnings.iter().any(|w| w.starts_with(
                "`fly.toml` line 19: `ECTO_IPV6` taken out of `[env]`: the database is outside Fly"
            )),
            "{warnings:?}"
        );
        // A value that turns IPv6 off, and every other database choice, leave it.
        let off = before.replace("'true'", "'false'");
        assert!(written(&ctx, Some(&off)).0.contains("ECTO_IPV6 = 'false'"));
        assert!(
            written(&test_ctx(), Some(&before))
                .0
                .contains("ECTO_IPV6 = 'true'")
        );
        // An inline `env` keeps it, with the line to change.
        let inline = "app = 'hello-elixir'\nenv = { ECTO_IPV6 = 'true', DNS_CLUSTER_QUERY = 'hello-elixir.internal' }\n";
        let edited = plan_with(&ctx, Some(inline));
        assert_eq!(edited.outcome, Outcome::Unchanged);
        assert!(
            edited.warnings[0]
                .text()
                .starts_with("`fly.toml` line 2: remove `ECTO_IPV6` from `env`")
        );
        assert_eq!(edited.warnings[0].id, FindingId::EctoIpv6External.into());
    }

    #[test]
    fn doctor_reads_services_and_process_groups_with_their_lines() {
        let text = "app = 'a'\n\n[processes]\n  app = 'bin/server'\n  worker = 'bin/worker'\n\n[http_service]\n  internal_port = 8080\n  auto_stop_machines = true\n\n[[services]]\n  internal_port = 4369\n  auto_stop_machines = 'off'\n  min_machines_running = 1\n";
        let view = read_view(path(), text).unwrap();
        assert_eq!(
            view.processes,
            [("app".to_string(), 4), ("worker".to_string(), 5)]
        );
        assert_eq!(view.processes_line, Some(3));
        assert_eq!(
            view.services,
            [
                ServiceView {
                    section: "[http_service]".into(),
                    line: 7,
                    auto_stop: Some((AutoStop::Stop, 9)),
                    min_machines_running: None,
                    internal_port: Some((8080, 8)),
                },
                ServiceView {
                    section: "[[services]] #1".into(),
                    line: 11,
                    auto_stop: Some((AutoStop::Off, 13)),
                    min_machines_running: Some((1, 14)),
                    internal_port: Some((4369, 12)),
                },
            ]
        );
        for (value, expected) in [
            ("false", AutoStop::Off),
            ("'suspend'", AutoStop::Suspend),
            ("'Stop'", AutoStop::Stop),
            ("'sometimes'", AutoStop::Other("sometimes".into())),
        ] {
            let text = format!("[http_service]\n  auto_stop_machines = {value}\n");
            let view = read_view(path(), &text).unwrap();
            assert_eq!(view.services[0].auto_stop, Some((expected, 2)), "{value}");
        }
    }

    fn plan_with(ctx: &EditCtx, before: Option<&str>) -> Edited {
        plan(ctx, path(), before).expect("plans")
    }

    /// The new text, after checking that planning it again changes nothing.
    fn written(ctx: &EditCtx, before: Option<&str>) -> (String, Vec<String>) {
        let edited = plan_with(ctx, before);
        let Outcome::Write(after) = edited.outcome else {
            panic!("expected a write, got {:?}", edited.outcome);
        };
        assert_unchanged_on_rerun(ctx, &after);
        (after, crate::plan::texts(&edited.warnings))
    }

    fn assert_unchanged_on_rerun(ctx: &EditCtx, text: &str) {
        let again = plan_with(ctx, Some(text));
        assert_eq!(again.outcome, Outcome::Unchanged, "second run on:\n{text}");
    }

    /// `after` is `before` with exactly `added` lines inserted, every other line as it was.
    fn assert_added_only(before: &str, after: &str, added: &[&str]) {
        let mut rest: Vec<&str> = after.lines().collect();
        for line in before.lines() {
            let i = rest
                .iter()
                .position(|l| *l == line)
                .unwrap_or_else(|| panic!("line {line:?} lost in:\n{after}"));
            rest.remove(i);
        }
        assert_eq!(rest, added, "in:\n{after}");
        // And in the same order: removing the added lines gives back the original.
        let kept: Vec<&str> = after.lines().filter(|l| !added.contains(l)).collect();
        assert_eq!(kept, before.lines().collect::<Vec<_>>());
    }

    fn with_cookie(cookie: &str) -> EditCtx {
        EditCtx {
            fly_toml_cookie: Some(cookie.into()),
            ..test_ctx()
        }
    }

    fn forced() -> EditCtx {
        EditCtx {
            force: true,
            ..test_ctx()
        }
    }

    #[test]
    fn fly_launch_env_gets_the_query_after_its_last_key_in_its_style() {
        let (after, warnings) = written(&test_ctx(), Some(FLY_LAUNCH));
        assert_added_only(
            FLY_LAUNCH,
            &after,
            &["  DNS_CLUSTER_QUERY = 'hello-elixir.internal'"],
        );
        assert!(after.contains(
            "  PORT = '8080'\n  DNS_CLUSTER_QUERY = 'hello-elixir.internal'\n\n[http_service]\n"
        ));
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn double_quotes_and_indent_of_the_table_are_kept() {
        let before = "app = \"hello-elixir\"\n\n[env]\n    PHX_HOST = \"hello-elixir.fly.dev\"  # public\n\n[[services]]\n  internal_port = 8080\n  protocol = \"tcp\"\n\n  [[services.ports]]\n    handlers = [\"http\"]\n    port = 80\n";
        let (after, _) = written(&test_ctx(), Some(before));
        assert_added_only(
            before,
            &after,
            &["    DNS_CLUSTER_QUERY = \"hello-elixir.internal\""],
        );
    }

    #[test]
    fn unindented_keys_stay_unindented() {
        let before = "app = 'hello-elixir'\n\n[env]\nPHX_HOST = 'hello-elixir.fly.dev'\n";
        let (after, _) = written(&test_ctx(), Some(before));
        assert_added_only(
            before,
            &after,
            &["DNS_CLUSTER_QUERY = 'hello-elixir.internal'"],
        );
    }

    #[test]
    fn comment_lines_in_env_do_not_change_the_indent() {
        let before = "app = 'hello-elixir'\n\n[env]\n  # the public host\n  PHX_HOST = 'hello-elixir.fly.dev'\n  # trailing note\n";
        let (after, _) = written(&test_ctx(), Some(before));
        assert_added_only(
            before,
            &after,
            &["  DNS_CLUSTER_QUERY = 'hello-elixir.internal'"],
        );
    }

    #[test]
    fn missing_env_table_is_added_at_the_end_like_fly_launch_writes_it() {
        let before = "app = 'hello-elixir'\nprimary_region = 'cdg'\n\n[http_service]\n  internal_port = 8080\n  force_https = true\n\n[[vm]]\n  memory = '1gb'\n";
        let (after, _) = written(&test_ctx(), Some(before));
        assert_eq!(
            after,
            format!("{before}\n[env]\n  DNS_CLUSTER_QUERY = 'hello-elixir.internal'\n")
        );
    }

    #[test]
    fn missing_env_table_in_a_file_of_top_level_keys() {
        let before = "app = \"hello-elixir\"\n";
        let (after, _) = written(&test_ctx(), Some(before));
        assert_eq!(
            after,
            "app = \"hello-elixir\"\n\n[env]\n  DNS_CLUSTER_QUERY = \"hello-elixir.internal\"\n"
        );
    }

    #[test]
    fn empty_env_followed_by_another_table() {
        let before = "app = 'hello-elixir'\n\n[env]\n\n[http_service]\n  internal_port = 8080\n";
        let (after, _) = written(&test_ctx(), Some(before));
        assert_eq!(
            after,
            "app = 'hello-elixir'\n\n[env]\n  DNS_CLUSTER_QUERY = 'hello-elixir.internal'\n\n[http_service]\n  internal_port = 8080\n"
        );
    }

    #[test]
    fn inline_env_table_gets_the_key_inside_it() {
        let before = "app = 'hello-elixir'\nenv = { PHX_HOST = 'hello-elixir.fly.dev' }\n\n[http_service]\n  internal_port = 8080\n";
        let (after, _) = written(&test_ctx(), Some(before));
        assert_eq!(
            after,
            "app = 'hello-elixir'\nenv = { PHX_HOST = 'hello-elixir.fly.dev', DNS_CLUSTER_QUERY = 'hello-elixir.internal' }\n\n[http_service]\n  internal_port = 8080\n"
        );
    }

    #[test]
    fn empty_inline_env_table() {
        let before = "app = 'hello-elixir'\nenv = {}\n";
        let (after, _) = written(&test_ctx(), Some(before));
        assert_eq!(
            after,
            "app = 'hello-elixir'\nenv = { DNS_CLUSTER_QUERY = 'hello-elixir.internal' }\n"
        );
    }

    #[test]
    fn old_services_format_is_left_alone() {
        let before = "app = \"hello-elixir\"\nkill_signal = \"SIGTERM\"\nkill_timeout = 5\nprocesses = []\n\n[env]\n\n[experimental]\n  allowed_public_ports = []\n  auto_rollback = true\n\n[[services]]\n  http_checks = []\n  internal_port = 8080\n  processes = [\"app\"]\n  protocol = \"tcp\"\n  script_checks = []\n  [services.concurrency]\n    hard_limit = 25\n    soft_limit = 20\n    type = \"connections\"\n\n  [[services.ports]]\n    force_https = true\n    handlers = [\"http\"]\n    port = 80\n\n  [[services.tcp_checks]]\n    grace_period = \"1s\"\n    interval = \"15s\"\n    restart_limit = 0\n    timeout = \"2s\"\n";
        let (after, _) = written(&test_ctx(), Some(before));
        assert_added_only(
            before,
            &after,
            &["  DNS_CLUSTER_QUERY = \"hello-elixir.internal\""],
        );
        assert!(after.contains(
            "[env]\n  DNS_CLUSTER_QUERY = \"hello-elixir.internal\"\n\n[experimental]\n"
        ));
    }

    #[test]
    fn already_configured_is_unchanged() {
        let before =
            "app = 'hello-elixir'\n\n[env]\n  DNS_CLUSTER_QUERY = \"hello-elixir.internal\"\n";
        let edited = plan_with(&test_ctx(), Some(before));
        assert_eq!(edited, Edited::new(Outcome::Unchanged));
    }

    #[test]
    fn conflicting_query_is_reported_with_its_line_and_left_alone() {
        let before = "app = 'hello-elixir'\n\n[env]\n  PHX_HOST = 'hello-elixir.fly.dev'\n  DNS_CLUSTER_QUERY = 'other-app.internal'\n";
        let edited = plan_with(&test_ctx(), Some(before));
        assert_eq!(edited.outcome, Outcome::Unchanged);
        assert_eq!(
            crate::plan::texts(&edited.warnings),
            [
                "`fly.toml` line 5: `DNS_CLUSTER_QUERY` is `other-app.internal`, not \
              `hello-elixir.internal`; left as is (run with `--force` to replace it)"
            ]
        );
    }

    #[test]
    fn conflicting_query_is_replaced_with_force_keeping_its_comment() {
        let before = "app = 'hello-elixir'\n\n[env]\n  DNS_CLUSTER_QUERY = 'other-app.internal' # cluster\n  PORT = '8080'\n";
        let (after, warnings) = written(&forced(), Some(before));
        assert_eq!(
            after,
            "app = 'hello-elixir'\n\n[env]\n  DNS_CLUSTER_QUERY = 'hello-elixir.internal' # cluster\n  PORT = '8080'\n"
        );
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn a_query_that_is_not_a_string_is_a_conflict() {
        let before = "[env]\n  DNS_CLUSTER_QUERY = 1\n";
        let edited = plan_with(&test_ctx(), Some(before));
        assert_eq!(edited.outcome, Outcome::Unchanged);
        assert_eq!(
            crate::plan::texts(&edited.warnings),
            [
                "`fly.toml` line 2: `DNS_CLUSTER_QUERY` is not a string, not \
              `hello-elixir.internal`; left as is (run with `--force` to replace it)"
            ]
        );
        let (after, _) = written(&forced(), Some(before));
        assert_eq!(
            after,
            "[env]\n  DNS_CLUSTER_QUERY = \"hello-elixir.internal\"\n"
        );
    }

    #[test]
    fn cookie_goes_into_env_with_a_warning() {
        let ctx = with_cookie("c2VjcmV0LWNvb2tpZQ==");
        let (after, warnings) = written(&ctx, Some(FLY_LAUNCH));
        assert_added_only(
            FLY_LAUNCH,
            &after,
            &[
                "  DNS_CLUSTER_QUERY = 'hello-elixir.internal'",
                "  RELEASE_COOKIE = 'c2VjcmV0LWNvb2tpZQ=='",
            ],
        );
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("usually committed"), "{warnings:?}");
        assert!(warnings[0].contains("--cookie secret"), "{warnings:?}");
    }

    #[test]
    fn another_cookie_is_a_conflict_unless_forced() {
        let before =
            "[env]\n  RELEASE_COOKIE = 'old'\n  DNS_CLUSTER_QUERY = 'hello-elixir.internal'\n";
        let ctx = with_cookie("new");
        let edited = plan_with(&ctx, Some(before));
        assert_eq!(edited.outcome, Outcome::Unchanged);
        assert_eq!(edited.warnings.len(), 2, "{:?}", edited.warnings);
        assert!(
            edited.warnings[1]
                .text()
                .starts_with("`fly.toml` line 2: `RELEASE_COOKIE` is `old`")
        );

        let ctx = EditCtx { force: true, ..ctx };
        let (after, _) = written(&ctx, Some(before));
        assert_eq!(
            after,
            "[env]\n  RELEASE_COOKIE = 'new'\n  DNS_CLUSTER_QUERY = 'hello-elixir.internal'\n"
        );
    }

    #[test]
    fn a_cookie_in_fly_toml_without_cookie_mode_is_flagged() {
        let before =
            "[env]\n  DNS_CLUSTER_QUERY = 'hello-elixir.internal'\n  RELEASE_COOKIE = 'abc'\n";
        let edited = plan_with(&test_ctx(), Some(before));
        assert_eq!(edited.outcome, Outcome::Unchanged);
        assert_eq!(edited.warnings.len(), 1, "{:?}", edited.warnings);
        assert!(
            edited.warnings[0]
                .text()
                .starts_with("`fly.toml` line 3: `RELEASE_COOKIE` is set in plain text")
        );
    }

    #[test]
    fn another_app_name_is_warned_about() {
        let before = "app = 'hello-elixir-staging'\n\n[env]\n  PORT = '8080'\n";
        let (after, warnings) = written(&test_ctx(), Some(before));
        assert_added_only(
            before,
            &after,
            &["  DNS_CLUSTER_QUERY = 'hello-elixir.internal'"],
        );
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with(
                "`fly.toml` line 1: `app` is `hello-elixir-staging` but the Fly app is `hello-elixir`"
            ),
            "{warnings:?}"
        );
    }

    #[test]
    fn malformed_toml_names_the_file_and_line() {
        let before = "app = 'hello-elixir'\n\n[env]\n  PORT = '8080\n  PHX_HOST = 'x'\n";
        let err = plan(&test_ctx(), path(), Some(before)).unwrap_err();
        let Error::Input { path, line, .. } = &err else {
            panic!("expected an input error, got {err:?}");
        };
        assert_eq!(path, Path::new("fly.toml"));
        assert_eq!(*line, Some(4));
        assert!(
            err.to_string()
                .starts_with("`fly.toml` line 4: not valid TOML"),
            "{err}"
        );
        assert!(err.help().is_some());
    }

    /// Found by fuzzing: a stray CR (a file ending in `\r`, or `\r\r\n`) reaches the editor as
    /// `\r\n`, which toml_edit writes back as `\n`. TOML forbids a lone CR, so it is refused.
    #[test]
    fn a_stray_carriage_return_is_malformed_at_its_line() {
        for (before, line) in [("\r\n", 1), ("app = 'a'\n# c\r\n", 2), ("app = 'a'\r\n", 1)] {
            let err = plan(&test_ctx(), path(), Some(before)).unwrap_err();
            assert!(
                matches!(err, Error::Input { line: Some(l), .. } if l == line),
                "{err:?}"
            );
        }
    }

    /// Found by fuzzing: toml_edit writes dotted keys of one table back grouped, so an edit would
    /// have moved `b = 2` below `a.y`. Such a file gets a manual step instead.
    #[test]
    fn a_layout_toml_edit_would_change_is_a_manual_step() {
        let before = "app = 'hello-elixir'\n\n[http_service]\n  a.x = 1\n  b = 2\n  a.y = 3\n";
        let edited = plan(&test_ctx(), path(), Some(before)).unwrap();
        let Outcome::Manual(step) = edited.outcome else {
            panic!("expected a manual step, got {:?}", edited.outcome);
        };
        assert_eq!(
            step.snippet,
            "DNS_CLUSTER_QUERY = \"hello-elixir.internal\""
        );
        // Nothing to add: nothing to do, whatever the layout.
        let done = format!("{before}\n[env]\n  DNS_CLUSTER_QUERY = 'hello-elixir.internal'\n");
        assert_eq!(
            plan(&test_ctx(), path(), Some(&done)).unwrap().outcome,
            Outcome::Unchanged
        );
    }

    #[test]
    fn duplicate_key_is_malformed_at_its_line() {
        let before = "app = 'a'\n[env]\n  PORT = '1'\n\n  PORT = '2'\n";
        let err = plan(&test_ctx(), path(), Some(before)).unwrap_err();
        assert!(matches!(err, Error::Input { line: Some(5), .. }), "{err:?}");
    }

    #[test]
    fn env_that_is_not_a_table_is_bad_input() {
        let before = "app = 'a'\nenv = 'PORT=8080'\n";
        let err = plan(&test_ctx(), path(), Some(before)).unwrap_err();
        assert!(matches!(err, Error::Input { line: Some(2), .. }), "{err:?}");
        assert!(
            err.to_string().contains("`env` is string, not a table"),
            "{err}"
        );
    }

    #[test]
    fn missing_fly_toml_is_created_from_the_template() {
        let (after, warnings) = written(&test_ctx(), None);
        assert!(warnings.is_empty(), "{warnings:?}");
        let doc: DocumentMut = after.parse().unwrap();
        assert_eq!(doc["app"].as_str(), Some("hello-elixir"));
        assert_eq!(doc["kill_signal"].as_str(), Some("SIGTERM"));
        assert_eq!(
            doc["env"]["PHX_HOST"].as_str(),
            Some("hello-elixir.fly.dev")
        );
        assert_eq!(doc["env"]["PORT"].as_str(), Some("8080"));
        assert_eq!(
            doc["env"]["DNS_CLUSTER_QUERY"].as_str(),
            Some("hello-elixir.internal")
        );
        assert!(doc["env"].get("RELEASE_COOKIE").is_none());
        assert_eq!(
            doc["http_service"]["internal_port"].as_integer(),
            Some(8080)
        );
        assert_eq!(doc["vm"][0]["memory"].as_str(), Some("1gb"));
        assert!(after.contains("\n[env]\n  PHX_HOST = 'hello-elixir.fly.dev'\n"));
    }

    #[test]
    fn missing_fly_toml_with_the_cookie() {
        let (after, warnings) = written(&with_cookie("c2VjcmV0LWNvb2tpZQ=="), None);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(after.contains(
            "  DNS_CLUSTER_QUERY = 'hello-elixir.internal'\n  RELEASE_COOKIE = 'c2VjcmV0LWNvb2tpZQ=='\n\n[http_service]"
        ));
    }

    #[test]
    fn new_env_table_goes_after_trailing_comments() {
        let before = "[http_service]\n  internal_port = 8080\n# the end\n";
        let (after, _) = written(&test_ctx(), Some(before));
        assert_eq!(
            after,
            format!("{before}\n[env]\n  DNS_CLUSTER_QUERY = \"hello-elixir.internal\"\n")
        );
        let before = "app = 'hello-elixir'\n\n";
        let (after, _) = written(&test_ctx(), Some(before));
        assert_eq!(
            after,
            format!("{before}[env]\n  DNS_CLUSTER_QUERY = 'hello-elixir.internal'\n")
        );
    }

    #[test]
    fn empty_file_gets_just_the_env_table() {
        let (after, _) = written(&test_ctx(), Some(""));
        assert_eq!(
            after,
            "[env]\n  DNS_CLUSTER_QUERY = \"hello-elixir.internal\"\n"
        );
    }

    #[test]
    fn dotted_env_keys_at_the_top_level() {
        let before =
            "app = 'hello-elixir'\nenv.PORT = '8080'\n\n[http_service]\n  internal_port = 8080\n";
        let (after, _) = written(&test_ctx(), Some(before));
        assert_added_only(
            before,
            &after,
            &["env.DNS_CLUSTER_QUERY = 'hello-elixir.internal'"],
        );
    }

    #[test]
    fn line_at_counts_from_one() {
        assert_eq!(line_at("a\nb\nc", 0), 1);
        assert_eq!(line_at("a\nb\nc", 2), 2);
        assert_eq!(line_at("a\nb\nc", 4), 3);
        assert_eq!(line_at("a\n", 99), 2);
    }
}
