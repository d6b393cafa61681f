//! The `fly` CLI, the only thing verify talks to Fly through: `fly machines list --json` read into
//! [`Machine`]s, `fly ssh console --command` run with a deadline, and fly's failures turned into
//! the errors a person can act on.

use crate::error::{Error, Result};
use serde_json::Value;
use std::io::Read;
use std::net::Ipv6Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One Machine of the app, with the fields of flyctl's `Machine` JSON that verify uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    pub id: String,
    pub name: String,
    /// `started`, `stopped`, `suspended`, `created`, ...
    pub state: String,
    pub region: String,
    /// The 6PN address, as fly prints it.
    pub private_ip: String,
    /// `registry/repository:tag@digest`, the parts that are set (flyctl's `FullImageRef`).
    pub image: String,
    /// The image tag alone (`deployment-01HXYZ`), what the node name's suffix comes from.
    pub image_tag: String,
    /// `config.metadata.fly_process_group`.
    pub process_group: Option<String>,
}

impl Machine {
    pub fn is_started(&self) -> bool {
        self.state == "started"
    }

    pub fn ip(&self) -> Option<Ipv6Addr> {
        self.private_ip.parse().ok()
    }
}

/// Process groups flyctl runs for a moment (a release command, `fly console`): not the app's nodes.
const TRANSIENT_GROUPS: [&str; 3] = [
    "fly_app_release_command",
    "fly_app_console",
    "fly_app_test_machine_command",
];

