//! Property tests through the library API: generated children lists, deps lists, runtime configs,
//! env.sh files, Dockerfiles and fly.toml tables go through their editor under both contexts of
//! `invariants::contexts()`, and must keep every invariant the fuzz targets check (the same code:
//! fuzz/src/invariants.rs): applying twice equals applying once, the output parses when the input
//! parses, no character of the input is lost, the clustering element lands in a list of its own,
//! and the file's BOM / line endings / final-newline state survive storing. Whole projects made of
//! those files must keep the one-verdict contract (`whole_projects`). The fuzzers' crashes are kept
//! below as regression tests.

mod common;
#[path = "../fuzz/src/invariants.rs"]
mod invariants;

use invariants::{Editor, check, check_bytes, contexts};
use proptest::prelude::*;
use proptest::sample::select;

/// Cases per property: enough to mix every choice below many times, few enough to stay fast.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 128,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Every invariant under every context, and once more after storing it with random conventions.
fn check_all(editor: Editor, text: &str, raw: &[u8]) {
    assert!(
        editor.parses(text).unwrap_or(true),
        "the generator made input that does not parse:\n{text}"
    );
    for ctx in contexts() {
        check(editor, &ctx, text);
    }
    check_bytes(editor, raw);
}

/// `text` stored as a user's editor might: CRLF (all, or a few lines), a BOM, no final newline.
fn stored() -> impl Strategy<Value = (u8, bool, bool)> {
    (0u8..4, any::<bool>(), any::<bool>())
}

fn store(text: &str, (endings, bom, final_newline): (u8, bool, bool)) -> Vec<u8> {
    let mut out = String::new();
    if bom {
        out.push('\u{feff}');
    }
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let crlf = match endings {
            0 => false,
            1 => true,
            // Mixed: mostly one, some the other.
            2 => i % 4 == 0,
            _ => i % 4 != 0,
        };
        if crlf {
            out.push_str(&line.replace('\n', "\r\n"));
        } else {
            out.push_str(line);
        }
    }
    if !final_newline {
        while out.ends_with('\n') {
            out.pop();
            if out.ends_with('\r') {
                out.pop();
            }
        }
    }
    out.into_bytes()
}

fn indent(lines: &[String], pad: &str) -> String {
    lines
        .iter()
        .map(|l| {
            if l.is_empty() {
                "\n".to_string()
            } else {
                format!("{pad}{l}\n")
            }
        })
        .collect()
}

/// A list's elements laid out as `mix format` or a person would: one a line (comments between,
/// a trailing comma or not, a comment after an element) or all on one line.
fn list_body(
    elements: Vec<String>,
    comments: Vec<Option<&'static str>>,
    trailing_comma: bool,
    one_line: bool,
    pad: &str,
) -> String {
    if one_line {
        return format!("[{}]", elements.join(", "));
    }
    let mut lines = Vec::new();
    let n = elements.len();
    for (i, (e, c)) in elements.into_iter().zip(comments).enumerate() {
        let comma = if i + 1 < n || trailing_comma { "," } else { "" };
        match c {
            Some(c) if c.starts_with("# after") => lines.push(format!("{e}{comma} {c}")),
            Some(c) => {
                lines.push(c.to_string());
                lines.push(format!("{e}{comma}"));
            }
            None => lines.push(format!("{e}{comma}")),
        }
    }
    format!("[\n{}{}]", indent(&lines, &format!("{pad}  ")), pad)
}

const COMMENTS: &[Option<&str>] = &[
    None,
    None,
    None,
    Some("# Start the Telemetry supervisor"),
    Some("# after: keep this one"),
    Some("# {HelloElixir.Worker, arg}"),
];

// ----- application.ex -----

const CHILDREN: &[&str] = &[
    "HelloElixirWeb.Telemetry",
    "HelloElixir.Repo",
    "{Phoenix.PubSub, name: HelloElixir.PubSub}",
    "{Phoenix.PubSub, [name: HelloElixir.PubSub, adapter: Phoenix.PubSub.PG2]}",
    "{Finch, name: HelloElixir.Finch}",
    "{Ecto.Migrator, repos: Application.fetch_env!(:hello_elixir, :ecto_repos), skip: skip_migrations?()}",
    "{Task.Supervisor, name: HelloElixir.TaskSupervisor}",
    "Supervisor.child_spec({Cachex, name: :cache}, id: :cache)",
    "worker(HelloElixir.Worker, [])",
    "HelloElixirWeb.Endpoint",
];

fn application_ex() -> impl Strategy<Value = String> {
    let elements = proptest::collection::vec(select(CHILDREN), 0..7);
    (
        elements,
        proptest::collection::vec(select(COMMENTS), 7),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(elements, comments, trailing, one_line, inline_start)| {
            let elements: Vec<String> = elements.into_iter().map(str::to_string).collect();
            let one_line = one_line && elements.len() < 3;
            let body = list_body(elements, comments, trailing, one_line, "    ");
            let start = if inline_start {
                format!("    Supervisor.start_link({body}, strategy: :one_for_one)\n")
            } else {
                format!(
                    "    children = {body}\n\n    opts = [strategy: :one_for_one, name: HelloElixir.Supervisor]\n    Supervisor.start_link(children, opts)\n"
                )
            };
            format!(
                "defmodule HelloElixir.Application do\n  # See https://hexdocs.pm/elixir/Application.html\n  @moduledoc false\n\n  use Application\n\n  @impl true\n  def start(_type, _args) do\n{start}  end\n\n  @impl true\n  def config_change(changed, _new, removed) do\n    HelloElixirWeb.Endpoint.config_change(changed, removed)\n    :ok\n  end\nend\n"
            )
        })
}

// ----- mix.exs -----

const DEPS: &[&str] = &[
    "{:phoenix, \"~> 1.7.14\"}",
    "{:phoenix_ecto, \"~> 4.5\"}",
    "{:ecto_sql, \"~> 3.10\"}",
    "{:postgrex, \">= 0.0.0\"}",
    "{:phoenix_live_reload, \"~> 1.2\", only: :dev}",
    "{:esbuild, \"~> 0.8\", runtime: Mix.env() == :dev}",
    "{:heroicons, github: \"tailwindlabs/heroicons\", tag: \"v2.1.1\", sparse: \"optimized\", app: false, compile: false, depth: 1}",
    "{:floki, \">= 0.30.0\", only: :test}",
    "{:jason, \"~> 1.2\"}",
    "{:bandit, \"~> 1.5\"}",
    "{:my_dep, path: \"../my_dep\", override: true}",
];

fn mix_exs() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(select(DEPS), 0..8),
        proptest::collection::vec(select(COMMENTS), 8),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(deps, comments, trailing, one_line, concat)| {
            let deps: Vec<String> = deps.into_iter().map(str::to_string).collect();
            let one_line = one_line && deps.len() < 3;
            let body = list_body(deps, comments, trailing, one_line, "    ");
            let result = if concat {
                format!("{body} ++ extra_deps()")
            } else {
                body
            };
            format!(
                "defmodule HelloElixir.MixProject do\n  use Mix.Project\n\n  def project do\n    [\n      app: :hello_elixir,\n      version: \"0.1.0\",\n      deps: deps()\n    ]\n  end\n\n  def application do\n    [\n      mod: {{HelloElixir.Application, []}},\n      extra_applications: [:logger, :runtime_tools]\n    ]\n  end\n\n  # Specifies your project dependencies.\n  defp deps do\n    {result}\n  end\n\n  defp extra_deps, do: []\nend\n"
            )
        })
}

