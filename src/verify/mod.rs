//! `flycluster verify`: after a deploy, ask every started Machine of the app, through the user's
//! `fly` CLI, what its node sees, and show who is connected to whom and why a pair is not.
//!
//! Layers: `fly` (the CLI: machines list, ssh console with a deadline) → `probe` (the Elixir
//! expression and its result line) → `analysis` (pairs and findings) → `report` (text, JSON).
//! This module finds the inputs and asks the Machines in parallel, a bounded number at a time.

pub mod analysis;
pub mod fly;
pub mod probe;
pub mod release;
pub mod report;

use crate::cli::VerifyArgs;
use crate::error::{Error, Result};
use crate::exit::Exit;
use crate::files;
use crate::output::Output;
use crate::project::{self, DetectOptions};
use analysis::{Answer, Asked, Context};
use fly::Machine;
use probe::Via;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub fn run(args: VerifyArgs) -> Result<Exit> {
    if let Some(app) = &args.app {
        project::validate_fly_app(app)?;
    }
    let project = project::detect(&args.path, &DetectOptions { otp_app: None })?;
    let fly_app = args
        .app
        .clone()
        .unwrap_or_else(|| project::default_fly_app(&project));
    project::validate_fly_app(&fly_app)?;
    let dockerfile = files::read(&project.root, "Dockerfile")?.map(|f| f.format.text);
    let script = release::script_path(dockerfile.as_deref(), &project.otp_app);
    let fly = fly::find()?;
    let machines = fly::list_machines(&fly, &fly_app)?;
    let (started, others): (Vec<Machine>, Vec<Machine>) =
        machines.into_iter().partition(Machine::is_started);
    if started.is_empty() {
        let listed = if others.is_empty() {
            "the app has no Machine".to_string()
        } else {
            format!(
                "its {} Machine{} {} not started",
                others.len(),
                if others.len() == 1 { "" } else { "s" },
                if others.len() == 1 { "is" } else { "are" }
            )
        };
        return Err(Error::fly(format!(
            "no started Machine of `{fly_app}` to ask: {listed}"
        ))
        .with_help(format!(
            "deploy with `fly deploy`, or start one with `fly machine start ID --app {fly_app}`"
        )));
    }

    let out = Output::new(crate::run::output_options(&args.output));
    let progress = Progress {
        out: &out,
        total: started.len(),
    };
    let timeout = Duration::from_secs(args.timeout);
    let ask = |m: &Machine| ask_machine(&fly, &fly_app, &project.otp_app, &script, m, timeout);
    let answers = ask_all(&started, usize::from(args.jobs), &ask, |done| {
        progress.show(done)
    });
    progress.clear();

    let asked: Vec<Asked> = started
        .into_iter()
        .zip(answers)
        .map(|(machine, answer)| Asked { machine, answer })
        .collect();
    let ctx = Context {
        fly_app: &fly_app,
        otp_app: &project.otp_app,
        script: &script,
    };
    let verdict = analysis::analyze(&ctx, &asked, &others);
    let code = if verdict.complete() {
        Exit::Done
    } else {
        Exit::Incomplete
    };
    if out.is_json() {
        out.json(&report::json_document(
            &ctx, &asked, &others, &verdict, code,
        ));
    } else {
        out.report(report::text(
            &ctx,
            &asked,
            &others,
            &verdict,
            out.is_quiet(),
        ));
    }
    Ok(code)
}

