//! The service process: started in its own process group with its output
//! in a log file (readable by its owner only), polled until ready, stopped
//! with SIGTERM then SIGKILL — the whole group, so nothing it started is
//! left behind.
//!
//! The group dies with itspec, however itspec dies: a watchdog (`sh`, in a
//! group of its own) waits on a pipe only itspec holds open, and when the
//! pipe closes — itspec exited, was killed, ran out of memory — it stops
//! the service's group. A file beside the log names the running service's
//! group, so a run after one whose watchdog was killed too says what was
//! left behind.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use tokio::process::{Child, ChildStdin, Command};

use super::EnvError;

/// The longest pause between two readiness polls: how late, at most, a
/// service that is up is noticed.
const READY_POLL: Duration = Duration::from_millis(5);

/// A service itspec started.
pub struct Service {
    child: Child,
    group: Pid,
    log: PathBuf,
    command: String,
    stopped: bool,
    /// The watchdog, and the pipe whose closing wakes it.
    watchdog: Option<(Child, ChildStdin)>,
    /// The file naming the running service's group.
    group_file: PathBuf,
}

/// What the watchdog runs: wait for the pipe to close, then stop the
/// group (`$0`) — SIGTERM, and SIGKILL two seconds later.
const WATCHDOG: &str =
    "read _ignored; kill -TERM -\"$0\" 2>/dev/null; sleep 2; kill -KILL -\"$0\" 2>/dev/null";

/// A service an earlier run started and left running (its watchdog was
/// killed with it): what to tell, or `None`.
pub fn left_behind(log_dir: &Path, worker: usize) -> Option<String> {
    let file = group_file(log_dir, worker);
    let text = std::fs::read_to_string(&file).ok()?;
    let mut lines = text.lines();
    let group = Pid::from_raw(lines.next()?.trim().parse().ok()?);
    let command = lines.next().unwrap_or_default();
    let owner = lines.next().and_then(|pid| pid.trim().parse::<i32>().ok());
    if group.as_raw() <= 1 || !group_alive(group) {
        let _ = std::fs::remove_file(&file);
        return None;
    }
    if let Some(owner) = owner.filter(|&pid| pid > 1 && pid_is_itspec(pid)) {
        return Some(format!(
            "another itspec run (pid {owner}) is running here with its service (process group {group}): \
             the two share {}; let it finish first",
            itspec_config::shown(&log_dir.join("service.log"))
        ));
    }
    Some(format!(
        "a service an earlier run started is still running (process group {group}: `{}`); \
         it may hold the port or write to the database. Stop it with `kill -- -{group}`",
        command.trim()
    ))
}

fn group_file(log_dir: &Path, worker: usize) -> PathBuf {
    log_dir.join(if worker > 1 {
        format!("service-w{worker}.pgid")
    } else {
        "service.pgid".to_string()
    })
}

