//! Runs the real `itspec` binary in a temporary folder, like a user would.

#![allow(
    dead_code,
    reason = "each test file uses a different part of the helper"
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The repository's root.
pub const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// The shop example's binary, built once (debug, next to `itspec`).
pub fn shop() -> &'static Path {
    static SHOP: OnceLock<PathBuf> = OnceLock::new();
    SHOP.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
        let status = Command::new(cargo)
            .args(["build", "--quiet", "-p", "shop"])
            .current_dir(REPO)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "the shop builds");
        Path::new(env!("CARGO_BIN_EXE_itspec")).with_file_name("shop")
    })
}

/// A temporary project folder and a command line to run in it.
pub struct Test {
    dir: tempfile::TempDir,
    args: Vec<String>,
    cwd: PathBuf,
    env: Vec<(String, String)>,
}

/// What a run printed, and how it ended.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Test {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let cwd = dir.path().to_path_buf();
        Self {
            dir,
            args: Vec::new(),
            cwd,
            env: Vec::new(),
        }
    }

    /// Sets an environment variable for the command.
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    /// Writes a file (folders are created).
    pub fn file(self, path: &str, contents: impl AsRef<[u8]>) -> Self {
        let full = self.dir.path().join(path);
        std::fs::create_dir_all(full.parent().expect("a parent")).expect("folders");
        std::fs::write(full, contents).expect("the file");
        self
    }

    /// Runs in this subfolder instead of the root.
    pub fn current_dir(mut self, path: &str) -> Self {
        self.cwd = self.dir.path().join(path);
        std::fs::create_dir_all(&self.cwd).expect("the folder");
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn path(&self, path: &str) -> PathBuf {
        self.dir.path().join(path)
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The binary with these arguments, in this folder and environment.
    pub fn command<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_itspec"));
        command
            .args(args)
            .current_dir(&self.cwd)
            .env_remove("ITSPEC_CONFIG")
            .env("NO_COLOR", "1")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        command
    }

    /// Starts the command without waiting for it.
    pub fn spawn(&self) -> std::process::Child {
        self.command(&self.args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the binary starts")
    }

    pub fn run(&self) -> Output {
        self.run_with(&self.args)
    }

    /// Runs with these arguments instead of those given to [`Test::args`].
    pub fn run_with<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Output {
        let output = self.command(args).output().expect("the binary runs");
        Output {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// The FORMAT.md §1 example: a spec with no problems.
pub const GOOD_SPEC: &str = include_str!("../../../itspec-spec/tests/fixtures/format-example.md");

/// The live processes whose command line mentions `tag`: a zombie has
/// exited, only its parent's wait is missing.
pub fn processes_with(tag: &str) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .expect("/proc")
        .flatten()
        .filter_map(|entry| {
            let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            let zombie = stat
                .rsplit(')')
                .next()
                .is_some_and(|s| s.trim_start().starts_with('Z'));
            (!zombie && String::from_utf8_lossy(&cmdline).contains(tag)).then_some(pid)
        })
        .collect()
}

/// The user's rows in the shop's tables, and a table of the user's that
/// `[database] exclude` keeps out of reach: what no run may lose.
pub const USER_ROWS: &str = "CREATE TABLE audit (message VARCHAR(100), n INTEGER);
     INSERT INTO audit (message, n) VALUES ('the user''s', 1), ('the user''s', 1);
     INSERT INTO inventory (sku, stock, price_cents) VALUES ('KEEP-1', 10, 100), ('KEEP-2', 3, 250);
     INSERT INTO reservations (id, sku, quantity, status, created_at) VALUES ('r-1', 'KEEP-1', 1, 'confirmed', '2026-11-24T10:00:00Z');
     INSERT INTO customers (email, password, name) VALUES ('grace@example.com', 'pw', 'Grace');
     INSERT INTO sessions (token, email) VALUES ('t-1', 'grace@example.com');";

/// The URL of a server a test needs, from `variable`; `None`, and said,
/// when it is not set outside CI. Under CI it must be set: a test never
/// The `--set` arguments that point the shop example at the RabbitMQ at
/// `amqp`, on an exchange of this test's own (`itspec-test-PID-NAME`):
/// tests that run the shop at the same time then never see each other's
/// events.
pub fn shop_events(amqp: &str, name: &str) -> Vec<String> {
    let exchange = format!("itspec-test-{}-{name}", std::process::id());
    vec![
        "--set".into(),
        format!("brokers.events.url={amqp}"),
        "--set".into(),
        format!("brokers.events.watch=[\"{exchange}\"]"),
        "--set".into(),
        format!("vars.events_exchange={exchange}"),
    ]
}

/// skips silently where the server should be.
#[allow(
    clippy::print_stderr,
    reason = "a server that is not configured is named, not skipped silently"
)]
pub fn server_url(variable: &str) -> Option<String> {
    match std::env::var(variable) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!("{variable} must be set under CI: these tests need its server")
        }
        _ => {
            eprintln!("note: these tests did not run: {variable} is not set");
            None
        }
    }
}