/// Ask one Machine: `rpc` on its running node; when that gives no result, `eval` with the same
/// environment, to show at least what the release boots with. Both within `timeout`.
pub fn ask_machine(
    fly: &Path,
    app: &str,
    otp_app: &str,
    script: &str,
    machine: &Machine,
    timeout: Duration,
) -> Answer {
    let deadline = Instant::now() + timeout;
    let run = |via: Via| {
        let command = probe::remote_command(script, via, otp_app);
        fly::run_until(fly::ssh_command(fly, app, &machine.id, &command), deadline)
    };
    let rpc = match run(Via::Rpc) {
        Ok(output) => output,
        Err(e) => {
            return Answer::Unreachable {
                message: format!("could not run `fly ssh console`: {e}"),
            };
        }
    };
    if rpc.timed_out {
        return Answer::Unreachable {
            message: format!("no answer within {} s (`--timeout`)", timeout.as_secs()),
        };
    }
    let rpc_error = match probe::parse(&rpc.stdout) {
        Ok(report) if report.via == Via::Rpc => return Answer::Node(report),
        Ok(_) => "rpc answered from a node that is not alive".to_string(),
        Err(e) => match rpc.message() {
            m if m.is_empty() => e.to_string(),
            m => m,
        },
    };
    match run(Via::Eval) {
        Ok(eval) => match probe::parse(&eval.stdout) {
            Ok(boot) => Answer::NotDistributed { boot, rpc_error },
            Err(_) if eval.timed_out => Answer::Unreachable {
                message: format!(
                    "{rpc_error}; then no answer within {} s (`--timeout`)",
                    timeout.as_secs()
                ),
            },
            Err(_) => Answer::Unreachable { message: rpc_error },
        },
        Err(_) => Answer::Unreachable { message: rpc_error },
    }
}

/// `ask` for every Machine, at most `jobs` at a time, the answers in the Machines' order.
/// `progress` is told how many have answered, from the calling thread.
pub fn ask_all<T: Send>(
    machines: &[Machine],
    jobs: usize,
    ask: &(dyn Fn(&Machine) -> T + Sync),
    mut progress: impl FnMut(usize),
) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<T>>> = Mutex::new((0..machines.len()).map(|_| None).collect());
    let (done_tx, done_rx) = mpsc::channel::<()>();
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, machines.len().max(1)) {
            let done_tx = done_tx.clone();
            let (next, results) = (&next, &results);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(machine) = machines.get(i) else {
                        break;
                    };
                    let answer = ask(machine);
                    results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(answer);
                    let _ = done_tx.send(());
                }
            });
        }
        drop(done_tx);
        progress(0);
        let mut done = 0;
        while done_rx.recv().is_ok() {
            done += 1;
            progress(done);
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .map(|r| r.expect("every Machine was asked"))
        .collect()
}

/// One line on stderr, rewritten in place, while the Machines answer (the output shows it only on
/// a terminal).
struct Progress<'o> {
    out: &'o Output,
    total: usize,
}

impl Progress<'_> {
    fn show(&self, done: usize) {
        self.out.status(&format!(
            "asking {} Machine{} through `fly ssh console`: {done} answered",
            self.total,
            if self.total == 1 { "" } else { "s" }
        ));
    }

    fn clear(&self) {
        self.out.clear_status();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn machines(n: usize) -> Vec<Machine> {
        (0..n)
            .map(|i| Machine {
                id: format!("m{i}"),
                name: String::new(),
                state: "started".into(),
                region: "sea".into(),
                private_ip: String::new(),
                image: String::new(),
                image_tag: String::new(),
                process_group: None,
            })
            .collect()
    }

    #[test]
    fn every_machine_is_asked_once_in_order_and_never_more_than_jobs_at_once() {
        let running = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let ask = |m: &Machine| {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            // Each call waits (bounded) until three run at once: only parallel asking gets there.
            let until = Instant::now() + Duration::from_secs(10);
            while most.load(Ordering::SeqCst) < 3 && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(1));
            }
            running.fetch_sub(1, Ordering::SeqCst);
            m.id.clone()
        };
        let mut seen = Vec::new();
        let answers = ask_all(&machines(10), 3, &ask, |done| seen.push(done));
        assert_eq!(
            answers,
            (0..10).map(|i| format!("m{i}")).collect::<Vec<_>>()
        );
        assert_eq!(most.load(Ordering::SeqCst), 3, "three at once, never more");
        assert_eq!(seen, (0..=10).collect::<Vec<_>>());
    }
}