// ----- config/runtime.exs -----

const RUNTIME_LINES: &[&str] = &[
    "config :hello_elixir, HelloElixirWeb.Endpoint, server: true",
    "# The secret key base is used to sign/encrypt cookies and other secrets.",
    "config :hello_elixir, :dns_cluster_query, System.get_env(\"OTHER\")",
    "host = System.get_env(\"PHX_HOST\") || \"example.com\"",
    "port = String.to_integer(System.get_env(\"PORT\") || \"4000\")",
    "config :hello_elixir, HelloElixir.Repo,\n  url: database_url,\n  pool_size: String.to_integer(System.get_env(\"POOL_SIZE\") || \"10\")",
    "",
];

fn runtime_exs() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(select(RUNTIME_LINES), 0..5),
        proptest::collection::vec(select(RUNTIME_LINES), 0..5),
        0u8..3,
    )
        .prop_map(|(top, prod, shape)| {
            let top: String = top.iter().map(|l| format!("{l}\n")).collect();
            let prod: String = prod
                .iter()
                .flat_map(|l| l.split('\n'))
                .map(|l| if l.is_empty() { "\n".into() } else { format!("  {l}\n") })
                .collect();
            match shape {
                0 => format!("import Config\n\n{top}"),
                1 => format!("import Config\n\n{top}\nif config_env() == :prod do\n{prod}end\n"),
                _ => format!(
                    "import Config\n{top}\nif System.get_env(\"PHX_SERVER\") do\n  config :hello_elixir, HelloElixirWeb.Endpoint, server: true\nend\n\nif config_env() == :prod do\n{prod}end\n"
                ),
            }
        })
}

// ----- rel/env.sh.eex -----

/// Fly's env.sh.eex lines before 2023 (FLY-SETUPS.md 1), ELIXIR_ERL_OPTIONS included.
const ENV_SH_BEFORE_2023: &str = "ip=$(grep fly-local-6pn /etc/hosts | cut -f 1)\nexport RELEASE_DISTRIBUTION=name\nexport RELEASE_NODE=$FLY_APP_NAME@$ip\nexport ELIXIR_ERL_OPTIONS=\"-proto_dist inet6_tcp\"";

const ENV_LINES: &[&str] = &[
    "#!/bin/sh",
    "# Sets and enables heart (recommended only in daemon mode)",
    "# export RELEASE_DISTRIBUTION=name",
    "export RELEASE_DISTRIBUTION=name",
    "export RELEASE_DISTRIBUTION=sname",
    "export RELEASE_NODE=<%= @release.name %>@127.0.0.1",
    "export RELEASE_NODE=\"<%= @release.name %>@${HOSTNAME}\"",
    "export ERL_AFLAGS=\"-kernel shell_history enabled\"",
    "export ECTO_IPV6=true",
    "export ELIXIR_ERL_OPTIONS=\"+fnu\"",
    "RELEASE_MODE=interactive",
    "export RELEASE_MODE",
    "",
    "if [ -n \"$DYNO\" ]; then\n  export RELEASE_NODE=\"<%= @release.name %>@${DYNO}\"\nfi",
    "if [ -n \"$FLY_APP_NAME\" ]; then\n  export RELEASE_DISTRIBUTION=name\nfi",
    "if [ -n \"${FLY_APP_NAME:-}\" ]; then\n  export ECTO_IPV6=\"true\"\n  export RELEASE_NODE=\"${FLY_APP_NAME}-${FLY_IMAGE_REF##*-}@${FLY_PRIVATE_IP}\"\nfi",
    "case $RELEASE_COMMAND in\n  daemon*)\n    export ELIXIR_ERL_OPTIONS=\"-heart\"\n    ;;\n  *)\n    ;;\nesac",
    "ip=$(grep fly-local-6pn /etc/hosts | cut -f 1)\nexport RELEASE_NODE=$FLY_APP_NAME@$ip",
    "[ -z \"$FLY_APP_NAME\" ] || export ECTO_IPV6=true",
    // FLY-SETUPS.md 1, 3 and 4, and hand-written ones.
    ENV_SH_BEFORE_2023,
    "export ERL_AFLAGS=\"-proto_dist inet6_tcp\"\nexport ECTO_IPV6=\"true\"\nexport DNS_CLUSTER_QUERY=\"${FLY_APP_NAME}.internal\"\nexport RELEASE_DISTRIBUTION=\"name\"\nexport RELEASE_NODE=\"${FLY_APP_NAME}-${FLY_IMAGE_REF##*-}@${FLY_PRIVATE_IP}\"",
    "if [ -n \"$FLY_APP_NAME\" ]; then\n  export ERL_AFLAGS=\"-proto_dist inet6_tcp\"\n  export ECTO_IPV6=\"true\"\n  export DNS_CLUSTER_QUERY=\"${FLY_APP_NAME}.internal\"\n  export RELEASE_NODE=\"${FLY_APP_NAME}-${FLY_IMAGE_REF##*-}@${FLY_PRIVATE_IP}\"\nfi\nexport RELEASE_DISTRIBUTION=\"name\"\nexport RELEASE_NODE=${RELEASE_NODE:-<%= @release.name %>@$(hostname)}",
    "export FLY_APP_NAME=${FLY_APP_NAME:=myapp}",
    "export RELEASE_NODE=\"<%= @release.name %>@${POD_A_RECORD}.my-ns.pod.cluster.local\"",
];

fn env_sh() -> impl Strategy<Value = String> {
    proptest::collection::vec(select(ENV_LINES), 0..9)
        .prop_map(|lines| lines.iter().map(|l| format!("{l}\n")).collect())
}

// ----- Dockerfile -----

const BUILDER: &[&str] = &[
    "ARG ELIXIR_VERSION=1.17.2",
    "ENV MIX_ENV=\"prod\"",
    "ENV ERL_AFLAGS=\"-kernel shell_history enabled\"",
    "RUN apt-get update -y && apt-get install -y build-essential git \\\n    && apt-get clean && rm -f /var/lib/apt/lists/*_*",
    "WORKDIR /app",
    "# install hex + rebar",
    "RUN mix local.hex --force && \\\n    mix local.rebar --force",
    "COPY mix.exs mix.lock ./",
    "RUN mix release",
];

const FINAL: &[&str] = &[
    "RUN apt-get update -y && \\\n  apt-get install -y libstdc++6 openssl libncurses5 locales ca-certificates \\\n  && apt-get clean && rm -f /var/lib/apt/lists/*_*",
    "ENV LANG=en_US.UTF-8",
    "ENV LANGUAGE en_US:en",
    "ENV LC_ALL=en_US.UTF-8 \\\n    MIX_ENV=\"prod\"",
    "ENV ECTO_IPV6 true",
    "ENV ECTO_IPV6=\"true\"",
    "ENV ERL_AFLAGS=\"-kernel shell_history enabled\"",
    "ENV ERL_AFLAGS -kernel shell_history enabled",
    "ENV ERL_AFLAGS=\"-proto_dist inet6_tcp\"",
    "# Appended by flyctl\nENV ECTO_IPV6 true\nENV ERL_AFLAGS \"-proto_dist inet6_tcp\"",
    "ENV ERL_AFLAGS=\"-proto_dist inet_tcp\"",
    "ENV ECTO_IPV6=\"false\"",
    "ENV ELIXIR_ERL_OPTIONS=\"-proto_dist inet6_tcp\"",
    "WORKDIR \"/app\"",
    "RUN chown nobody /app",
    "# set runner ENV",
    "COPY --from=builder --chown=nobody:root /app/_build/${MIX_ENV}/rel/hello ./",
    "USER nobody",
    "",
];

