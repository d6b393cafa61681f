//! Which fly.toml services publish the Erlang distribution: EPMD's port 4369, or a port in the
//! range the project pins with `inet_dist_listen_min`/`inet_dist_listen_max` (without one, a node
//! listens on a random port, so no fixed range is a distribution port). One judgement for init (a
//! manual step) and doctor (a problem).

use crate::edit::{fly_toml, runtime};
use crate::elixir;
use crate::model::{self, Model};

/// EPMD's port: it tells whoever asks which port each node takes connections on.
pub const EPMD_PORT: i64 = 4369;

/// The variables erl reads its flags from.
const FLAG_VARS: [&str; 4] = [
    "ERL_AFLAGS",
    "ERL_FLAGS",
    "ERL_ZFLAGS",
    "ELIXIR_ERL_OPTIONS",
];

/// A distribution port range the project pins, and where (`rel/vm.args.eex line 3`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinnedRange {
    pub min: i64,
    pub max: i64,
    pub at: String,
}

/// A service that forwards to a distribution port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// `[http_service]` or `[[services]] #N`.
    pub section: String,
    /// 1-based line of its `internal_port`.
    pub line: usize,
    /// What the port is: `4369, EPMD's port: ...`.
    pub what: String,
}

/// `inet_dist_listen_min N` (and `inet_dist_listen_max M`, else `N`) among erl flags.
fn range_in(flags: &str) -> Option<(i64, i64)> {
    let words: Vec<&str> = flags.split_whitespace().collect();
    let after = |key: &str| {
        words
            .windows(2)
            .find(|w| w[0] == key)
            .and_then(|w| w[1].trim_matches(['"', '\'']).parse::<i64>().ok())
    };
    let min = after("inet_dist_listen_min")?;
    Some((min, after("inet_dist_listen_max").unwrap_or(min)))
}

/// The ranges pinned in rel/vm.args.eex, the flag variables of the final image, fly.toml's `[env]`
/// and rel/env.sh.eex (lines that are not comments), and `config :kernel` in config/*.exs.
pub fn pinned(model: &Model) -> Vec<PinnedRange> {
    let mut found = Vec::new();
    for rel in ["rel/vm.args.eex", model::ENV_SH] {
        for (i, line) in model.text(rel).unwrap_or_default().lines().enumerate() {
            if !line.trim_start().starts_with('#')
                && let Some((min, max)) = range_in(line)
            {
                found.push(PinnedRange {
                    min,
                    max,
                    at: format!("{rel} line {}", i + 1),
                });
            }
        }
    }
    for env in model.dockerfile.iter().flatten() {
        if env.in_final_image
            && FLAG_VARS.contains(&env.key.as_str())
            && let Some((min, max)) = range_in(&env.value)
        {
            found.push(PinnedRange {
                min,
                max,
                at: format!("Dockerfile line {}", env.line),
            });
        }
    }
    for entry in model.fly_toml.iter().flat_map(|view| &view.env) {
        if FLAG_VARS.contains(&entry.name.as_str())
            && let Some((min, max)) = entry.value.as_deref().and_then(range_in)
        {
            found.push(PinnedRange {
                min,
                max,
                at: format!("fly.toml line {}", entry.line),
            });
        }
    }
    for config in model.configs_by_name() {
        let src = &config.src;
        if !src.contains("inet_dist_listen_min") {
            continue;
        }
        let value = |key: &str| {
            runtime::configured_values(config.root(), src, "kernel", key)
                .last()
                .and_then(|(call, v)| {
                    let n = elixir::text(*v, src).replace('_', "").parse::<i64>().ok()?;
                    Some((n, call.start_position().row + 1))
                })
        };
        if let Some((min, line)) = value("inet_dist_listen_min") {
            let max = value("inet_dist_listen_max").map_or(min, |(n, _)| n);
            found.push(PinnedRange {
                min,
                max,
                at: format!("{} line {line}", config.path),
            });
        }
    }
    found
}

/// The services of `view` whose `internal_port` is EPMD's or in a pinned range.
pub fn published(view: &fly_toml::FlyTomlView, pinned: &[PinnedRange]) -> Vec<Published> {
    view.services
        .iter()
        .filter_map(|service| {
            let (port, line) = service.internal_port?;
            let what = if port == EPMD_PORT {
                "4369, EPMD's port: it tells anyone who asks which port each node takes connections on".to_string()
            } else {
                let range = pinned.iter().find(|r| (r.min..=r.max).contains(&port))?;
                format!(
                    "{port}, in the Erlang distribution range {}-{} ({})",
                    range.min, range.max, range.at
                )
            };
            Some(Published {
                section: service.section.clone(),
                line,
                what,
            })
        })
        .collect()
}

/// What a published service exposes, and the fix, for init's manual step and doctor's finding.
pub fn explain(published: &Published) -> (String, String) {
    (
        format!(
            "`{}` forwards to internal port {}; through the app's public IP anyone can reach the node, and a node that accepts the cookie runs any code it is sent",
            published.section, published.what
        ),
        format!(
            "remove the `{}` service: nodes reach each other over Fly's private network without one",
            published.section
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_from_erl_flags() {
        assert_eq!(
            range_in("-kernel inet_dist_listen_min 9000 inet_dist_listen_max 9100"),
            Some((9000, 9100))
        );
        assert_eq!(
            range_in("-kernel inet_dist_listen_min 9000"),
            Some((9000, 9000))
        );
        assert_eq!(range_in("-proto_dist inet6_tcp"), None);
    }
}