/// The Machines of `fly machines list --json`, without destroyed ones and the transient Machines
/// flyctl makes for release commands and consoles. The error names what is not as expected.
pub fn parse_machines(json: &str) -> std::result::Result<Vec<Machine>, String> {
    let doc: Value = serde_json::from_str(json).map_err(|e| format!("not JSON ({e})"))?;
    // An app without Machines prints `null` in some flyctl versions, `[]` in others.
    let list = match &doc {
        Value::Null => return Ok(Vec::new()),
        Value::Array(list) => list,
        other => return Err(format!("expected a list of Machines, got {}", kind(other))),
    };
    let mut machines = Vec::new();
    for (i, m) in list.iter().enumerate() {
        let text = |key: &str| m.get(key).and_then(Value::as_str).unwrap_or("").to_string();
        let id = text("id");
        if id.is_empty() {
            return Err(format!("Machine {} has no `id`", i + 1));
        }
        let state = text("state");
        if matches!(state.as_str(), "destroyed" | "destroying") {
            continue;
        }
        // `config` is missing when the host is unreachable; flyctl then falls back to this.
        let config = m.get("config").or_else(|| m.get("incomplete_config"));
        let process_group = config
            .and_then(|c| c.get("metadata"))
            .and_then(|md| md.get("fly_process_group"))
            .and_then(Value::as_str)
            .map(str::to_string);
        if process_group
            .as_deref()
            .is_some_and(|g| TRANSIENT_GROUPS.contains(&g))
        {
            continue;
        }
        let image_ref = m.get("image_ref");
        let part = |key: &str| {
            image_ref
                .and_then(|r| r.get(key))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let (registry, repository, tag, digest) = (
            part("registry"),
            part("repository"),
            part("tag"),
            part("digest"),
        );
        let mut image = [registry.as_str(), repository.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join("/");
        if !tag.is_empty() {
            image = format!("{image}:{tag}");
        }
        if !digest.is_empty() {
            image = format!("{image}@{digest}");
        }
        machines.push(Machine {
            id,
            name: text("name"),
            state,
            region: text("region"),
            private_ip: text("private_ip"),
            image,
            image_tag: tag,
            process_group,
        });
    }
    Ok(machines)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// `fly` on PATH, or the error saying how to get it.
/// The first `program` in PATH's folders.
pub fn find_on_path(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

pub fn find() -> Result<PathBuf> {
    find_on_path("fly").ok_or_else(|| {
        Error::fly("`fly` is not on PATH: verify asks the deployed Machines through the fly CLI")
            .with_help("install flyctl (https://fly.io/docs/flyctl/install/) and log in with `fly auth login`")
    })
}

/// What one run of the fly CLI gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// `None` when it was ended at the deadline (or by a signal).
    pub code: Option<i32>,
    pub timed_out: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// fly's own message: the last lines of stderr that say something, else of stdout.
    pub fn message(&self) -> String {
        let pick = |text: &str| {
            let lines: Vec<&str> = text
                .lines()
                .map(|l| l.trim_matches(|c: char| c == '\r' || c.is_whitespace()))
                .filter(|l| !l.is_empty())
                .collect();
            let start = lines.len().saturating_sub(3);
            lines[start..].join(" / ")
        };
        let err = pick(&self.stderr);
        let text = if err.is_empty() {
            pick(&self.stdout)
        } else {
            err
        };
        // A message is one line of a report: long ones are cut, on a character boundary.
        match text.char_indices().nth(300) {
            Some((i, _)) => format!("{}…", &text[..i]),
            None => text,
        }
    }
}

/// Run `cmd` with no input, collecting its output, and kill it at `deadline`. The output read
/// until then is kept; a grandchild still holding the pipes open does not hold this up.
pub fn run_until(mut cmd: Command, deadline: Instant) -> std::io::Result<Output> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let out = Arc::new(Mutex::new(Vec::new()));
    let err = Arc::new(Mutex::new(Vec::new()));
    let readers = [
        collect(
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
            &out,
        ),
        collect(
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
            &err,
        ),
    ];
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            timed_out = true;
            let _ = child.kill();
            break child.wait()?;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // The pipes close when the process is gone, unless it left a child holding them: give the
    // readers a moment, then take what they have.
    let grace = Instant::now() + Duration::from_millis(500);
    for reader in readers.into_iter().flatten() {
        while !reader.is_finished() && Instant::now() < grace {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    let text = |buf: &Arc<Mutex<Vec<u8>>>| {
        String::from_utf8_lossy(&buf.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    };
    Ok(Output {
        code: if timed_out { None } else { status.code() },
        timed_out,
        stdout: text(&out),
        stderr: text(&err),
    })
}

fn collect(
    pipe: Option<Box<dyn Read + Send>>,
    into: &Arc<Mutex<Vec<u8>>>,
) -> Option<std::thread::JoinHandle<()>> {
    let mut pipe = pipe?;
    let into = Arc::clone(into);
    Some(std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            into.lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend_from_slice(&buf[..n]);
        }
    }))
}

/// How long `fly machines list` may take (it is one API call; flyctl retries for a while).
const LIST_TIMEOUT: Duration = Duration::from_secs(60);

/// `fly machines list --app APP --json`, parsed. Not logged in, no such app, or any other failure of
/// fly is an error with fly's own message.
pub fn list_machines(fly: &Path, app: &str) -> Result<Vec<Machine>> {
    let mut cmd = Command::new(fly);
    cmd.args(["machines", "list", "--app", app, "--json"]);
    let shown = format!("fly machines list --app {app} --json");
    let output = run_until(cmd, Instant::now() + LIST_TIMEOUT)
        .map_err(|e| Error::fly(format!("could not run `{shown}`: {e}")))?;
    if output.timed_out {
        return Err(Error::fly(format!(
            "`{shown}` did not answer within {} s",
            LIST_TIMEOUT.as_secs()
        ))
        .with_help("check the network, and `fly status --app APP` by hand"));
    }
    if !output.success() {
        return Err(list_failure(app, &shown, &output));
    }
    parse_machines(&output.stdout).map_err(|e| {
        Error::fly(format!("`{shown}` printed what verify cannot read: {e}"))
            .with_help("update flyctl (`fly version upgrade`) and run verify again")
    })
}

/// Why `fly machines list` failed, from what fly printed (flyctl's messages: "no access token
/// available. Please login with 'flyctl auth login'", "failed to list VMs: app not found", older
/// "Could not find App").
pub fn list_failure(app: &str, shown: &str, output: &Output) -> Error {
    let message = output.message();
    let said = format!("{}\n{}", output.stderr, output.stdout).to_lowercase();
    if said.contains("access token")
        || said.contains("auth login")
        || said.contains("not logged in")
        || said.contains("unauthorized")
    {
        Error::fly(format!(
            "the fly CLI is not logged in (`{shown}`: {message})"
        ))
        .with_help("log in with `fly auth login`, then run verify again")
    } else if said.contains("app not found")
        || said.contains("could not find app")
        || said.contains("could not resolve app")
    {
        Error::fly(format!("no Fly app `{app}` (`{shown}`: {message})")).with_help(
            "pass the app's name with `--app NAME` (`fly apps list` shows yours), or fix `app` in fly.toml",
        )
    } else {
        Error::fly(format!("`{shown}` failed: {message}"))
            .with_help("run it by hand to see what fly says")
    }
}

/// `fly ssh console` running `command` on one Machine, without a pseudo-terminal and without
/// WireGuard progress (`--quiet`).
pub fn ssh_command(fly: &Path, app: &str, machine: &str, command: &str) -> Command {
    let mut cmd = Command::new(fly);
    cmd.args([
        "ssh",
        "console",
        "--app",
        app,
        "--machine",
        machine,
        "--quiet",
        "--command",
        command,
    ]);
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `fly machines list --json` answer in flyctl's shape (fields as in fly-go's `Machine`),
    /// abridged: two app Machines, one stopped, a release-command Machine and a destroyed one.
    const SAMPLE: &str = r#"[
  {
    "id": "d891394fe06158",
    "name": "withered-bird-4321",
    "state": "started",
    "region": "ams",
    "image_ref": {
      "registry": "registry.fly.io",
      "repository": "hello-elixir",
      "tag": "deployment-01HXYZ",
      "digest": "sha256:5b0ca2bbd0fbe1a4d8f5cf00d2a0db1b5e4f1d9b1f7aeb5a7e6f1b8e9c0d1e2f",
      "labels": {"fly.version": "v3"}
    },
    "instance_id": "01HXYZ0000000000000000000",
    "private_ip": "fdaa:0:1da8:a7b:ac2:f901:4bf7:2",
    "created_at": "2024-05-01T10:00:00Z",
    "updated_at": "2024-05-01T10:01:00Z",
    "config": {
      "env": {"FLY_PROCESS_GROUP": "app", "PRIMARY_REGION": "ams"},
      "init": {},
      "guest": {"cpu_kind": "shared", "cpus": 1, "memory_mb": 1024},
      "metadata": {"fly_platform_version": "v2", "fly_process_group": "app", "fly_release_id": "x", "fly_release_version": "3"},
      "image": "registry.fly.io/hello-elixir:deployment-01HXYZ"
    },
    "events": [{"type": "start", "status": "started", "source": "flyd", "timestamp": 1714557660000}],
    "checks": [{"name": "servicecheck-00-http-8080", "status": "passing", "output": "OK"}],
    "host_status": "ok",
    "cordoned": false
  },
  {
    "id": "148e21ea7e5589",
    "name": "quiet-sea-1234",
    "state": "stopped",
    "region": "fra",
    "image_ref": {"registry": "registry.fly.io", "repository": "hello-elixir", "tag": "deployment-01HXYZ"},
    "private_ip": "fdaa:0:1da8:a7b:ac4:eb41:19d3:2",
    "config": {"metadata": {"fly_process_group": "app"}},
    "host_status": "ok",
    "cordoned": false
  },
  {
    "id": "3d8d9e1fe29968",
    "name": "release-command",
    "state": "started",
    "region": "ams",
    "image_ref": {"registry": "registry.fly.io", "repository": "hello-elixir", "tag": "deployment-01HXYZ"},
    "private_ip": "fdaa:0:1da8:a7b:ab2:a8e:6666:2",
    "config": {"metadata": {"fly_process_group": "fly_app_release_command"}},
    "cordoned": false
  },
  {
    "id": "e784e903fd2e58",
    "name": "gone",
    "state": "destroyed",
    "region": "ams",
    "image_ref": {},
    "cordoned": false
  },
  {
    "id": "0e286039f42e86",
    "name": "host-down",
    "state": "started",
    "region": "ord",
    "image_ref": {"repository": "library/hello", "tag": "v42"},
    "private_ip": "fdaa:0:1da8:a7b:ac2:cdf6:c422:2",
    "incomplete_config": {"metadata": {"fly_process_group": "worker"}},
    "host_status": "unreachable",
    "cordoned": false
  }
]"#;

    #[test]
    fn reads_flyctl_machine_json() {
        let machines = parse_machines(SAMPLE).unwrap();
        assert_eq!(
            machines,
            vec![
                Machine {
                    id: "d891394fe06158".into(),
                    name: "withered-bird-4321".into(),
                    state: "started".into(),
                    region: "ams".into(),
                    private_ip: "fdaa:0:1da8:a7b:ac2:f901:4bf7:2".into(),
                    image: "registry.fly.io/hello-elixir:deployment-01HXYZ@sha256:5b0ca2bbd0fbe1a4d8f5cf00d2a0db1b5e4f1d9b1f7aeb5a7e6f1b8e9c0d1e2f".into(),
                    image_tag: "deployment-01HXYZ".into(),
                    process_group: Some("app".into()),
                },
                Machine {
                    id: "148e21ea7e5589".into(),
                    name: "quiet-sea-1234".into(),
                    state: "stopped".into(),
                    region: "fra".into(),
                    private_ip: "fdaa:0:1da8:a7b:ac4:eb41:19d3:2".into(),
                    image: "registry.fly.io/hello-elixir:deployment-01HXYZ".into(),
                    image_tag: "deployment-01HXYZ".into(),
                    process_group: Some("app".into()),
                },
                Machine {
                    id: "0e286039f42e86".into(),
                    name: "host-down".into(),
                    state: "started".into(),
                    region: "ord".into(),
                    private_ip: "fdaa:0:1da8:a7b:ac2:cdf6:c422:2".into(),
                    image: "library/hello:v42".into(),
                    image_tag: "v42".into(),
                    process_group: Some("worker".into()),
                },
            ]
        );
    }

    #[test]
    fn an_app_without_machines_is_an_empty_list() {
        assert_eq!(parse_machines("[]\n").unwrap(), vec![]);
        assert_eq!(parse_machines("null").unwrap(), vec![]);
    }

    #[test]
    fn what_is_not_a_machine_list_is_said() {
        assert_eq!(
            parse_machines("Error: oops").unwrap_err(),
            "not JSON (expected value at line 1 column 1)"
        );
        assert_eq!(
            parse_machines(r#"{"id": "x"}"#).unwrap_err(),
            "expected a list of Machines, got an object"
        );
        assert_eq!(
            parse_machines(r#"[{"state": "started"}]"#).unwrap_err(),
            "Machine 1 has no `id`"
        );
    }

    fn failed(stderr: &str) -> Output {
        Output {
            code: Some(1),
            timed_out: false,
            stdout: String::new(),
            stderr: stderr.into(),
        }
    }

    #[test]
    fn fly_failures_are_told_apart_by_what_fly_says() {
        let shown = "fly machines list --app a --json";
        let logged_out = list_failure(
            "a",
            shown,
            &failed("Error: no access token available. Please login with 'flyctl auth login'\n"),
        );
        assert_eq!(
            logged_out.to_string(),
            "the fly CLI is not logged in (`fly machines list --app a --json`: Error: no access token available. Please login with 'flyctl auth login')"
        );
        assert_eq!(
            logged_out.help(),
            Some("log in with `fly auth login`, then run verify again")
        );
        for said in [
            "Error: failed to list VMs: app not found (Request ID: 01J-x)\n",
            "Error: Could not find App \"a\"\n",
        ] {
            let e = list_failure("a", shown, &failed(said));
            assert!(e.to_string().starts_with("no Fly app `a` ("), "{e}");
        }
        let other = list_failure("a", shown, &failed("Error: connection refused\n"));
        assert_eq!(
            other.to_string(),
            "`fly machines list --app a --json` failed: Error: connection refused"
        );
    }

    #[test]
    fn the_message_is_the_last_lines_fly_printed() {
        let out = Output {
            code: Some(1),
            timed_out: false,
            stdout: "ignored\n".into(),
            stderr:
                "Connecting to fdaa::2...\r\n\r\nError: ssh shell: Process exited with status 1\r\n"
                    .into(),
        };
        assert_eq!(
            out.message(),
            "Connecting to fdaa::2... / Error: ssh shell: Process exited with status 1"
        );
    }

    #[test]
    fn a_command_past_its_deadline_is_killed_with_what_it_printed() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo before; exec sleep 30"]);
        let started = Instant::now();
        let out = run_until(cmd, Instant::now() + Duration::from_millis(300)).unwrap();
        assert!(out.timed_out);
        assert_eq!(out.code, None);
        assert_eq!(out.stdout, "before\n");
        // Killed, not waited for: the 30 s sleep did not run out.
        assert!(started.elapsed() < Duration::from_secs(20));
    }
}
