//! Check 7: a cookie is provided.

use crate::doctor::finding::{Finding, FindingId};
use crate::doctor::setup::{DOCKERFILE, ENV_SH, FLY_TOML, Setup};
use crate::shell::Seg;

pub(super) fn check(setup: &Setup, out: &mut Vec<Finding>) {
    let mut provided = false;
    if let Some(entry) = setup
        .fly_toml
        .as_ref()
        .and_then(|t| t.env("RELEASE_COOKIE"))
    {
        provided = true;
        out.push(
            Finding::warning(FindingId::CookieInFlyToml,
                "RELEASE_COOKIE is in fly.toml's [env], in plain text; fly.toml is usually committed, so everyone with the repository can join the cluster",
            )
            .at(FLY_TOML, Some(entry.line))
            .fix(format!(
                "move it to a secret: `fly secrets set RELEASE_COOKIE=... --app {}`, then delete the line",
                setup.fly_app_shown()
            )),
        );
    }
    if let Some(line) = setup.dockerfile.as_ref().and_then(|lines| {
        lines
            .iter()
            .rev()
            .find(|l| l.key == "RELEASE_COOKIE" && l.in_final_image)
    }) {
        provided = true;
        out.push(
            Finding::warning(FindingId::CookieInFile, "RELEASE_COOKIE is set in the Dockerfile, in plain text in a committed file and in the image")
                .at(DOCKERFILE, Some(line.line))
                .fix("keep the cookie in a Fly secret (`fly secrets set RELEASE_COOKIE=...`) and delete the line"),
        );
    }
    if let Some(a) = setup
        .env_var("RELEASE_COOKIE")
        .and_then(|v| v.effective.as_ref())
    {
        provided = true;
        if a.value.iter().all(|s| matches!(s, Seg::Lit(_))) {
            out.push(
                Finding::warning(FindingId::CookieInFile, "rel/env.sh.eex sets RELEASE_COOKIE to a fixed string, in plain text in a committed file")
                    .at(ENV_SH, Some(a.line))
                    .fix("keep the cookie in a Fly secret (`fly secrets set RELEASE_COOKIE=...`) and delete the line"),
            );
        }
    }
    if let Some(cookie) = setup.mix_cookie() {
        provided = true;
        if cookie.literal {
            out.push(
                Finding::warning(FindingId::CookieInFile, "mix.exs sets the release cookie to a fixed string, in plain text in a committed file")
                    .at(cookie.file, Some(cookie.line))
                    .fix("drop `cookie:` from the release and keep the cookie in a Fly secret (`fly secrets set RELEASE_COOKIE=...`)"),
            );
        }
    }
    if !provided {
        out.push(
            Finding::warning(FindingId::CookieNotVisible,
                "no RELEASE_COOKIE in fly.toml, the Dockerfile or rel/env.sh.eex; unless it is a Fly secret, each deploy builds a release with a new random cookie, and `fly ssh console ... remote` or the previous deploy's nodes cannot connect",
            )
            .fix(format!(
                "check `fly secrets list --app {app}`; if RELEASE_COOKIE is missing, `fly secrets set RELEASE_COOKIE=$(flycluster cookie) --app {app}`",
                app = setup.fly_app_shown()
            )),
        );
    }
}