const TAIL: &[&str] = &[
    "CMD [\"/app/bin/server\"]",
    "# If using an environment that doesn't automatically reap zombie processes, it is\n# advised to add an init process such as tini via `apt-get install`\n# ENTRYPOINT [\"/tini\", \"--\"]\n\nCMD [\"/app/bin/server\"]",
    "ENTRYPOINT [\"/app/bin/hello\"]\nCMD [\"start\"]",
    "",
];

fn dockerfile() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        proptest::collection::vec(select(BUILDER), 0..5),
        select(&["FROM ${RUNNER_IMAGE}", "FROM debian:bookworm-slim AS final", "FROM ${RUNNER_IMAGE} as runner"][..]),
        proptest::collection::vec(select(FINAL), 0..7),
        select(TAIL),
    )
        .prop_map(|(directive, builder, from, fin, tail)| {
            let mut s = String::new();
            if directive {
                s.push_str("# syntax=docker/dockerfile:1\n");
            }
            s.push_str("ARG RUNNER_IMAGE=\"debian:bookworm-20240701-slim\"\n\nFROM hexpm/elixir:1.17.2-erlang-27.0.1-debian-bookworm-20240701-slim AS builder\n\n");
            for l in builder {
                s.push_str(l);
                s.push('\n');
            }
            s.push('\n');
            s.push_str(from);
            s.push_str("\n\n");
            for l in fin {
                s.push_str(l);
                s.push('\n');
            }
            if !tail.is_empty() {
                s.push('\n');
                s.push_str(tail);
                s.push('\n');
            }
            s
        })
}

// ----- fly.toml -----

fn fly_toml() -> impl Strategy<Value = String> {
    (
        select(&["'", "\""][..]),
        select(&["", "  ", "    "][..]),
        0u8..4,
        proptest::collection::vec(0u8..6, 0..5),
        any::<bool>(),
    )
        .prop_map(|(q, pad, env_shape, mut tables, header_comment)| {
            // A table may appear once (arrays of tables too, to keep it simple).
            let mut seen = std::collections::BTreeSet::new();
            tables.retain(|t| seen.insert(*t));
            let mut s = String::new();
            if header_comment {
                s.push_str("# fly.toml app configuration file generated for hello-elixir\n#\n\n");
            }
            s.push_str(&format!("app = {q}hello-elixir{q}\nprimary_region = {q}ams{q}\nkill_signal = {q}SIGTERM{q}\n"));
            if env_shape == 3 {
                s.push_str(&format!("env = {{ PHX_HOST = {q}hello-elixir.fly.dev{q}, PORT = {q}8080{q} }}\n"));
            }
            s.push('\n');
            let env = match env_shape {
                0 => String::new(),
                1 => "[env]\n".to_string(),
                2 => format!("[env]\n{pad}PHX_HOST = {q}hello-elixir.fly.dev{q}\n{pad}PORT = {q}8080{q} # the port\n"),
                _ => String::new(),
            };
            let mut placed_env = env.is_empty();
            for (i, t) in tables.iter().enumerate() {
                if !placed_env && i == 1 {
                    s.push_str(&env);
                    s.push('\n');
                    placed_env = true;
                }
                s.push_str(&match t {
                    0 => "[build]\n".to_string(),
                    1 => format!("[deploy]\n{pad}release_command = {q}/app/bin/migrate{q}\n"),
                    2 => format!("[http_service]\n{pad}internal_port = 8080\n{pad}force_https = true\n{pad}processes = [{q}app{q}]\n"),
                    3 => format!("[[vm]]\n{pad}memory = {q}1gb{q}\n{pad}cpus = 1\n"),
                    4 => format!("[[services]]\n{pad}internal_port = 8080\n\n{pad}[[services.ports]]\n{pad}{pad}port = 80\n{pad}{pad}handlers = [{q}http{q}]\n"),
                    _ => format!("[metrics]\n{pad}port = 9091\n{pad}path = {q}/metrics{q}\n"),
                });
                s.push('\n');
            }
            if !placed_env {
                s.push_str(&env);
            }
            s
        })
}

// ----- the properties -----

proptest! {
    #![proptest_config(config())]

    #[test]
    fn children_lists(src in application_ex(), conventions in stored()) {
        check_all(Editor::Application, &src, &store(&src, conventions));
    }

    #[test]
    fn deps_lists(src in mix_exs(), conventions in stored()) {
        check_all(Editor::Deps, &src, &store(&src, conventions));
    }

    #[test]
    fn runtime_configs(src in runtime_exs(), conventions in stored()) {
        check_all(Editor::Runtime, &src, &store(&src, conventions));
    }

    #[test]
    fn env_sh_files(src in env_sh(), conventions in stored()) {
        check_all(Editor::EnvSh, &src, &store(&src, conventions));
        sh_accepts_every_output(&src);
    }

    #[test]
    fn dockerfiles(src in dockerfile(), conventions in stored()) {
        check_all(Editor::Dockerfile, &src, &store(&src, conventions));
    }

    #[test]
    fn fly_toml_tables(src in fly_toml(), conventions in stored()) {
        check_all(Editor::FlyToml, &src, &store(&src, conventions));
    }
}

// ----- whole projects: the one-verdict contract -----

/// A project generated file by file (the generators above, over the example project's other
/// files), planned, applied and judged in process, through the same library calls and JSON
/// documents as the binary: when init would exit 0, doctor reports no problem; when it leaves
/// manual steps (exit 3), each problem doctor reports is one of them (the contract of
/// tests/common::unexplained_problems); each warning init gives about a fact doctor judges is one
/// of doctor's findings with the same id, file and line; and a second run changes nothing.
/// `database` and `strategy` are `--database` and `--strategy` (`None`: not given), `cookie_mode`
/// is `--cookie`; doctor gets the same `--database`, as a user who passed it to init would give it.
fn one_verdict_with(
    files: &[(&str, &str)],
    database: Option<flycluster::edit::Database>,
    strategy: Option<flycluster::edit::Strategy>,
    cookie_mode: flycluster::cookie::CookieMode,
) {
    use flycluster::cookie::CookieMode;
    use flycluster::init::{self, InitOptions};
    use flycluster::model::Model;
    use flycluster::plan::Kind;
    use flycluster::project::{self, DetectOptions};
    use flycluster::report::{self, Context};

    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::copy_dir(&common::fixture_dir("examples/hello_elixir"), root);
    for (rel, text) in files {
        std::fs::write(root.join(rel), text).unwrap();
    }
    let label = files
        .iter()
        .map(|(rel, text)| format!("--- {rel} ---\n{text}"))
        .collect::<String>();
    let fly_app = "hello-elixir";
    let detect = || project::detect(root, &DetectOptions { otp_app: None }).unwrap();
    let doctor = |project: &project::Project| {
        let opts = flycluster::doctor::DoctorOptions {
            fly_app: Some(fly_app.into()),
            database,
        };
        let findings = flycluster::doctor::diagnose(project, &opts)
            .unwrap_or_else(|e| panic!("doctor refused ({e}):\n{label}"));
        flycluster::doctor::json_document(&findings)
    };
    let plan_json = |project: &project::Project| {
        let model = Model::read(project).unwrap();
        let opts = InitOptions {
            fly_app: fly_app.into(),
            cookie_mode,
            strategy: init::resolve_strategy(&model, strategy),
            database: database.unwrap_or_else(|| init::default_database(&model)),
            kinds: Kind::ALL.into_iter().collect(),
            force: false,
            app_confirmed: true,
        };
        // As `init` picks it: with `--cookie fly-toml` the one already in fly.toml stays.
        let cookie = match (cookie_mode, &project.fly_toml_cookie) {
            (CookieMode::FlyToml, Some(existing)) => existing.clone(),
            _ => "cookie".to_string(),
        };
        let plan = init::plan(&model, &opts, &cookie)
            .unwrap_or_else(|e| panic!("init refused ({e}):\n{label}"));
        let ctx = Context {
            otp_app: &project.otp_app,
            fly_app,
            cookie: &cookie,
            cookie_mode,
            secret_set: false,
            database: opts.database,
            has_ecto_repo: project.has_network_repo(),
        };
        let doc = report::json_document(&plan, &ctx, "dry-run", false);
        (plan, doc)
    };

    let before = detect();
    let doctor_before = doctor(&before);
    let (plan, planned) = plan_json(&before);
    flycluster::apply::apply(&plan.pending().collect::<Vec<_>>()).unwrap();
    let code = if plan.manual.is_empty() { 0 } else { 3 };

    let after = detect();
    let doctor_after = doctor(&after);
    let (again, replanned) = plan_json(&after);
    assert!(
        !again.has_pending(),
        "a second run would change {:?}:\n{label}",
        again.pending().map(|c| &c.path).collect::<Vec<_>>()
    );
    let steps = replanned["manual_steps"].as_array().unwrap();
    let unexplained = common::unexplained_problems(&doctor_after, code, steps);
    assert!(
        unexplained.is_empty(),
        "init would exit {code}, and doctor then reports problems init did not list as manual steps:\n{}\n{label}",
        unexplained.join("\n")
    );
    let unreported =
        common::warnings_doctor_does_not_report(&planned, &[&doctor_before, &doctor_after]);
    assert!(
        unreported.is_empty(),
        "init warns about facts doctor does not report with the same id, file and line:\n{}\n{label}",
        unreported.join("\n")
    );
}

