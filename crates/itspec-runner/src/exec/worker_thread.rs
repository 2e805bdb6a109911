//! A worker on a thread of its own, with an async runtime of its own. Its
//! environment — database pool, mock servers, mail server, brokers, the
//! service — is started there, runs every spec handed to it there, and is
//! stopped and put back there, on Ctrl-C too. Two workers' own work
//! (parsing, checking, recording, restoring, answering for their mocks)
//! therefore never queues behind the other's on one thread. The
//! coordinator talks to it only by message: commands in, [`Message`]s out.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::thread::Scope;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};

use super::Job;
use super::worker::{Message, Stopped, Worker};
use crate::env::EnvError;
use crate::settings::Settings;

/// How far the coordinator has asked every worker to give up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Cancel {
    /// Carry on.
    No,
    /// Ctrl-C or SIGTERM: leave the case going on (or the start), and
    /// wait to be stopped — the database is put back then.
    Interrupt,
    /// A second one: stop waiting for anything. The service dies with the
    /// worker (its process group is killed when dropped); the database's
    /// record stays on disk for `itspec restore`.
    Abort,
}

/// What a worker's environment is, once it is up.
#[derive(Debug)]
pub(super) struct Started {
    /// Where its requests go.
    pub base_url: String,
    /// Its service's command, when itspec started one.
    pub service: Option<String>,
    /// How long its service took to become ready.
    pub ready_after: Option<Duration>,
    /// What the run should be told when it starts.
    pub warnings: Vec<String>,
    /// Where its database record is on disk.
    pub record_file: Option<PathBuf>,
}

/// What the coordinator asks of a worker that is up.
enum Command<'env> {
    /// Run the specs sent on `work` until it closes, telling `messages`.
    Run {
        job: Job<'env>,
        work: mpsc::Receiver<usize>,
        messages: mpsc::UnboundedSender<Message>,
    },
    /// Stop the environment, put everything back and tell `stopped`;
    /// the thread then ends.
    Stop {
        grace: Duration,
        stopped: oneshot::Sender<Stopped>,
    },
}

/// The coordinator's handle on a worker whose environment is up.
pub(super) struct WorkerThread<'env> {
    /// From 1: `{{worker}}`.
    pub number: usize,
    pub started: Started,
    commands: mpsc::UnboundedSender<Command<'env>>,
}

/// A worker's thread that has been asked to start its environment.
pub(super) struct Starting<'env> {
    number: usize,
    started: oneshot::Receiver<Result<Started, EnvError>>,
    commands: mpsc::UnboundedSender<Command<'env>>,
    cancel: watch::Receiver<Cancel>,
}

/// What a worker's thread is given to start with.
pub(super) struct Start<'env> {
    /// From 1.
    pub number: usize,
    /// Its settings, with its own copy of the database.
    pub settings: Settings,
    pub job: Job<'env>,
    pub mocks: BTreeSet<String>,
    pub run_id: String,
    /// The database is the user's own (the record is saved on disk).
    pub own_database: bool,
}

impl<'env> Starting<'env> {
    /// Starts a worker's thread in `scope`; it starts its environment at
    /// once. `cancel` tells it when to give up.
    pub fn spawn<'scope>(
        scope: &'scope Scope<'scope, 'env>,
        start: Start<'env>,
        cancel: watch::Receiver<Cancel>,
    ) -> Result<Self, EnvError> {
        let number = start.number;
        let (started_tx, started) = oneshot::channel();
        let (commands, inbox) = mpsc::unbounded_channel();
        let told = cancel.clone();
        std::thread::Builder::new()
            .name(format!("itspec-worker-{number}"))
            // As much as the run's first thread has: a worker's whole
            // future lives on this stack.
            .stack_size(8 << 20)
            .spawn_scoped(scope, move || host(start, cancel, started_tx, inbox))
            .map_err(|e| EnvError(format!("cannot start a thread for worker {number}: {e}")))?;
        Ok(Starting {
            number,
            started,
            commands,
            cancel: told,
        })
    }

    /// Waits until the environment is up. `Ok(None)`: it gave up, as
    /// asked (Ctrl-C).
    pub async fn up(self) -> Result<Option<WorkerThread<'env>>, EnvError> {
        match self.started.await {
            Ok(Ok(started)) => Ok(Some(WorkerThread {
                number: self.number,
                started,
                commands: self.commands,
            })),
            Ok(Err(error)) => Err(error),
            Err(_) if *self.cancel.borrow() >= Cancel::Interrupt => Ok(None),
            // Not asked to: its thread ended (a panic).
            Err(_) => Err(EnvError(format!(
                "worker {}'s thread ended before its environment was up",
                self.number
            ))),
        }
    }
}