impl Service {
    /// Starts `command` with `sh -c` in `dir`, its output written to
    /// `log_dir/service.log` (`service-w2.log` for worker 2, …).
    pub async fn start(
        command: &str,
        env: &[(String, String)],
        dir: &Path,
        log_dir: &Path,
        worker: usize,
    ) -> Result<Service, EnvError> {
        std::fs::create_dir_all(log_dir).map_err(|error| {
            EnvError(format!(
                "cannot create {}: {error}",
                itspec_config::shown(log_dir)
            ))
        })?;
        let log = log_dir.join(if worker > 1 {
            format!("service-w{worker}.log")
        } else {
            "service.log".to_string()
        });
        let file = {
            use std::os::unix::fs::OpenOptionsExt as _;
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&log)
                .map_err(|error| {
                    EnvError(format!(
                        "cannot create {}: {error}",
                        itspec_config::shown(&log)
                    ))
                })?
        };
        let stderr = file.try_clone().map_err(|error| {
            EnvError(format!(
                "cannot write {}: {error}",
                itspec_config::shown(&log)
            ))
        })?;
        let child = Command::new("sh")
            .arg("-c")
            .arg(command)
            .current_dir(dir)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::from(file))
            .stderr(Stdio::from(stderr))
            .process_group(0)
            .spawn()
            .map_err(|error| EnvError(format!("cannot start the service `{command}`: {error}")))?;
        let Some(id) = child.id() else {
            return Err(EnvError(format!("the service `{command}` exited at once")));
        };
        let group = Pid::from_raw(i32::try_from(id).unwrap_or(i32::MAX));
        let group_file = group_file(log_dir, worker);
        // Readable by its owner only: the command may hold a password put
        // in by `{{database.url}}` or `{{env.NAME}}`.
        {
            use std::io::Write as _;
            use std::os::unix::fs::OpenOptionsExt as _;
            let _ = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&group_file)
                .and_then(|mut file| {
                    // The run that started it: while it lives, its service
                    // is not left behind.
                    let owner = std::process::id();
                    file.write_all(format!("{group}\n{command}\n{owner}\n").as_bytes())
                });
        }
        let mut service = Service {
            child,
            group,
            log,
            command: command.to_string(),
            stopped: false,
            watchdog: None,
            group_file,
        };
        let watchdog = Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg(group.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn();
        match watchdog {
            Ok(mut watchdog) => {
                if let Some(pipe) = watchdog.stdin.take() {
                    service.watchdog = Some((watchdog, pipe));
                }
            }
            Err(error) => {
                service.kill_now();
                return Err(EnvError(format!(
                    "cannot start the watchdog that stops the service if itspec dies: {error}"
                )));
            }
        }
        Ok(service)
    }

    /// SIGKILL to the group and the watchdog: the last resort.
    fn kill_now(&mut self) {
        let _ = killpg(self.group, Signal::SIGKILL);
        self.dismiss_watchdog();
    }

    /// Stops the watchdog before its pipe closes (the group is stopped
    /// already), so it never signals a group id the system gave again.
    fn dismiss_watchdog(&mut self) {
        if let Some((mut watchdog, pipe)) = self.watchdog.take() {
            if let Some(id) = watchdog.id().and_then(|id| i32::try_from(id).ok()) {
                let _ = kill(Pid::from_raw(id), Signal::SIGKILL);
            }
            let _ = watchdog.try_wait();
            drop(pipe);
        }
        let _ = std::fs::remove_file(&self.group_file);
    }

    /// The command that started it.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// Polls until the ready request answers 2xx (or, without one, until the
    /// port accepts connections); fails when the service exits or time runs out.
    /// The polls come 1 ms apart at first, then twice as far apart each
    /// time up to [`READY_POLL`]: a service that is up at once is noticed
    /// within a millisecond, one that takes long within 5 ms of being up.
    pub async fn wait_ready(
        &mut self,
        base_url: &str,
        ready: Option<&(String, String)>,
        timeout: Duration,
    ) -> Result<Duration, EnvError> {
        let started = Instant::now();
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(2))
            .build()
            .map_err(|error| EnvError(format!("cannot create the HTTP client: {error}")))?;
        let url = reqwest::Url::parse(base_url)
            .map_err(|error| EnvError(format!("`{base_url}` is not a URL: {error}")))?;
        let mut last_problem;
        let mut pause = Duration::from_millis(1);
        loop {
            if let Some(status) = self.exited() {
                return Err(EnvError(format!(
                    "the service `{}` exited before it was ready ({status})\n{}",
                    self.command,
                    self.log_tail(20)
                )));
            }
            match ready {
                Some((method, path)) => {
                    let method = reqwest::Method::from_bytes(method.as_bytes())
                        .unwrap_or(reqwest::Method::GET);
                    let target = format!("{}{path}", base_url.trim_end_matches('/'));
                    match client.request(method, &target).send().await {
                        Ok(response) if response.status().is_success() => {
                            return Ok(started.elapsed());
                        }
                        Ok(response) => {
                            last_problem = format!("{target} answered {}", response.status())
                        }
                        Err(error) => last_problem = format!("{target}: {error}"),
                    }
                }
                None => {
                    let host = url.host_str().unwrap_or("127.0.0.1");
                    let port = url.port_or_known_default().unwrap_or(80);
                    match tokio::net::TcpStream::connect((host, port)).await {
                        Ok(_) => return Ok(started.elapsed()),
                        Err(error) => last_problem = format!("{host}:{port}: {error}"),
                    }
                }
            }
            if started.elapsed() >= timeout {
                return Err(EnvError(format!(
                    "the service `{}` was not ready within {} s ({last_problem})\n{}",
                    self.command,
                    timeout.as_secs(),
                    self.log_tail(20)
                )));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(READY_POLL);
        }
    }

    /// The exit status, once the service has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// How long its log is now: where what it writes next begins.
    pub fn log_position(&self) -> u64 {
        std::fs::metadata(&self.log).map_or(0, |m| m.len())
    }

    /// The lines it wrote to its log since `position` (at most the last
    /// `lines`), how many earlier ones are left out, and the log's path.
    pub fn log_since(&self, position: u64, lines: usize) -> (Vec<String>, usize, &Path) {
        use std::io::{Read, Seek, SeekFrom};
        let mut bytes = Vec::new();
        if let Ok(mut file) = std::fs::File::open(&self.log)
            && file.seek(SeekFrom::Start(position)).is_ok()
        {
            // A case's share of the log; a service that writes more than
            // this in one case shows its end.
            let _ = file.take(4 * 1024 * 1024).read_to_end(&mut bytes);
        }
        let text = String::from_utf8_lossy(&bytes);
        let all: Vec<&str> = text.lines().collect();
        let from = all.len().saturating_sub(lines);
        let shown = all.get(from..).unwrap_or(&[]);
        (
            shown.iter().map(|l| (*l).to_string()).collect(),
            from,
            &self.log,
        )
    }

    /// The last lines of the service's log, indented, for messages.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        let tail = all.get(all.len().saturating_sub(lines)..).unwrap_or(&[]);
        if tail.is_empty() {
            return format!(
                "(the service wrote nothing to {})",
                itspec_config::shown(&self.log)
            );
        }
        let mut out = format!("last lines of {}:", itspec_config::shown(&self.log));
        for line in tail {
            out.push_str("\n    ");
            out.push_str(line);
        }
        out
    }

    /// Whether any process of the group is still alive. A process that
    /// has exited but is not reaped yet (a zombie, whose parent died first
    /// and whose new parent reaps slowly) is not alive: it holds no port and
    /// writes nothing.
    fn group_alive(&self) -> bool {
        group_alive(self.group)
    }

    /// SIGTERM to the whole group; SIGKILL after `grace`; waits for them.
    pub async fn stop(mut self, grace: Duration) {
        self.stopped = true;
        let _ = killpg(self.group, Signal::SIGTERM);
        let deadline = Instant::now() + grace;
        while self.group_alive() && Instant::now() < deadline {
            let _ = self.child.try_wait();
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        if self.group_alive() {
            let _ = killpg(self.group, Signal::SIGKILL);
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
        let deadline = Instant::now() + Duration::from_secs(2);
        while self.group_alive() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.dismiss_watchdog();
    }
}

/// Whether any process of `group` is alive (a zombie is not).
/// Whether `pid` is a living itspec process other than this one.
fn pid_is_itspec(pid: i32) -> bool {
    pid != i32::try_from(std::process::id()).unwrap_or(0)
        && std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmdline| {
            cmdline
                .split(|&b| b == 0)
                .next()
                .and_then(|program| {
                    Path::new(std::str::from_utf8(program).ok()?)
                        .file_name()
                        .map(|n| n.to_os_string())
                })
                .is_some_and(|name| name.to_string_lossy().starts_with("itspec"))
        })
}