/// mix phx.new's DNSCluster child.
const DNS_CLUSTER_CHILD: &str =
    "{DNSCluster, query: Application.get_env(:hello_elixir, :dns_cluster_query) || :ignore}";

/// A Cluster.Supervisor reading `:libcluster, :topologies`.
const CLUSTER_SUPERVISOR_CHILD: &str = "{Cluster.Supervisor, [Application.get_env(:libcluster, :topologies), [name: HelloElixir.ClusterSupervisor]]}";

/// A Cluster.Supervisor given a topologies list in code (no DNSPoll among them).
const TOPOLOGIES_IN_CODE_CHILD: &str = "{Cluster.Supervisor, [[fly6pn: [strategy: Cluster.Strategy.Gossip]], [name: HelloElixir.ClusterSupervisor]]}";

/// What earlier setups (FLY-SETUPS.md) and hand-written ones leave for clustering, put into the
/// generated files: a clustering child, its dependency, its config, vm.args, more of fly.toml.
const CLUSTER_CHILDREN: &[&str] = &[
    "",
    DNS_CLUSTER_CHILD,
    "{DNSCluster, query: Application.get_env(:other_app, :dns_cluster_query) || :ignore}",
    CLUSTER_SUPERVISOR_CHILD,
    "{Cluster.Supervisor, [Application.get_env(:hello_elixir, :topologies, []), [name: HelloElixir.ClusterSupervisor]]}",
    TOPOLOGIES_IN_CODE_CHILD,
    "{Cluster.Supervisor, [Application.get_env(:libcluster, :topologies) || [], [name: HelloElixir.ClusterSupervisor]]}",
];

/// The dns_cluster dependency.
const DNS_CLUSTER_DEP: &str = "{:dns_cluster, \"~> 0.1.1\"}";

/// The libcluster dependency.
const LIBCLUSTER_DEP: &str = "{:libcluster, \"~> 3.3\"}";

const CLUSTER_DEPS: &[&str] = &[
    "",
    DNS_CLUSTER_DEP,
    LIBCLUSTER_DEP,
    "{:libcluster_postgres, \"~> 0.1\"}",
    "{:dns_cluster, \"~> 0.2.0\"}",
];

/// A DNSPoll topology whose `node_basename` names no node flycluster names.
const DNSPOLL_OTHER_BASENAME: &str = "config :libcluster,\n  topologies: [\n    fly6pn: [\n      strategy: Cluster.Strategy.DNSPoll,\n      config: [query: \"hello-elixir.internal\", node_basename: \"other\"]\n    ]\n  ]";

/// A DNSPoll topology whose `node_basename` comes from a variable flycluster cannot evaluate.
const DNSPOLL_BASENAME_FROM_A_VARIABLE: &str = "config :libcluster,\n  topologies: [\n    fly6pn: [\n      strategy: Cluster.Strategy.DNSPoll,\n      config: [query: \"hello-elixir.internal\", node_basename: System.get_env(\"APP_BASENAME\")]\n    ]\n  ]";

const CLUSTER_CONFIGS: &[&str] = &[
    "",
    "config :libcluster,\n  topologies: [\n    fly6pn: [\n      strategy: Cluster.Strategy.DNSPoll,\n      config: [\n        polling_interval: 5_000,\n        query: System.get_env(\"DNS_CLUSTER_QUERY\"),\n        node_basename: System.get_env(\"FLY_APP_NAME\")\n      ]\n    ]\n  ]",
    "config :libcluster,\n  topologies: [\n    fly6pn: [\n      strategy: Cluster.Strategy.DNSPoll,\n      config: [query: \"hello-elixir.internal\", node_basename: \"hello-elixir\"]\n    ]\n  ]",
    DNSPOLL_OTHER_BASENAME,
    "config :libcluster,\n  topologies: [\n    k8s: [\n      strategy: Cluster.Strategy.Kubernetes.DNS,\n      config: [service: \"hello-headless\", application_name: \"hello\"]\n    ]\n  ]",
    "config :hello_elixir,\n  topologies: [\n    fly6pn: [\n      strategy: Cluster.Strategy.DNSPoll,\n      config: [query: System.get_env(\"DNS_CLUSTER_QUERY\"), node_basename: \"hello-elixir\"]\n    ]\n  ]",
    "config :hello_elixir, :dns_cluster_query, System.get_env(\"DNS_CLUSTER_QUERY\")",
    "config :other_app, :dns_cluster_query, System.get_env(\"DNS_CLUSTER_QUERY\")",
    "if config_env() == :prod do\n  app_name = System.get_env(\"FLY_APP_NAME\")\n\n  config :libcluster,\n    topologies: [\n      fly6pn: [\n        strategy: Cluster.Strategy.DNSPoll,\n        config: [polling_interval: 5_000, query: \"#{app_name}.internal\", node_basename: app_name]\n      ]\n    ]\nend",
    "if System.get_env(\"ENABLE_CLUSTER\") == \"true\" do\n  config :libcluster,\n    topologies: [\n      k8s: [strategy: Cluster.Strategy.Kubernetes.DNS, config: [service: \"hello\", application_name: \"hello\"]]\n    ]\nend",
    "config :libcluster,\n  topologies: [\n    gossip: [strategy: Cluster.Strategy.Gossip]\n  ]",
    DNSPOLL_BASENAME_FROM_A_VARIABLE,
];

/// vm.args giving erl `-proto_dist` itself.
const VM_ARGS_PROTO_DIST: &str = "-proto_dist inet6_tcp\n";

