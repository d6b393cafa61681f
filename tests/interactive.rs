//! Interactive `flycluster init`, driven through a real pseudo-terminal as a person would: the
//! dialoguer prompts get arrow keys, Enter and Ctrl-C, and the files on disk are compared byte for
//! byte with what `--yes` writes. Every wait has a deadline, so a hang fails the test.

mod common;
use common::TestProject;
use expectrl::process::unix::{Signal, WaitStatus};
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// How long one step may take before the test fails (debug build, shared CPU).
const STEP: Duration = Duration::from_secs(30);

const DOWN: &str = "\x1b[B";
const ENTER: &str = "\r";
const CTRL_C: &str = "\x03";

/// The files phx17 gets, in the order init asks about them.
const PHX17_FILES: [&str; 6] = [
    "rel/env.sh.eex",
    "mix.exs",
    "lib/hello17/application.ex",
    "config/runtime.exs",
    "Dockerfile",
    "fly.toml",
];

/// How a run through the terminal ended.
#[derive(Debug, PartialEq, Eq)]
enum Ended {
    Code(i32),
    Signal(Signal),
}

/// The binary running in a pseudo-terminal, with everything it printed so far.
struct Terminal {
    session: expectrl::session::OsSession,
    /// Raw bytes the terminal received.
    raw: Vec<u8>,
    /// How much of the plain (escape-free) text `expect` has consumed.
    consumed: usize,
    eof: bool,
}

impl Terminal {
    fn start(args: &[&str], env: &[(&str, &str)]) -> Terminal {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_flycluster"));
        cmd.args(args)
            .env("TERM", "xterm-256color")
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR")
            .env_remove("CLICOLOR_FORCE")
            .env_remove("FLYCLUSTER_FAIL_WRITE");
        for (k, v) in env {
            cmd.env(k, v);
        }
        Terminal {
            session: expectrl::Session::spawn(cmd).expect("spawn flycluster in a pty"),
            raw: Vec::new(),
            consumed: 0,
            eof: false,
        }
    }

    fn init(project: &Path, args: &[&str]) -> Terminal {
        let mut all = vec!["init"];
        all.extend_from_slice(args);
        let path = project.to_str().unwrap();
        all.push(path);
        Terminal::start(&all, &[])
    }

    /// Everything printed so far, escape sequences removed.
    fn plain(&self) -> String {
        strip_ansi(&String::from_utf8_lossy(&self.raw))
    }

    /// Read what is there without blocking; true when the terminal closed.
    fn pump(&mut self) -> bool {
        let mut buf = [0u8; 4096];
        loop {
            match self.session.try_read(&mut buf) {
                Ok(0) => {
                    self.eof = true;
                    return true;
                }
                Ok(n) => self.raw.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return self.eof,
                Err(e) => panic!("reading the pty: {e}\n{}", self.plain()),
            }
        }
    }