fn group_alive(group: Pid) -> bool {
    if killpg(group, None).is_err() {
        return false;
    }
    match std::fs::read_dir("/proc") {
        Ok(entries) => entries.flatten().any(|entry| {
            std::fs::read_to_string(entry.path().join("stat"))
                .is_ok_and(|stat| running_in_group(&stat, group.as_raw()))
        }),
        Err(_) => true,
    }
}

/// Whether a `/proc/PID/stat` line is of a process in group `group` that
/// is not a zombie: `pid (comm) state ppid pgrp …`, comm may hold anything.
fn running_in_group(stat: &str, group: i32) -> bool {
    let Some((_, after)) = stat.rsplit_once(')') else {
        return false;
    };
    let mut fields = after.split_whitespace();
    let (Some(state), Some(_ppid), Some(pgrp)) = (fields.next(), fields.next(), fields.next())
    else {
        return false;
    };
    state != "Z" && state != "X" && pgrp.parse::<i32>() == Ok(group)
}

impl Drop for Service {
    /// A last resort when a run ends without `stop` (a panic): no orphan is
    /// left behind.
    fn drop(&mut self) {
        if !self.stopped {
            self.kill_now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{left_behind, running_in_group};

    #[test]
    fn a_service_a_killed_run_left_behind_is_named_until_it_is_gone() {
        use std::os::unix::process::CommandExt as _;
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(left_behind(dir.path(), 1), None);
        let mut orphan = std::process::Command::new("sleep")
            .arg("30")
            .process_group(0)
            .spawn()
            .unwrap();
        let file = dir.path().join("service-w2.pgid");
        std::fs::write(&file, format!("{}\nsleep 30 --the-shop\n", orphan.id())).unwrap();
        let said = left_behind(dir.path(), 2).unwrap();
        assert!(
            said.contains(&format!("process group {}", orphan.id()))
                && said.contains("`sleep 30 --the-shop`")
                && said.contains(&format!("kill -- -{}", orphan.id())),
            "{said}"
        );
        orphan.kill().unwrap();
        orphan.wait().unwrap();
        assert_eq!(left_behind(dir.path(), 2), None);
        assert!(!file.exists(), "a stale file is removed");
    }

    /// A service whose run is still going is that run's, not left behind:
    /// no `kill` is suggested for it.
    #[test]
    fn a_service_of_a_run_that_is_still_going_is_not_left_behind() {
        use std::os::unix::process::CommandExt as _;
        let dir = tempfile::tempdir().unwrap();
        // A living process named like itspec (its argv[0]) stands for the
        // other run.
        let mut other_run = std::process::Command::new("sleep")
            .arg0("itspec")
            .arg("30")
            .spawn()
            .unwrap();
        let mut service = std::process::Command::new("sleep")
            .arg("30")
            .process_group(0)
            .spawn()
            .unwrap();
        std::fs::write(
            dir.path().join("service.pgid"),
            format!("{}\nsleep 30\n{}\n", service.id(), other_run.id()),
        )
        .unwrap();
        let said = left_behind(dir.path(), 1).unwrap();
        assert!(
            said.contains(&format!("another itspec run (pid {})", other_run.id()))
                && !said.contains("kill"),
            "{said}"
        );
        // Its run is gone: now it is left behind.
        other_run.kill().unwrap();
        other_run.wait().unwrap();
        let said = left_behind(dir.path(), 1).unwrap();
        assert!(
            said.contains(&format!("kill -- -{}", service.id())),
            "{said}"
        );
        service.kill().unwrap();
        service.wait().unwrap();
    }

    #[test]
    fn zombies_and_other_groups_are_not_running() {
        assert!(running_in_group("42 (shop) S 1 40 40 0 -1", 40));
        assert!(running_in_group("42 (a (weird) name) R 1 40 40", 40));
        assert!(!running_in_group("42 (shop) Z 1 40 40 0 -1", 40));
        assert!(!running_in_group("42 (shop) S 1 41 41 0 -1", 40));
        assert!(!running_in_group("garbage", 40));
    }
}