impl<'env> WorkerThread<'env> {
    /// Has the worker run the specs sent on `work` until it closes.
    /// `false`: its thread is gone (the command, and `messages` with it,
    /// are dropped).
    pub fn run(
        &self,
        job: Job<'env>,
        work: mpsc::Receiver<usize>,
        messages: mpsc::UnboundedSender<Message>,
    ) -> bool {
        self.commands
            .send(Command::Run {
                job,
                work,
                messages,
            })
            .is_ok()
    }

    /// Stops the worker's environment and puts back its database and keys.
    pub async fn stop(&self, grace: Duration) -> Stopped {
        let (stopped, told) = oneshot::channel();
        let _ = self.commands.send(Command::Stop { grace, stopped });
        told.await.unwrap_or_else(|_| Stopped {
            failure: Some(format!(
                "worker {} ended before its database was put back",
                self.number
            )),
            notice: None,
        })
    }
}

/// The thread's life: start the environment, run what it is sent, stop.
fn host(
    start: Start<'_>,
    mut cancel: watch::Receiver<Cancel>,
    started: oneshot::Sender<Result<Started, EnvError>>,
    mut commands: mpsc::UnboundedReceiver<Command<'_>>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = started.send(Err(EnvError(format!(
                "cannot start worker {}'s async runtime: {error}",
                start.number
            ))));
            return;
        }
    };
    runtime.block_on(async move {
        let Start {
            number,
            settings,
            job,
            mocks,
            run_id,
            own_database,
        } = start;
        let up = tokio::select! {
            up = Worker::start(number, &settings, &job, &mocks, &run_id, own_database) => up,
            () = given_up(&mut cancel, Cancel::Interrupt) => return,
        };
        let mut worker = match up {
            Ok(worker) => worker,
            Err(error) => {
                let _ = started.send(Err(error));
                return;
            }
        };
        let _ = started.send(Ok(Started {
            base_url: worker.environment.base_url.clone(),
            service: worker
                .environment
                .service
                .as_ref()
                .map(|s| s.command().to_string()),
            ready_after: worker.environment.ready_after,
            warnings: worker.warnings(),
            record_file: worker.record_file(),
        }));
        loop {
            let command = tokio::select! {
                command = commands.recv() => command,
                () = given_up(&mut cancel, Cancel::Abort) => None,
            };
            match command {
                Some(Command::Run {
                    job,
                    work,
                    messages,
                }) => {
                    // Ctrl-C leaves the case going on; the stop puts back
                    // what it wrote.
                    tokio::select! {
                        () = worker.run(&job, work, messages) => {}
                        () = given_up(&mut cancel, Cancel::Interrupt) => {}
                    }
                }
                Some(Command::Stop { grace, stopped }) => {
                    tokio::select! {
                        done = worker.stop(grace) => { let _ = stopped.send(done); }
                        () = given_up(&mut cancel, Cancel::Abort) => {}
                    }
                    return;
                }
                // The coordinator is gone, or gave up: the service dies
                // with the worker.
                None => return,
            }
        }
    });
}

/// Returns once the coordinator asks for `level` or more (or is gone).
async fn given_up(cancel: &mut watch::Receiver<Cancel>, level: Cancel) {
    let _ = cancel.wait_for(|asked| *asked >= level).await;
}
