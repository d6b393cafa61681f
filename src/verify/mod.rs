//! `flycluster verify`: after a deploy, ask every started Machine of the app, through the user's
//! `fly` CLI, what its node sees, and show who is connected to whom and why a pair is not.
//!
//! Layers: `fly` (the CLI: machines list, ssh console with a deadline) → `probe` (the Elixir
//! expression and its result line) → `analysis` (pairs and findings) → `report` (text, JSON).
//! This module asks the Machines in parallel, a bounded number at a time; `commands::verify` finds
//! the inputs and prints the report.

pub mod analysis;
pub mod fly;
pub mod probe;
pub mod release;
pub mod report;

use analysis::Answer;
use fly::Machine;
use probe::Via;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

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
