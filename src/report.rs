//! What the user reads about a plan: diffs, warnings, manual steps, the per-file summary, next steps,
//! and the same as one JSON document for `--format json`.

use crate::cookie::{self, CookieMode};
use crate::edit::Database;
use crate::output::{self, Style, Text};
use crate::plan::{Action, Kind, Plan};
use crate::preview;
use serde_json::json;

/// Whatever the report needs besides the plan.
pub struct Context<'a> {
    pub otp_app: &'a str,
    pub fly_app: &'a str,
    pub cookie: &'a str,
    pub cookie_mode: CookieMode,
    /// The cookie was stored with `fly secrets set --stage` already.
    pub secret_set: bool,
    /// `--database`, given, asked or defaulted.
    pub database: Database,
    /// The project uses Ecto on a network database.
    pub has_ecto_repo: bool,
}

/// What the `--database` choice did, for the summary.
pub fn database_line(ctx: &Context<'_>) -> String {
    let text = match ctx.database {
        Database::Fly if !ctx.has_ecto_repo => {
            "the database is on Fly (`--database fly`): ECTO_IPV6=\"true\", for a Repo the project does not have yet"
        }
        Database::Fly => {
            "the database is on Fly (`--database fly`): ECTO_IPV6=\"true\" and the Repo's `socket_options: maybe_ipv6`, so Ecto reaches it over IPv6; pass `--database external` for a database outside Fly"
        }
        Database::External => {
            "the database is outside Fly (`--database external`): ECTO_IPV6 is left out, so the Repo connects over IPv4 (given ECTO_IPV6=true, Postgrex asks only for IPv6 addresses, and an IPv4-only host fails with `:nxdomain`)"
        }
        Database::None if ctx.has_ecto_repo => {
            "no database (`--database none`): ECTO_IPV6 and the Repo's config are left as they are"
        }
        Database::None => "no database: the project has no Ecto repo, so ECTO_IPV6 is left alone",
    };
    format!("\n{text}\n")
}

/// Next steps with the app name filled in.
pub fn next_steps(plan: &Plan, ctx: &Context<'_>) -> Vec<String> {
    let mut steps = Vec::new();
    let deps_changed = plan
        .changes
        .iter()
        .any(|c| c.kind == Kind::Deps && c.action.writes());
    if deps_changed {
        steps.push("mix deps.get   # fetch the new dependency and update mix.lock".to_string());
    }
    // What `fly secrets list` should show: one step for everything to check there.
    let mut to_check: Vec<&str> = Vec::new();
    match ctx.cookie_mode {
        CookieMode::Secret if ctx.secret_set => steps.push(
            "the release cookie is staged as a Fly secret; it takes effect with the next deploy"
                .into(),
        ),
        CookieMode::Secret => steps.push(format!(
            "{}   # once per app: nodes must share one cookie",
            cookie::secrets_command(ctx.cookie, ctx.fly_app)
        )),
        CookieMode::FlyToml => {}
        CookieMode::None => {
            to_check.push("make sure RELEASE_COOKIE is set, or every deploy gets a new cookie")
        }
    }
    match ctx.database {
        Database::Fly if ctx.has_ecto_repo => to_check.push(
            "DATABASE_URL must name the Fly Postgres database; the Repo reaches it over IPv6",
        ),
        Database::External => to_check
            .push("DATABASE_URL must name the external database; the Repo reaches it over IPv4"),
        _ => {}
    }
    if !to_check.is_empty() {
        steps.push(format!(
            "fly secrets list --app {}   # {}",
            ctx.fly_app,
            to_check.join("; ")
        ));
    }
    steps.push("fly deploy".into());
    steps.push(format!("fly scale count 2 --app {}", ctx.fly_app));
    steps.push(format!(
        "fly ssh console --pty -C \"/app/bin/{} remote\" --app {}   # then: Node.list()",
        ctx.otp_app, ctx.fly_app
    ));
    steps.push(
        "flycluster verify   # every Machine's view: which node sees which, and why a pair is not connected"
            .into(),
    );
    steps
}