const VM_ARGS: &[&str] = &[
    "",
    "## Customize flags given to the VM\n+K true\n",
    VM_ARGS_PROTO_DIST,
];

const FLY_EXTRAS: &[&str] = &[
    "",
    "[processes]\n  app = '/app/bin/server'\n  worker = '/app/bin/worker'\n",
    "[[services]]\n  internal_port = 4369\n  protocol = 'tcp'\n",
    "[http_service]\n  internal_port = 8080\n  auto_stop_machines = 'stop'\n  min_machines_running = 0\n",
    "[env]\n  DNS_CLUSTER_QUERY = 'other-app.internal'\n  RELEASE_COOKIE = 'plain'\n",
    "[env]\n  ECTO_IPV6 = 'true'\n  ERL_AFLAGS = '-proto_dist inet_tcp'\n",
];

/// `text` with `element` first in the list that starts with `opening` (one element a line, each
/// indented six spaces), if the generated layout has one.
fn with_first_element(text: &str, opening: &str, element: &str) -> String {
    match text.find(opening) {
        Some(at) if !element.is_empty() => {
            let end = at + opening.len();
            format!("{}      {element},\n{}", &text[..end], &text[end..])
        }
        _ => text.to_string(),
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn whole_projects(
        application in application_ex(),
        mix in mix_exs(),
        runtime in runtime_exs(),
        env_sh in env_sh(),
        dockerfile in dockerfile(),
        fly_toml in fly_toml(),
        (child, dep, cluster_config) in (select(CLUSTER_CHILDREN), select(CLUSTER_DEPS), select(CLUSTER_CONFIGS)),
        (vm_args, fly_extra) in (select(VM_ARGS), select(FLY_EXTRAS)),
        (database, strategy, cookie) in (0u8..4, 0u8..3, 0u8..3),
    ) {
        let application = with_first_element(&application, "    children = [\n", child);
        let mix = with_first_element(&mix, "  defp deps do\n    [\n", dep);
        let runtime = if cluster_config.is_empty() {
            runtime
        } else {
            format!("{runtime}\n{cluster_config}\n")
        };
        // A table fly.toml already has (an inline `env = {...}` too) is not added twice.
        let fly_toml = match fly_extra.lines().next() {
            Some("[env]") if fly_toml.contains("\nenv = ") => fly_toml,
            Some(header) if !fly_toml.contains(header) => format!("{fly_toml}\n{fly_extra}"),
            _ => fly_toml,
        };
        let mut files = vec![
            ("lib/hello_elixir/application.ex", application.as_str()),
            ("mix.exs", mix.as_str()),
            ("config/runtime.exs", runtime.as_str()),
            ("Dockerfile", dockerfile.as_str()),
            ("fly.toml", fly_toml.as_str()),
        ];
        if !env_sh.is_empty() {
            files.push(("rel/env.sh.eex", env_sh.as_str()));
        }
        if !vm_args.is_empty() {
            files.push(("rel/vm.args.eex", vm_args));
        }
        use flycluster::edit::{Database, Strategy};
        let database = [None, Some(Database::Fly), Some(Database::External), Some(Database::None)]
            [database as usize];
        let strategy = [None, Some(Strategy::DnsCluster), Some(Strategy::Libcluster)][strategy as usize];
        use flycluster::cookie::CookieMode;
        let cookie = [CookieMode::Secret, CookieMode::FlyToml, CookieMode::None][cookie as usize];
        one_verdict_with(&files, database, strategy, cookie);
    }
}

/// The minimal projects `whole_projects` failed on, each a gap between init and doctor now closed:
/// the example project with an empty children list, no deps, and what the case adds.
fn project_regression(child: &str, dep: &str, runtime: &str) {
    project_regression_with(child, dep, runtime, &[], None, None);
}

/// The same with more files and `--database` / `--strategy`.
fn project_regression_with(
    child: &str,
    dep: &str,
    runtime: &str,
    more: &[(&str, &str)],
    database: Option<flycluster::edit::Database>,
    strategy: Option<flycluster::edit::Strategy>,
) {
    let application = with_first_element(
        "defmodule HelloElixir.Application do\n  use Application\n\n  def start(_type, _args) do\n    children = [\n    ]\n\n    Supervisor.start_link(children, strategy: :one_for_one)\n  end\nend\n",
        "    children = [\n",
        child,
    );
    let mix = with_first_element(
        "defmodule HelloElixir.MixProject do\n  use Mix.Project\n\n  def project do\n    [app: :hello_elixir, version: \"0.1.0\", deps: deps()]\n  end\n\n  def application do\n    [mod: {HelloElixir.Application, []}, extra_applications: [:logger]]\n  end\n\n  defp deps do\n    [\n    ]\n  end\nend\n",
        "  defp deps do\n    [\n",
        dep,
    );
    let mut files = vec![
        ("lib/hello_elixir/application.ex", application.as_str()),
        ("mix.exs", mix.as_str()),
        ("config/runtime.exs", runtime),
    ];
    files.extend_from_slice(more);
    one_verdict_with(
        &files,
        database,
        strategy,
        flycluster::cookie::CookieMode::Secret,
    );
}

/// The query read from another variable than the one the block sets: a manual step (init said
/// "configured", doctor "a problem"); and the Repo's `maybe_ipv6` still goes into the same file.
#[test]
fn project_regression_query_from_another_variable() {
    project_regression(
        "",
        "",
        "import Config\n\nconfig :hello_elixir, :dns_cluster_query, System.get_env(\"OTHER\")\n",
    );
}

/// A DNSCluster child beside a libcluster dependency: the started child decides the library, so
/// the second run (with the dns_cluster dependency init added) plans the same.
#[test]
fn project_regression_dns_cluster_child_with_a_libcluster_dependency() {
    project_regression(
        DNS_CLUSTER_CHILD,
        LIBCLUSTER_DEP,
        "import Config\n\nif config_env() == :prod do\n  config :hello_elixir, :dns_cluster_query, System.get_env(\"OTHER\")\nend\n",
    );
}

/// A Cluster.Supervisor child beside a dns_cluster dependency: libcluster forms the cluster, and
/// the DNSCluster child missing is no problem.
#[test]
fn project_regression_cluster_supervisor_with_a_dns_cluster_dependency() {
    project_regression(CLUSTER_SUPERVISOR_CHILD, DNS_CLUSTER_DEP, "import Config\n");
}

/// Topologies written in the application module: a `config :libcluster, topologies:` is read by
/// nothing, so its `node_basename` is not judged.
#[test]
fn project_regression_a_config_topology_beside_topologies_in_code() {
    project_regression(
        TOPOLOGIES_IN_CODE_CHILD,
        "",
        &format!("import Config\n\n{}\n", DNSPOLL_OTHER_BASENAME),
    );
}

/// `--strategy dns_cluster` on an application that starts a Cluster.Supervisor (whose topology
/// reaches no node): DNSCluster is added beside it and forms the cluster, with its dependency on
/// the first run (a second run plans nothing more).
#[test]
fn project_regression_strategy_dns_cluster_beside_a_cluster_supervisor() {
    use flycluster::edit::Strategy;
    let runtime = format!("import Config\n\n{}\n", DNSPOLL_OTHER_BASENAME);
    project_regression_with(
        CLUSTER_SUPERVISOR_CHILD,
        "",
        &runtime,
        &[],
        None,
        Some(Strategy::DnsCluster),
    );
    project_regression_with(
        CLUSTER_SUPERVISOR_CHILD,
        "",
        "import Config\n",
        &[],
        None,
        Some(Strategy::DnsCluster),
    );
}

/// `--strategy libcluster` on an application that starts a DNSCluster child whose query nothing
/// configures, with a topology init cannot finish (`node_basename` from another variable): the
/// child's query is configured too, so neither library is left broken by init.
#[test]
fn project_regression_strategy_libcluster_beside_a_dns_cluster_child() {
    use flycluster::edit::Strategy;
    let runtime = format!("import Config\n\n{}\n", DNSPOLL_BASENAME_FROM_A_VARIABLE);
    project_regression_with(
        DNS_CLUSTER_CHILD,
        "",
        &runtime,
        &[],
        None,
        Some(Strategy::Libcluster),
    );
}

/// `--strategy libcluster` where init can edit neither the children nor the deps: the topology it
/// writes is what tells doctor (and the next run) the project uses libcluster.
#[test]
fn project_regression_a_libcluster_topology_decides_the_library() {
    use flycluster::edit::Strategy;
    let application = "defmodule HelloElixir.Application do\n  use Application\n\n  def start(_type, _args) do\n    Supervisor.start_link([], strategy: :one_for_one)\n  end\nend\n";
    let mix = "defmodule HelloElixir.MixProject do\n  use Mix.Project\n\n  def project do\n    [app: :hello_elixir, version: \"0.1.0\", deps: deps()]\n  end\n\n  def application do\n    [mod: {HelloElixir.Application, []}, extra_applications: [:logger]]\n  end\n\n  defp deps do\n    [{:phoenix_live_reload, \"~> 1.2\", only: :dev}, {:phoenix, \"~> 1.7.14\"}] ++ extra_deps()\n  end\n\n  defp extra_deps, do: []\nend\n";
    one_verdict_with(
        &[
            ("lib/hello_elixir/application.ex", application),
            ("mix.exs", mix),
            ("config/runtime.exs", "import Config\n"),
        ],
        None,
        Some(Strategy::Libcluster),
        flycluster::cookie::CookieMode::Secret,
    );
}

/// `--database external` with ECTO_IPV6 set twice in the final image and read by nothing: init
/// takes both lines out, and doctor names each (the later one decides, the earlier is set over).
#[test]
fn project_regression_an_unread_ecto_ipv6_twice_for_an_external_database() {
    use flycluster::edit::Database;
    let dockerfile = "FROM hexpm/elixir:1.17.2-erlang-27.0.1-debian-bookworm-20240701-slim AS builder\n\nFROM debian:bookworm-slim\n\nENV ECTO_IPV6 true\nENV ECTO_IPV6 true\n\nCMD [\"/app/bin/server\"]\n";
    project_regression_with(
        "",
        "",
        "import Config\n",
        &[("Dockerfile", dockerfile)],
        Some(Database::External),
        None,
    );
}

/// `--database none` with a conditional ECTO_IPV6 in env.sh.eex over the image's: not judged by
/// the env.sh check (ECTO_IPV6 is check 8's, by where the database lives).
#[test]
fn project_regression_a_conditional_ecto_ipv6_without_a_database() {
    use flycluster::edit::Database;
    project_regression_with(
        "",
        "",
        "import Config\n",
        &[
            (
                "rel/env.sh.eex",
                "[ -z \"$FLY_APP_NAME\" ] || export ECTO_IPV6=true\n",
            ),
            (
                "Dockerfile",
                "FROM hexpm/elixir:1.17.2-erlang-27.0.1-debian-bookworm-20240701-slim AS builder\n\nFROM debian:bookworm-slim\n\nENV ECTO_IPV6 true\n\nCMD [\"/app/bin/server\"]\n",
            ),
        ],
        Some(Database::None),
        None,
    );
}

/// A Dockerfile whose final stage gives ELIXIR_ERL_OPTIONS `-proto_dist inet6_tcp`: with the
/// block's ERL_AFLAGS erl would get the flag twice, so it is a manual step (as vm.args's is),
/// also when the pre-2023 env.sh lines the block replaces set the variable over the image's.
#[test]
fn project_regression_proto_dist_in_another_flag_variable_of_the_image() {
    let dockerfile = "FROM hexpm/elixir:1.17.2-erlang-27.0.1-debian-bookworm-20240701-slim AS builder\n\nFROM debian:bookworm-slim\n\nENV ELIXIR_ERL_OPTIONS=\"-proto_dist inet6_tcp\"\n\nCMD [\"/app/bin/server\"]\n";
    project_regression_with(
        "",
        "",
        "import Config\n",
        &[("Dockerfile", dockerfile)],
        None,
        None,
    );
    project_regression_with(
        "",
        "",
        "import Config\n",
        &[
            ("Dockerfile", dockerfile),
            ("rel/env.sh.eex", ENV_SH_BEFORE_2023),
        ],
        None,
        None,
    );
}

/// ERL_AFLAGS with another carrier in the image and `-proto_dist` in vm.args too: doctor says
/// both facts (the flag twice, and the carrier init warns about).
#[test]
fn project_regression_another_carrier_beside_vm_args() {
    use flycluster::edit::Database;
    let dockerfile = "FROM hexpm/elixir:1.17.2-erlang-27.0.1-debian-bookworm-20240701-slim AS builder\n\nFROM debian:bookworm-slim\n\nENV ECTO_IPV6 true\nENV ERL_AFLAGS=\"-proto_dist inet_tcp\"\n\nCMD [\"/app/bin/server\"]\n";
    project_regression_with(
        "",
        "",
        "import Config\n",
        &[
            ("Dockerfile", dockerfile),
            ("rel/vm.args.eex", VM_ARGS_PROTO_DIST),
        ],
        Some(Database::External),
        None,
    );
}

/// The shell must accept what the env.sh editor writes (EEx tags rendered first, as the release
/// does). Skipped without /bin/sh.
fn sh_accepts_every_output(src: &str) {
    if !std::path::Path::new("/bin/sh").exists() {
        return;
    }
    for ctx in contexts() {
        let Ok(edited) = Editor::EnvSh.plan(&ctx, Some(src)) else {
            continue;
        };
        let flycluster::edit::Outcome::Write(after) = edited.outcome else {
            continue;
        };
        let rendered = after.replace("<%= @release.name %>", "hello_elixir");
        let out = std::process::Command::new("/bin/sh")
            .args(["-n", "-c", &rendered])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "sh -n rejects the output: {}\n--- output ---\n{after}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn every_editor_creates_a_file_that_is_valid_and_stays_put() {
    for editor in [Editor::EnvSh, Editor::FlyToml] {
        for ctx in contexts() {
            let created = editor.plan(&ctx, None).unwrap();
            let flycluster::edit::Outcome::Write(text) = created.outcome else {
                panic!("{editor:?} does not create its file");
            };
            assert_eq!(editor.parses(&text), Some(true), "{text}");
            let again = editor.plan(&ctx, Some(&text)).unwrap();
            assert_eq!(
                again.outcome,
                flycluster::edit::Outcome::Unchanged,
                "{text}"
            );
        }
    }
}

// ----- regressions found by fuzzing (fuzz/run.sh); each input minimised by hand -----

/// fuzz `application`: a no-parentheses call as the last child (`tart a worker by calling: X`)
/// got `,` plus the new child appended, which made the child one more (keyword) argument: a syntax
/// error, or with positional arguments a silently wrong supervision tree.
#[test]
fn fuzz_regression_child_after_a_call_without_parentheses() {
    for last in [
        "tart a worker by calling: Hello.Worker.start_link(arg)",
        "supervisor HelloElixir.Endpoint, []",
        "worker HelloElixir.Worker",
    ] {
        let src = format!(
            "defmodule HelloElixir.Application do\n  use Application\n\n  def start(_type, _args) do\n    children = [\n      HelloElixir.Repo,\n      {last}\n    ]\n\n    Supervisor.start_link(children, strategy: :one_for_one)\n  end\nend\n"
        );
        for ctx in contexts() {
            check(Editor::Application, &ctx, &src);
        }
    }
}

/// fuzz `mix_deps`: a keyword pair as the last element of the deps list (`test: [...]`) got the dep
/// appended after it, a syntax error; it is now a manual step.
#[test]
fn fuzz_regression_dep_after_a_keyword_pair() {
    let src = "defmodule Hello.MixProject do\n  use Mix.Project\n\n  def project do\n    [app: :hello, deps: deps()]\n  end\n\n  defp deps do\n    [\n      {:phoenix, \"~> 1.5.14\"},\n      test: [\"ecto.create --quiet\", \"test\"]\n    ]\n  end\nend\n";
    for ctx in contexts() {
        check(Editor::Deps, &ctx, src);
        let edited = Editor::Deps.plan(&ctx, Some(src)).unwrap();
        assert!(
            matches!(edited.outcome, flycluster::edit::Outcome::Manual(_)),
            "{:?}",
            edited.outcome
        );
    }
}

/// fuzz `fly_toml`: a file whose last line ends in a lone CR reached the editor as `\r\n`, and
/// toml_edit wrote it back as `\n`: a byte lost. TOML allows no lone CR, so it is refused, with its
/// line.
#[test]
fn fuzz_regression_fly_toml_with_a_stray_carriage_return() {
    check_bytes(Editor::FlyToml, b"\r");
    check_bytes(Editor::FlyToml, b"app = 'a'\r");
    check_bytes(Editor::FlyToml, b"app = 'a'\r\r\n[env]\n");
    for ctx in contexts() {
        let err = Editor::FlyToml
            .plan(&ctx, Some("app = 'a'\r\n"))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`fly.toml` line 1: not valid TOML: a carriage return that does not end a line"
        );
    }
}

/// fuzz `dockerfile`: a Dockerfile whose last line ends in a lone CR and has no final newline: the
/// lines added after it must leave that CR in place (it then reads as a CRLF ending, the same
/// bytes).
#[test]
fn fuzz_regression_dockerfile_ending_in_a_lone_carriage_return() {
    check_bytes(Editor::Dockerfile, b"FROM debian\nRUN true\r");
    check_bytes(Editor::Dockerfile, b"FROM debian\r");
}

/// fuzz `dockerfile`: a lone CR after the file's last line ending is a last line of its own, with
/// no ending; storing the edited file dropped the "ending" CR+LF of that line, the CR with it, so
/// the file lost its last byte.
#[test]
fn fuzz_regression_a_lone_carriage_return_after_the_last_line_is_kept() {
    check_bytes(
        Editor::Dockerfile,
        b"FROM debian AS final\r\nCMD [\"/app/bin/server\"]\n\r",
    );
    check_bytes(
        Editor::Dockerfile,
        b"FROM debian\nCMD [\"/app/bin/server\"]\n\r",
    );
}

/// fuzz `dockerfile`: not a bug in src but in the invariant: a legacy `ENV KEY value` that needs the
/// flag is written as `ENV KEY="value -proto_dist inet6_tcp"`, the value's own quotes resolved as
/// BuildKit resolves them. The value must be the same, plus the flag.
#[test]
fn fuzz_regression_legacy_env_value_is_requoted_not_lost() {
    let src = "FROM debian\nENV ERL_AFLAGS ENV ERL_AFLAGS=\"-proto_dist inet6_tcp\"\n";
    for ctx in contexts() {
        let after = check(Editor::Dockerfile, &ctx, src).unwrap();
        assert!(
            has_line(
                &after,
                "ENV ERL_AFLAGS=\"ENV ERL_AFLAGS=-proto_dist inet6_tcp -proto_dist inet6_tcp\""
            ),
            "{after}"
        );
    }
}

/// fuzz `dockerfile`: not a bug in src but in the invariant: a legacy `ENV` value continued over
/// lines with `\` is written back on one line when the editor extends it, the lines joined as
/// BuildKit joins them.
#[test]
fn fuzz_regression_continued_legacy_env_value_is_joined_not_lost() {
    let src = "FROM debian\nENV ERL_AFLAGS -kernel shell_history enabled \\\n    +sbwt none\nCMD [\"/app/bin/server\"]\n";
    for ctx in contexts() {
        let after = check(Editor::Dockerfile, &ctx, src).unwrap();
        assert!(after.ends_with("CMD [\"/app/bin/server\"]\n"), "{after}");
    }
}

/// fuzz `env_sh`: not a bug in src but in the invariant: a file whose last line ends in several
/// lone CRs and no newline reads back, once a line follows it, with one CR taken as the CRLF ending:
/// the same bytes.
#[test]
fn fuzz_regression_env_sh_ending_in_carriage_returns() {
    check_bytes(Editor::EnvSh, b"#!/bin/sh\n\n# configure\r\r\r\r");
}

/// fuzz `fly_toml`: toml_edit writes dotted keys of one table back grouped, so adding
/// `DNS_CLUSTER_QUERY` moved `ceout = 2` below `HX_y.tomndpus = 1`. A fly.toml that toml_edit would
/// not write back as it was now gets a manual step with the lines to add.
#[test]
fn fuzz_regression_fly_toml_dotted_keys_are_not_regrouped() {
    let src = "app = 'hello-elixir'\n\n[env]\n  _QUERY = 'x'\n  HX_y.tomnd = '/app/b'\n  ceout = 2\n  HX_y.tomndpus = 1\n";
    for ctx in contexts() {
        assert_eq!(check(Editor::FlyToml, &ctx, src), None);
        let edited = Editor::FlyToml.plan(&ctx, Some(src)).unwrap();
        assert!(
            matches!(edited.outcome, flycluster::edit::Outcome::Manual(_)),
            "{:?}",
            edited.outcome
        );
    }
}

/// fuzz `application`: a comma at the start of the next child's line (`{Phoenix.PubSub, ...}\n,
/// HelloWeb.Endpoint`) left the new child, inserted between them, without a comma before it.
#[test]
fn fuzz_regression_child_before_a_comma_on_the_next_line() {
    let src = "defmodule HelloElixir.Application do\n  use Application\n\n  def start(_type, _args) do\n    children = [\n      {Phoenix.PubSub, name: HelloElixir.PubSub}\n,      HelloWeb.Endpoint\n    ]\n\n    Supervisor.start_link(children, strategy: :one_for_one)\n  end\nend\n";
    for ctx in contexts() {
        check(Editor::Application, &ctx, src);
    }
}

/// fuzz `mix_deps`: CRs that end no line (`[    \r\r\r\n`) parse for tree-sitter in some places,
/// and the list edited beside them did not. Elixir itself rejects such a CR, so every Elixir
/// editor now refuses the file as a syntax error at that line.
#[test]
fn fuzz_regression_elixir_with_a_stray_carriage_return() {
    let src = "defmodule Hello.MixProject do\n  defp deps do\n    [    \r\r\r\n\r\n       # {:\r\n    ]\n  end\nend\n";
    for ctx in contexts() {
        assert_eq!(check(Editor::Deps, &ctx, src), None);
        let err = Editor::Deps.plan(&ctx, Some(src)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`mix.exs` line 3: is not valid Elixir (syntax error)"
        );
    }
}

/// fuzz `runtime`: code after `do` on the prod block's line (tree-sitter reads `dor(` as `do` and
/// `r(`) got the config inserted on the next line, inside `r(...)`. That layout is now a manual
/// step.
#[test]
fn fuzz_regression_runtime_code_on_the_do_line() {
    let src = "import Config\n\nif config_env() == :prod dor(\n     qqq      )\nend\n";
    for ctx in contexts() {
        assert_eq!(check(Editor::Runtime, &ctx, src), None);
        let edited = Editor::Runtime.plan(&ctx, Some(src)).unwrap();
        assert!(
            matches!(edited.outcome, flycluster::edit::Outcome::Manual(_)),
            "{:?}",
            edited.outcome
        );
    }
}

/// fuzz `runtime`: tree-sitter's error recovery read `do` alone on a line inside the prod block as
/// valid (Elixir does not: "missing terminator: end"), and the config inserted before it broke the
/// parse. An edit whose result does not parse is now a manual step.
#[test]
fn fuzz_regression_runtime_edit_that_would_not_parse() {
    let src = "import ;imonfig\n\nconfig :untim# )]\n\nif config_env()==  :prod do\n\t   do\nonfigt ;nv\nend\n";
    for ctx in contexts() {
        check(Editor::Runtime, &ctx, src);
    }
    let edited = Editor::Runtime.plan(&contexts()[0], Some(src)).unwrap();
    assert!(
        matches!(edited.outcome, flycluster::edit::Outcome::Manual(_)),
        "{:?}",
        edited.outcome
    );
}

/// fuzz `dockerfile`: with `--force`, each `-proto_dist` carrier was set in place, so
/// `-proto_dist -proto_dist inet_tcp` became `-proto_dist -proto_dist inet6_tcp`, which the next run
/// read as the carrier `-proto_dist` and rewrote again. `--force` now leaves `-proto_dist inet6_tcp`
/// once, where the first one was.
#[test]
fn fuzz_regression_force_sets_proto_dist_once() {
    let force = &contexts()[1];
    assert!(force.force);
    for (value, fixed) in [
        ("-proto_dist -proto_dist inet_tcp", "-proto_dist inet6_tcp"),
        (
            "-proto_dist inet_tcp -kernel x -proto_dist inet_tls",
            "-proto_dist inet6_tcp -kernel x",
        ),
        (
            "-kernel x -proto_dist inet_tcp +sbwt none",
            "-kernel x -proto_dist inet6_tcp +sbwt none",
        ),
    ] {
        let src = format!("FROM debian\nENV ECTO_IPV6=\"true\" \\\n    ERL_AFLAGS=\"{value}\"\n");
        let after = check(Editor::Dockerfile, force, &src).unwrap();
        assert!(
            has_line(&after, &format!("    ERL_AFLAGS=\"{fixed}\"")),
            "{after}"
        );
    }
}

/// fuzz `dockerfile`: a value ending in `-proto_dist` with no carrier got a second
/// `-proto_dist inet6_tcp` appended; the next run read `-proto_dist` as the carrier and, with
/// `--force`, rewrote it again. It now gets the carrier.
#[test]
fn fuzz_regression_dangling_proto_dist_gets_its_carrier() {
    for (raw, fixed) in [
        (
            "\"-kernel x -proto_dist\"",
            "-kernel x -proto_dist inet6_tcp",
        ),
        ("-proto_dist", "-proto_dist inet6_tcp"),
        (
            "\"-protoENV ERL_AFLAGS \"-proto_dist",
            "-protoENV ERL_AFLAGS -proto_dist inet6_tcp",
        ),
    ] {
        let src = format!("FROM debian\nENV ECTO_IPV6=\"true\" ERL_AFLAGS={raw}\n");
        for ctx in contexts() {
            let after = check(Editor::Dockerfile, &ctx, &src).unwrap();
            assert_eq!(
                after,
                format!("FROM debian\nENV ECTO_IPV6=\"true\" ERL_AFLAGS=\"{fixed}\"\n")
            );
        }
    }
}

/// fuzz `dockerfile`: a legacy `ENV ERL_AFLAGS` value continued over lines with a comment line
/// between them was rewritten on one line, and the comment (which BuildKit skips) was dropped. Such
/// a value is now a manual step with the lines to write.
#[test]
fn fuzz_regression_env_value_with_comment_lines_inside_is_a_manual_step() {
    let src = "FROM debian\nENV ERL_AFLAGS -kernel shell_history enabled \\\n    # why: history\n    +sbwt none\n";
    for ctx in contexts() {
        assert_eq!(check(Editor::Dockerfile, &ctx, src), None);
        let edited = Editor::Dockerfile.plan(&ctx, Some(src)).unwrap();
        let flycluster::edit::Outcome::Manual(step) = edited.outcome else {
            panic!("{:?}", edited.outcome);
        };
        // The value as BuildKit reads it (the continuation's indentation is part of it), with
        // ECTO_IPV6 where the database is on Fly.
        let ecto = if ctx.database == flycluster::edit::Database::Fly {
            "ENV ECTO_IPV6=\"true\"\n"
        } else {
            ""
        };
        assert!(
            step.snippet.starts_with(&format!(
                "{ecto}ENV ERL_AFLAGS=\"-kernel shell_history enabled "
            )) && step
                .snippet
                .ends_with(" +sbwt none -proto_dist inet6_tcp\""),
            "{}",
            step.snippet
        );
    }
}

/// fuzz `dockerfile`: not a bug in src but in the invariant: an escaping backslash in a legacy
/// `ENV` value (`\2`) is resolved when the value is written in the `KEY="value"` form, as BuildKit
/// resolves it.
#[test]
fn fuzz_regression_escapes_in_a_legacy_env_value_are_resolved() {
    let src = "FROM debian\nENV ERL_AFLAGS \"-kernel x\" \\2_tcp\n";
    for ctx in contexts() {
        let after = check(Editor::Dockerfile, &ctx, src).unwrap();
        assert!(
            has_line(
                &after,
                "ENV ERL_AFLAGS=\"-kernel x 2_tcp -proto_dist inet6_tcp\""
            ),
            "{after}"
        );
    }
}

/// fuzz `dockerfile`: not a bug in src but in the invariant: a quoted `ENV` value over several
/// continued lines is joined onto one line when extended, which the line diff shows as one line
/// replaced and the others deleted; each run of changes is now judged as a whole.
#[test]
fn fuzz_regression_value_over_continued_lines_is_judged_as_one_change() {
    let src = "FROM debian\nENV LANG=en_US.UTF-8 \\\n    ERL_AFLAGS=\"-kernel x \\\n    +sbwt none\" \\\n    LC_ALL=C\nCMD [\"/app/bin/server\"]\n";
    for ctx in contexts() {
        let after = check(Editor::Dockerfile, &ctx, src).unwrap();
        let ecto = if ctx.database == flycluster::edit::Database::Fly {
            "\n# Fly's private network is IPv6: Ecto and Erlang distribution must connect over IPv6\nENV ECTO_IPV6=\"true\"\n\n"
        } else {
            ""
        };
        assert_eq!(
            after,
            format!(
                "FROM debian\nENV LANG=en_US.UTF-8 \\\n    ERL_AFLAGS=\"-kernel x     +sbwt none -proto_dist inet6_tcp\" \\\n    LC_ALL=C\n{ecto}CMD [\"/app/bin/server\"]\n"
            )
        );
    }
}

/// Whether `line` is a whole line of `text`.
fn has_line(text: &str, line: &str) -> bool {
    text.lines().any(|l| l == line)
}