    /// Wait until `text` appears after what was already matched.
    fn expect(&mut self, text: &str) {
        let deadline = Instant::now() + STEP;
        loop {
            let closed = self.pump();
            let plain = self.plain();
            if let Some(at) = plain[self.consumed..].find(text) {
                self.consumed += at + text.len();
                return;
            }
            if closed {
                panic!("the program ended before printing {text:?}; it printed:\n{plain}");
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {text:?}; the terminal shows:\n{plain}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn send(&mut self, keys: &str) {
        self.session.write_all(keys.as_bytes()).unwrap();
        self.session.flush().unwrap();
    }

    /// Answer a dialoguer `Select` whose cursor starts on item 0: move down `index` times, Enter.
    fn choose(&mut self, index: usize) {
        self.send(&format!("{}{ENTER}", DOWN.repeat(index)));
    }

    /// Press Ctrl-C, again if the first one came before the prompt read the keyboard (then the
    /// terminal turned it into SIGINT, which the program notes for its next prompt).
    fn interrupt(&mut self) {
        let deadline = Instant::now() + STEP;
        while Instant::now() < deadline {
            let _ = self.session.write_all(CTRL_C.as_bytes());
            let _ = self.session.flush();
            let retry = Instant::now() + Duration::from_secs(2);
            while Instant::now() < retry {
                if self.pump() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// Read to the end and wait for the process; the run's output (plain) and how it ended.
    fn finish(mut self) -> (Ended, String) {
        let deadline = Instant::now() + STEP;
        while !self.pump() {
            if Instant::now() > deadline {
                panic!(
                    "the program did not end; the terminal shows:\n{}",
                    self.plain()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        loop {
            match self.session.get_process().status() {
                Ok(WaitStatus::Exited(_, code)) => return (Ended::Code(code), self.plain()),
                Ok(WaitStatus::Signaled(_, signal, _)) => {
                    return (Ended::Signal(signal), self.plain());
                }
                Ok(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
                other => panic!("waiting for the program: {other:?}\n{}", self.plain()),
            }
        }
    }

    /// The raw bytes, escape sequences included.
    fn raw_text(&self) -> String {
        String::from_utf8_lossy(&self.raw).to_string()
    }
}

fn strip_ansi(text: &str) -> String {
    let csi = regex::Regex::new(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]").unwrap();
    csi.replace_all(text, "").to_string()
}

/// The lines the terminal showed, without their `\r`.
fn screen_lines(output: &str) -> Vec<&str> {
    output
        .split('\n')
        .map(|l| l.trim_end_matches('\r'))
        .collect()
}

/// The numbered lines after `Next steps:`, without their indentation, the cookie as `[COOKIE]`.
fn next_steps(output: &str) -> Vec<String> {
    screen_lines(&common::redact(output, None))
        .into_iter()
        .skip_while(|l| *l != "Next steps:")
        .skip(1)
        .map(|l| l.trim_start().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// The report lines (`   updated  mix.exs`), trimmed.
fn report(output: &str) -> Vec<&str> {
    screen_lines(output)
        .into_iter()
        .map(str::trim_start)
        .filter(|l| {
            matches!(
                l.split("  ").next(),
                Some("created" | "updated" | "unchanged" | "skipped" | "manual")
            )
        })
        .collect()
}

/// The next steps of phx17 configured for the Fly app `app`, its cookie a secret to set.
fn phx17_next_steps(app: &str, deps: bool) -> Vec<String> {
    expected_next_steps(app, "hello17", deps, "secret")
}

/// The next steps init prints for the Fly app `app` whose release is `release`: `mix deps.get`
/// when a dependency was added, and for the cookie mode `cookie` (`secret`, `fly-toml`, `none`) the
/// secret to set, nothing, or a reminder to set it.
fn expected_next_steps(app: &str, release: &str, deps: bool, cookie: &str) -> Vec<String> {
    let mut steps = vec![];
    if deps {
        steps.push("mix deps.get   # fetch the new dependency and update mix.lock".to_string());
    }
    let database =
        "DATABASE_URL must name the Fly Postgres database; the Repo reaches it over IPv6";
    match cookie {
        "secret" => steps.push(format!("fly secrets set RELEASE_COOKIE=[COOKIE] --app {app}   # once per app: nodes must share one cookie")),
        // One look at the secrets for both.
        "none" => steps.push(format!("fly secrets list --app {app}   # make sure RELEASE_COOKIE is set, or every deploy gets a new cookie; {database}")),
        _ => {}
    }
    if cookie != "none" {
        steps.push(format!("fly secrets list --app {app}   # {database}"));
    }
    steps.extend([
        "fly deploy".to_string(),
        format!("fly scale count 2 --app {app}"),
        format!("fly ssh console --pty -C \"/app/bin/{release} remote\" --app {app}   # then: Node.list()"),
        "flycluster verify   # every Machine's view: which node sees which, and why a pair is not connected".to_string(),
    ]);
    steps
        .into_iter()
        .enumerate()
        .map(|(i, s)| format!("{}. {s}", i + 1))
        .collect()
}

/// The files `--yes` writes on a fresh copy of `fixture`.
fn applied_with_yes(fixture: &str, args: &[&str]) -> Vec<(String, Vec<u8>)> {
    let project = TestProject::from_fixture(fixture);
    let mut all = vec!["--yes"];
    all.extend_from_slice(args);
    let run = project.init(&all);
    assert!(run.code == 0, "{}", run.transcript());
    project.snapshot_files()
}

/// What `--yes --app hello17` writes on `fixture`, but with `declined` left as it was.
fn applied_declining(fixture: &str, declined: &str, original: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut files = applied_with_yes(fixture, &["--app", "hello17"]);
    for (path, bytes) in &mut files {
        if path == declined {
            *bytes = original.to_vec();
        }
    }
    files
}

fn leftover_temp_files(project: &TestProject) -> Vec<String> {
    project
        .snapshot_files()
        .into_iter()
        .map(|(path, _)| path)
        .filter(|p| p.rsplit('/').next().unwrap().starts_with(".flycluster-"))
        .collect()
}

/// Accept the detected defaults: app name (Enter), cookie mode (Enter), database (Enter).
fn accept_defaults(term: &mut Terminal) {
    term.expect("Fly app name");
    term.send(ENTER);
    term.expect("Release cookie");
    term.choose(0);
    answer_database(term);
}

/// The fixtures have an Ecto repo, so init asks where its database lives: the default, on Fly.
fn answer_database(term: &mut Terminal) {
    term.expect("Where does the database live?");
    term.choose(0);
}

#[test]
fn accepting_every_file_writes_what_yes_writes() {
    let project = TestProject::from_fixture("phx17");
    let mut term = Terminal::init(project.path(), &[]);
    accept_defaults(&mut term);
    for path in PHX17_FILES {
        term.expect(&format!("+++ b/{path}"));
        term.expect(&format!("Apply this change to {path}?"));
        term.choose(0);
    }
    let (ended, output) = term.finish();
    assert_eq!(ended, Ended::Code(0), "{output}");
    assert_eq!(
        project.snapshot_files(),
        applied_with_yes("phx17", &["--app", "hello17"]),
        "interactive yes-to-all differs from `--yes --app hello17`; the terminal showed:\n{output}"
    );
    assert_eq!(
        next_steps(&output),
        phx17_next_steps("hello17", true),
        "{output}"
    );
}

#[test]
fn all_remaining_applies_the_rest_without_asking() {
    let project = TestProject::from_fixture("phx17");
    let mut term = Terminal::init(project.path(), &[]);
    accept_defaults(&mut term);
    term.expect("Apply this change to rel/env.sh.eex?");
    term.choose(0);
    term.expect("Apply this change to mix.exs?");
    term.choose(2);
    let (ended, output) = term.finish();
    assert_eq!(ended, Ended::Code(0), "{output}");
    assert!(
        !output.contains("Apply this change to lib/hello17/application.ex?"),
        "asked again after `all`:\n{output}"
    );
    assert_eq!(
        project.snapshot_files(),
        applied_with_yes("phx17", &["--app", "hello17"])
    );
}

#[test]
fn answering_no_leaves_that_file_untouched_and_applies_the_rest() {
    let project = TestProject::from_fixture("phx17");
    let original_mix = project.read_bytes("mix.exs");
    let mut term = Terminal::init(project.path(), &[]);
    accept_defaults(&mut term);
    for path in PHX17_FILES {
        term.expect(&format!("Apply this change to {path}?"));
        term.choose(if path == "mix.exs" { 1 } else { 0 });
    }
    let (ended, output) = term.finish();
    assert_eq!(ended, Ended::Code(0), "{output}");
    assert_eq!(
        project.read_bytes("mix.exs"),
        original_mix,
        "mix.exs was written"
    );
    let expected = applied_declining("phx17", "mix.exs", &original_mix);
    assert_eq!(project.snapshot_files(), expected, "{output}");
    assert_eq!(report(&output), DECLINED_MIX_EXS, "{output}");
    // The declined dependency is not fetched.
    assert_eq!(
        next_steps(&output),
        phx17_next_steps("hello17", false),
        "{output}"
    );
}

/// The file prompt answers to single keys, as `git add -p` does: no arrow, no Enter.
#[test]
fn single_keys_answer_the_file_prompt() {
    let project = TestProject::from_fixture("phx17");
    let original_mix = project.read_bytes("mix.exs");
    let mut term = Terminal::init(project.path(), &[]);
    accept_defaults(&mut term);
    term.expect("Apply this change to rel/env.sh.eex? [y,n,a,q,?]");
    term.send("y");
    term.expect("Apply this change to mix.exs? [y,n,a,q,?]");
    term.send("n");
    term.expect("Apply this change to lib/hello17/application.ex?");
    // `?` explains the keys and asks again; then `a` accepts this file and every remaining one.
    term.send("?");
    term.expect("y - apply this change");
    term.expect("n - skip this file; it stays as it is");
    term.expect("a - apply this change and every remaining one without asking");
    term.expect("q - quit: nothing is written, not even files already accepted");
    term.expect("? - print this help");
    term.send("a");
    let (ended, output) = term.finish();
    assert_eq!(ended, Ended::Code(0), "{output}");
    assert!(
        !output.contains("Apply this change to config/runtime.exs?"),
        "asked again after `a`:\n{output}"
    );
    let expected = applied_declining("phx17", "mix.exs", &original_mix);
    assert_eq!(project.snapshot_files(), expected, "{output}");
    assert_eq!(report(&output), DECLINED_MIX_EXS, "{output}");
}

/// The report of phx17 with mix.exs declined and every other file applied.
const DECLINED_MIX_EXS: [&str; 6] = [
    "created  rel/env.sh.eex",
    "skipped  mix.exs  (declined)",
    "updated  lib/hello17/application.ex",
    "updated  config/runtime.exs",
    "updated  Dockerfile",
    "created  fly.toml",
];

#[test]
fn the_q_key_quits_and_writes_nothing() {
    let project = TestProject::from_fixture("phx17");
    let before = project.snapshot_files();
    let mut term = Terminal::init(project.path(), &[]);
    accept_defaults(&mut term);
    term.expect("Apply this change to rel/env.sh.eex?");
    term.send("Y");
    term.expect("Apply this change to mix.exs?");
    // Keys that answer nothing are ignored; the menu is still there for the arrow keys.
    term.send("x");
    term.send("q");
    let (ended, output) = term.finish();
    assert_eq!(ended, Ended::Code(0), "{output}");
    assert_quit(&output);
    assert_eq!(project.snapshot_files(), before, "quit wrote files");
}

/// The run ended on the quit line, after which the terminal shows nothing.
fn assert_quit(output: &str) {
    let lines = screen_lines(output);
    assert_eq!(
        lines.iter().rev().find(|l| !l.trim().is_empty()),
        Some(&"quit: nothing was written"),
        "{output}"
    );
}

#[test]
fn quit_writes_nothing_even_after_a_yes() {
    let project = TestProject::from_fixture("phx17");
    let before = project.snapshot_files();
    let mut term = Terminal::init(project.path(), &[]);
    accept_defaults(&mut term);
    term.expect("Apply this change to rel/env.sh.eex?");
    term.choose(0);
    term.expect("Apply this change to mix.exs?");
    term.choose(3);
    let (ended, output) = term.finish();
    assert_eq!(ended, Ended::Code(0), "{output}");
    assert_quit(&output);
    assert_eq!(project.snapshot_files(), before, "quit wrote files");
}

/// Ctrl-C at each kind of prompt: the process stops, nothing is written, no temporary file stays,
/// and the cursor dialoguer hid is shown again.
fn ctrl_c_at(stop_at: &str) {
    let project = TestProject::from_fixture("phx17");
    let before = project.snapshot_files();
    let mut term = Terminal::init(project.path(), &[]);
    // Answer every prompt before the one to stop at.
    if stop_at != "Fly app name" {
        term.expect("Fly app name");
        term.send(ENTER);
    }
    if stop_at.starts_with("Where") || stop_at.starts_with("Apply") {
        term.expect("Release cookie");
        term.choose(0);
    }
    if stop_at.starts_with("Apply") {
        answer_database(&mut term);
    }
    if stop_at.starts_with("Apply") {
        term.expect("Apply this change to rel/env.sh.eex?");
        term.choose(0);
    }
    term.expect(stop_at);
    term.interrupt();
    let (ended, raw) = term.finish_raw();
    let output = strip_ansi(&raw);
    assert_eq!(ended, Ended::Code(2), "Ctrl-C at {stop_at:?}:\n{output}");
    assert_eq!(
        screen_lines(&output)
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty()),
        Some(&"error: interrupted; nothing was written"),
        "Ctrl-C at {stop_at:?}:\n{output}"
    );
    let (hide, show) = ("\x1b[?25l", "\x1b[?25h");
    assert!(
        raw.rfind(hide) <= raw.rfind(show),
        "Ctrl-C at {stop_at:?} left the cursor hidden:\n{raw:?}"
    );
    assert_eq!(
        project.snapshot_files(),
        before,
        "Ctrl-C at {stop_at:?} wrote files"
    );
    assert_eq!(leftover_temp_files(&project), Vec::<String>::new());
}

common::cases! {
    mod ctrl_c_at_any_prompt_writes_nothing = ctrl_c_at {
        the_app_name: ("Fly app name"),
        the_cookie_mode: ("Release cookie"),
        the_database: ("Where does the database live?"),
        a_file: ("Apply this change to mix.exs?"),
    }
}

#[test]
fn the_app_name_prompt_shows_the_default_and_takes_a_typed_name() {
    // The default comes from fly.toml's `app`.
    let project = TestProject::from_fixture("examples/hello_elixir");
    let mut term = Terminal::init(project.path(), &["--cookie", "secret"]);
    term.expect("fly.toml app hello-elixir");
    term.expect("Fly app name (hello-elixir)");
    term.send(ENTER);
    term.expect("Fly app name · hello-elixir");
    answer_database(&mut term);
    term.expect("Apply this change to rel/env.sh.eex?");
    term.choose(3);
    let (ended, output) = term.finish();
    assert_eq!(ended, Ended::Code(0), "{output}");
    assert!(
        !output.contains("Release cookie"),
        "asked for the cookie mode despite --cookie:\n{output}"
    );

    // Without fly.toml the default is the OTP app with `_` as `-`; an invalid name is refused at
    // the prompt and a valid one is used everywhere.
    let project = TestProject::from_fixture("phx17");
    let mut term = Terminal::init(project.path(), &[]);
    term.expect("Fly app name (hello17)");
    term.send(&format!("Bad_Name{ENTER}"));
    term.expect("is not a valid Fly app name");
    // dialoguer asks again with an empty line.
    term.send(&format!("typed-app{ENTER}"));
    term.expect("Fly app name · typed-app");
    term.expect("Release cookie");
    term.choose(0);
    answer_database(&mut term);
    term.expect("Apply this change to rel/env.sh.eex?");
    term.choose(2);
    let (ended, output) = term.finish();
    assert_eq!(ended, Ended::Code(0), "{output}");
    assert_eq!(
        project.snapshot_files(),
        applied_with_yes("phx17", &["--app", "typed-app"]),
        "{output}"
    );
    assert_eq!(
        next_steps(&output),
        phx17_next_steps("typed-app", true),
        "{output}"
    );
}

#[test]
fn the_app_name_prompt_is_skipped_when_app_is_given() {
    let project = TestProject::from_fixture("phx17");
    let mut term = Terminal::init(project.path(), &["--app", "given-app"]);
    term.expect("Release cookie");
    term.choose(0);
    answer_database(&mut term);
    term.expect("Apply this change to rel/env.sh.eex?");
    term.choose(3);
    let (ended, output) = term.finish();
    assert_eq!(ended, Ended::Code(0), "{output}");
    assert!(!output.contains("Fly app name"), "{output}");
}

#[test]
fn the_cookie_mode_prompt_chooses_where_the_cookie_goes() {
    // Second choice: fly.toml's [env].
    let project = TestProject::from_fixture("examples/hello_elixir");
    let mut term = Terminal::init(project.path(), &[]);
    term.expect("Fly app name");
    term.send(ENTER);
    term.expect("Release cookie");
    term.expect("Fly secret (recommended)");
    term.expect("fly.toml [env]");
    term.expect("none: I manage RELEASE_COOKIE myself");
    term.choose(1);
    answer_database(&mut term);
    term.expect("Apply this change to rel/env.sh.eex?");
    term.choose(2);
    let (ended, output) = term.finish();
    assert_eq!(ended, Ended::Code(0), "{output}");
    let fly_toml = project.read("fly.toml");
    let cookie = regex::Regex::new(r"RELEASE_COOKIE = '([A-Za-z0-9_-]{54}==)'")
        .unwrap()
        .captures(&fly_toml)
        .unwrap_or_else(|| panic!("no cookie in fly.toml:\n{fly_toml}"))[1]
        .to_string();
    // The diff shows the cookie; no secret command is printed, as the cookie is in fly.toml.
    assert!(
        screen_lines(&output).contains(&format!("+  RELEASE_COOKIE = '{cookie}'").as_str()),
        "{output}"
    );
    assert_eq!(
        next_steps(&output),
        expected_next_steps("hello-elixir", "hello_elixir", true, "fly-toml"),
        "{output}"
    );

    // Third choice: none.
    let project = TestProject::from_fixture("examples/hello_elixir");
    let mut term = Terminal::init(project.path(), &[]);
    term.expect("Fly app name");
    term.send(ENTER);
    term.expect("Release cookie");
    term.choose(2);
    answer_database(&mut term);
    term.expect("Apply this change to rel/env.sh.eex?");
    term.choose(2);
    let (ended, output) = term.finish();
    assert_eq!(ended, Ended::Code(0), "{output}");
    assert_eq!(
        project.snapshot_files(),
        applied_with_yes("examples/hello_elixir", &["--cookie", "none"]),
        "{output}"
    );
    assert_eq!(
        next_steps(&output),
        expected_next_steps("hello-elixir", "hello_elixir", true, "none"),
        "{output}"
    );
}

#[test]
fn detection_is_shown_before_the_questions() {
    let project = TestProject::from_fixture("phx17");
    let mut term = Terminal::init(project.path(), &[]);
    term.expect("OTP app      hello17");
    term.expect("application  Hello17.Application");
    term.expect("Phoenix      ~> 1.7.7");
    term.expect("fly.toml app (no fly.toml)");
    term.expect("Fly app name");
    term.interrupt();
    let _ = term.finish();
}

/// On a terminal, `--color auto` colours the diff; NO_COLOR and `--color never` turn it off.
#[test]
fn colour_on_a_terminal_follows_color_and_no_color() {
    let project = TestProject::from_fixture("phx17");
    let path = project.path().to_str().unwrap();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["init", "--dry-run"];
        all.extend_from_slice(args);
        all.push(path);
        Terminal::start(&all, env).finish_raw()
    };
    let (code, raw) = run(&[], &[]);
    assert_eq!(code, Ended::Code(0), "{raw}");
    assert!(
        screen_lines(&raw).contains(
            &"\x1b[32m+      {DNSCluster, query: Application.get_env(:hello17, :dns_cluster_query) || :ignore},\x1b[0m"
        ),
        "no colour on a terminal:\n{raw:?}"
    );
    for (args, env) in [
        (&["--color", "auto"][..], &[("NO_COLOR", "1")][..]),
        (&["--color", "never"][..], &[][..]),
    ] {
        let (code, raw) = run(args, env);
        assert_eq!(code, Ended::Code(0), "{raw}");
        assert!(
            !raw.contains('\x1b'),
            "escape codes with {args:?} {env:?}:\n{raw:?}"
        );
    }
}

impl Terminal {
    /// Like `finish`, but the raw output, escape codes kept.
    fn finish_raw(self) -> (Ended, String) {
        let mut this = self;
        let deadline = Instant::now() + STEP;
        while !this.pump() {
            assert!(Instant::now() < deadline, "did not end:\n{}", this.plain());
            std::thread::sleep(Duration::from_millis(20));
        }
        let raw = this.raw_text();
        let (ended, _) = this.finish();
        (ended, raw)
    }
}

/// The database question says what each answer does, starts on Fly (the project has an Ecto repo),
/// and an answer is what `--database` would have said; `--database` skips it.
#[test]
fn the_database_prompt_says_what_each_choice_does() {
    let project = TestProject::from_fixture("phx17");
    let mut term = Terminal::init(project.path(), &["--app", "hello17", "--cookie", "none"]);
    term.expect("Where does the database live?");
    term.expect(
        "on Fly (Fly Postgres, Managed Postgres): set ECTO_IPV6, the Repo connects over IPv6",
    );
    term.expect("outside Fly (IPv4): no ECTO_IPV6, the Repo connects over IPv4");
    term.expect("no database: leave ECTO_IPV6 and the Repo alone");
    term.choose(1);
    term.expect("Apply this change to rel/env.sh.eex?");
    term.choose(2);
    term.expect("the database is outside Fly (`--database external`)");
    let (ended, output) = term.finish();
    assert_eq!(ended, Ended::Code(0), "{output}");
    assert_eq!(
        project.snapshot_files(),
        applied_with_yes(
            "phx17",
            &[
                "--app",
                "hello17",
                "--cookie",
                "none",
                "--database",
                "external"
            ]
        ),
        "{output}"
    );

    let project = TestProject::from_fixture("phx17");
    let mut term = Terminal::init(
        project.path(),
        &["--app", "hello17", "--cookie", "none", "--database", "fly"],
    );
    term.expect("Apply this change to rel/env.sh.eex?");
    term.choose(3);
    let (ended, output) = term.finish();
    assert_eq!(ended, Ended::Code(0), "{output}");
    assert!(
        !output.contains("Where does the database live?"),
        "{output}"
    );
}

/// Warnings bear on the answers, so they come before the first question; manual steps come with
/// the result, and make the exit code 3.
#[test]
fn warnings_come_before_the_questions_and_manual_steps_after() {
    let project = TestProject::from_fixture("phx17");
    project.write(
        "lib/hello17/application.ex",
        "defmodule Hello17.Application do\n  use Application\n\n  def start(_type, _args) do\n    Supervisor.start_link(children(), strategy: :one_for_one)\n  end\n\n  defp children, do: []\nend\n",
    );
    let mut term = Terminal::init(project.path(), &["--app", "other-app"]);
    term.expect("Release cookie");
    term.choose(1);
    answer_database(&mut term);
    term.expect("warning: `fly.toml`: `RELEASE_COOKIE` is written here in plain text");
    term.expect("Apply this change to rel/env.sh.eex?");
    term.choose(2);
    term.expect("manual step: `lib/hello17/application.ex`");
    term.expect("{DNSCluster, query:");
    term.expect("manual  lib/hello17/application.ex");
    term.expect("created  fly.toml");
    let (ended, output) = term.finish();
    assert_eq!(ended, Ended::Code(3), "{output}");
    assert_eq!(
        output
            .matches("warning: `fly.toml`: `RELEASE_COOKIE` is written")
            .count(),
        1,
        "the warning is repeated:\n{output}"
    );
}

/// `-q` silences information, not the diff a question is about.
#[test]
fn quiet_still_shows_the_diff_being_asked_about() {
    let project = TestProject::from_fixture("phx17");
    let mut term = Terminal::init(
        project.path(),
        &["-q", "--app", "hello17", "--cookie", "none"],
    );
    answer_database(&mut term);
    term.expect("+++ b/rel/env.sh.eex");
    term.expect("Apply this change to rel/env.sh.eex?");
    term.choose(0);
    term.expect("+++ b/mix.exs");
    term.expect("Apply this change to mix.exs?");
    term.choose(3);
    let (ended, output) = term.finish();
    assert_eq!(ended, Ended::Code(0), "{output}");
    assert!(
        !output.contains("OTP app"),
        "-q printed the detection:\n{output}"
    );
}

/// A diff longer than the limit is offered as a file instead of flooding the terminal. The limit is
/// 500 changed lines, which flycluster's own edits never reach, so the test lowers it (debug builds
/// read FLYCLUSTER_LONG_DIFF_LINES) and the real env.sh.eex edit crosses it.
#[test]
fn a_long_diff_is_offered_as_a_file() {
    let project = TestProject::from_fixture("phx17");
    let path = project.path().to_str().unwrap().to_string();
    let mut term = Terminal::start(
        &["init", "--app", "hello17", "--cookie", "secret", &path],
        &[("FLYCLUSTER_LONG_DIFF_LINES", "20")],
    );
    answer_database(&mut term);
    term.expect("The diff of rel/env.sh.eex changes");
    term.choose(0); // the default: write it to a file
    term.expect("the diff of rel/env.sh.eex is in ");
    term.expect("Apply this change to rel/env.sh.eex?");
    term.choose(3); // quit
    let (ended, output) = term.finish();
    assert_eq!(ended, Ended::Code(0), "{output}");
    let file = output
        .split("the diff of rel/env.sh.eex is in ")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .expect("the file is named")
        .trim()
        .to_string();
    let diff = std::fs::read_to_string(&file).expect("the diff file exists");
    let _ = std::fs::remove_file(&file);
    assert!(
        diff.starts_with("--- /dev/null\n+++ b/rel/env.sh.eex\n"),
        "{diff}"
    );
    // The long diff itself did not go to the terminal; a short one (mix.exs) is not offered.
    assert!(!output.contains("+export ECTO_IPV6"), "{output}");
}

/// `flycluster verify` on a terminal shows a progress line on stderr while the Machines answer
/// (on a pipe it shows none: tests/verify.rs), and clears it before the report.
#[test]
fn verify_shows_progress_on_a_terminal() {
    let project = TestProject::from_fixture("configured");
    let state = tempfile::tempdir().unwrap();
    let machine = state.path().join("machines/e2e00000000001");
    std::fs::create_dir_all(&machine).unwrap();
    std::fs::write(state.path().join("app"), "hello-done").unwrap();
    std::fs::write(
        state.path().join("machines.json"),
        r#"[{"id": "e2e00000000001", "state": "started", "region": "sea", "private_ip": "fdaa::2", "image_ref": {}}]"#,
    )
    .unwrap();
    // The call takes a moment, so the line is on the screen before the answer comes.
    std::fs::write(machine.join("sleep"), "1").unwrap();
    std::fs::write(machine.join("rpc.stderr"), "Error: ssh: handshake failed\n").unwrap();
    std::fs::write(machine.join("rpc.rc"), "1").unwrap();
    let path = format!(
        "{}/tests/support/fly:/usr/local/bin:/usr/bin:/bin",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut term = Terminal::start(
        &["verify", project.path().to_str().unwrap()],
        &[
            ("PATH", path.as_str()),
            ("FLY_STANDIN", state.path().to_str().unwrap()),
        ],
    );
    term.expect("asking 1 Machine through `fly ssh console`: 0 answered");
    let (ended, output) = term.finish();
    assert_eq!(ended, Ended::Code(1), "{output}");
    // Cleared before the report: the report starts where the progress line was, after its last
    // state (the progress line may be redrawn any number of times before).
    let first_line = output.split("\r\n").next().unwrap();
    let redraws: Vec<&str> = first_line.split('\r').collect();
    assert_eq!(
        redraws[redraws.len().saturating_sub(2)..],
        [
            "asking 1 Machine through `fly ssh console`: 1 answered",
            "hello-done: 1 Machine started; each asked with `/app/bin/hello_done rpc` through `fly ssh console`"
        ],
        "{output:?}"
    );
    assert!(
        output
            .replace("\r\n", "\n")
            .ends_with("\n\n1 Machine started, and its node did not answer\n"),
        "{output:?}"
    );
}