/// All diffs of the plan, in plan order.
pub fn diffs(plan: &Plan) -> String {
    plan.changes
        .iter()
        .map(preview::unified_diff)
        .collect::<Vec<_>>()
        .join("")
}

/// Warnings and manual steps, for stderr.
pub fn notices(plan: &Plan) -> Text {
    let mut text = warnings(plan);
    text.append(manual_steps(plan));
    text
}

/// One `warning:` line each.
pub fn warnings(plan: &Plan) -> Text {
    let mut text = Text::new();
    for w in &plan.warnings {
        text.append(output::labelled(
            Style::Warning,
            "warning",
            &format!("{}\n", w.text()),
        ));
    }
    text
}

/// Each manual step with its snippet and where it goes.
pub fn manual_steps(plan: &Plan) -> Text {
    let mut out = Text::new();
    for step in &plan.manual {
        // A step with nothing to add (remove a service) says what to do in its location.
        let add = if step.snippet.is_empty() {
            ""
        } else {
            ", add:"
        };
        out.append(output::labelled(
            Style::ManualStep,
            "manual step",
            &format!(
                "`{}`: {}\n  {}{add}\n",
                step.path.display(),
                step.reason,
                step.location
            ),
        ));
        for line in step.snippet.lines() {
            out.push(&format!("    {line}\n"));
        }
    }
    out
}

/// One line per file, saying whether it happened or would happen; a blank line before it when
/// diffs were printed above, and a plain sentence when nothing changes.
pub fn summary(plan: &Plan, would: bool) -> String {
    let mut out = String::new();
    if plan.has_pending() {
        out.push('\n');
    } else if plan.manual.is_empty() {
        out.push_str(if plan.changes.len() == Kind::ALL.len() {
            "nothing to change: the project is already set up for clustering on Fly.io\n"
        } else {
            "nothing to change in the files checked (`--only`/`--skip` left some out)\n"
        });
    }
    for c in &plan.changes {
        let verb = match (would, c.action) {
            (true, Action::Create) => "would create",
            (true, Action::Update) => "would update",
            (_, a) => a.name(),
        };
        let note = c
            .note
            .as_deref()
            .map(|n| format!("  ({n})"))
            .unwrap_or_default();
        out.push_str(&format!("{verb:>12}  {}{note}\n", c.path));
    }
    out
}

/// The plan as one JSON document.
pub fn json_document(
    plan: &Plan,
    ctx: &Context<'_>,
    mode: &str,
    applied: bool,
) -> serde_json::Value {
    let files: Vec<_> = plan
        .changes
        .iter()
        .map(|c| {
            json!({
                "path": c.path,
                "kind": c.kind.name(),
                "action": c.action.name(),
                "diff": preview::unified_diff(c),
                "note": c.note,
            })
        })
        .collect();
    let manual: Vec<_> = plan
        .manual
        .iter()
        .map(|m| {
            json!({
                "id": m.id.name(),
                "path": m.path.to_string_lossy(),
                "location": m.location,
                "reason": m.reason,
                "snippet": m.snippet,
            })
        })
        .collect();
    let warnings: Vec<_> = plan
        .warnings
        .iter()
        .map(|w| {
            json!({
                "id": w.id.name(),
                "file": w.file,
                "line": w.line,
                "message": w.message,
            })
        })
        .collect();
    let cookie_exposed = match ctx.cookie_mode {
        CookieMode::Secret => !ctx.secret_set,
        CookieMode::FlyToml => plan
            .changes
            .iter()
            .any(|c| c.kind == Kind::FlyToml && c.action.writes()),
        CookieMode::None => false,
    };
    json!({
        "mode": mode,
        "applied": applied,
        "otp_app": ctx.otp_app,
        "fly_app": ctx.fly_app,
        "cookie_mode": ctx.cookie_mode.name(),
        "cookie": if cookie_exposed { Some(ctx.cookie) } else { None },
        "database": ctx.database.name(),
        "files": files,
        "warnings": warnings,
        "manual_steps": manual,
        "next_steps": next_steps(plan, ctx),
    })
}
