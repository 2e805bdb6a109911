//! The run's own messages redacted as they are reported: an environment
//! failure (with the service's last log lines, or where rescued rows were
//! saved), notices, the service's command and the target. Cases are
//! redacted where they end; this covers what is said about the run.

use super::Finder;
use itspec_results::{Event, Reporter, Stamped};
use itspec_results::{RunOutcome, RunResult};

/// A reporter in front of another that hides the run's secrets in the
/// run-level events it passes on.
pub(crate) struct Redacting<'r> {
    inner: &'r mut dyn Reporter,
    secrets: Finder,
}

impl<'r> Redacting<'r> {
    /// Hides `secrets` (raw: their forms are hidden too) in front of `inner`.
    pub fn new(inner: &'r mut dyn Reporter, secrets: &[String]) -> Self {
        Self {
            inner,
            secrets: Finder::new(secrets),
        }
    }

    /// A message with URL credentials and the run's secrets hidden.
    pub fn text(&self, text: &str) -> String {
        self.secrets.hidden(text)
    }

    /// The run-level text of a result: its outcome and target.
    pub fn result(&self, result: &mut RunResult) {
        if let RunOutcome::EnvironmentFailed { message } = &mut result.outcome {
            *message = self.text(message);
        }
        result.target = self.text(&result.target);
    }
}

impl Reporter for Redacting<'_> {
    fn report(&mut self, stamped: Stamped<'_>) {
        match stamped.event {
            Event::Notice { message } => {
                let message = self.text(message);
                self.inner
                    .report(stamped.with(Event::Notice { message: &message }));
            }
            Event::ServiceStarting {
                command,
                log,
                workers,
            } => {
                let command = self.text(command);
                self.inner.report(stamped.with(Event::ServiceStarting {
                    command: &command,
                    log,
                    workers,
                }));
            }
            Event::RunStarted {
                specs,
                cases,
                workers,
                target,
                service,
            } => {
                let target = self.text(target);
                let service = service.map(|(command, ms)| (self.text(command), ms));
                self.inner.report(
                    stamped.with(Event::RunStarted {
                        specs,
                        cases,
                        workers,
                        target: &target,
                        service: service
                            .as_ref()
                            .map(|(command, ms)| (command.as_str(), *ms)),
                    }),
                );
            }
            Event::RunFinished { result } => {
                let mut redacted = RunResult {
                    outcome: result.outcome.clone(),
                    target: result.target.clone(),
                    ..RunResult::default()
                };
                self.result(&mut redacted);
                if redacted.outcome == result.outcome && redacted.target == result.target {
                    self.inner
                        .report(stamped.with(Event::RunFinished { result }));
                } else {
                    // Rare (a failure quoting a secret): a copy with it hidden.
                    let mut copy = result.clone();
                    copy.outcome = redacted.outcome;
                    copy.target = redacted.target;
                    self.inner
                        .report(stamped.with(Event::RunFinished { result: &copy }));
                }
            }
            _ => self.inner.report(stamped),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Said(Vec<String>);

    impl Reporter for Said {
        fn report(&mut self, stamped: Stamped<'_>) {
            match stamped.event {
                Event::Notice { message } => self.0.push(message.to_string()),
                Event::RunStarted {
                    target, service, ..
                } => {
                    self.0.push(target.to_string());
                    self.0
                        .extend(service.map(|(command, _)| command.to_string()));
                }
                Event::RunFinished { result } => {
                    if let RunOutcome::EnvironmentFailed { message } = &result.outcome {
                        self.0.push(message.clone());
                    }
                }
                _ => {}
            }
        }
    }

    #[test]
    fn run_level_messages_lose_their_secrets_in_every_form() {
        let mut said = Said::default();
        let secrets = ["a\"b/c-secret".to_string(), "tok-123456".to_string()];
        let mut reporter = Redacting::new(&mut said, &secrets);
        reporter.event(Event::Notice {
            message: "could not drop postgres://u:pw-1@h/db?password=pw-2",
        });
        reporter.event(Event::RunStarted {
            specs: 1,
            cases: 1,
            workers: 1,
            target: "http://127.0.0.1:1/?token=tok-123456",
            service: Some(("TOKEN=tok-123456 ./svc", 5)),
        });
        let failed = RunResult {
            outcome: RunOutcome::EnvironmentFailed {
                message: "the service exited\nlast lines:\n    {\"k\": \"a\\\"b\\/c-secret\"}\n    url=a%22b%2Fc-secret".to_string(),
            },
            ..RunResult::default()
        };
        reporter.event(Event::RunFinished { result: &failed });
        let mut result = failed.clone();
        reporter.result(&mut result);
        let all = said.0.join("\n");
        for secret in ["pw-1", "pw-2", "tok-123456", "b/c-secret", "b\\/c", "%2Fc"] {
            assert!(!all.contains(secret), "{secret}: {all}");
        }
        assert_eq!(said.0.len(), 4, "{all}");
        let RunOutcome::EnvironmentFailed { message } = result.outcome else {
            unreachable!("the outcome stays a failure")
        };
        assert_eq!(
            message,
            "the service exited\nlast lines:\n    {\"k\": \"[redacted]\"}\n    url=[redacted]"
        );
    }
}
