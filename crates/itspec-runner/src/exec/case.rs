//! Running one case: setup, then its request or its requests — once, or
//! for a concurrency case once per iteration, each iteration starting from
//! the state right after Setup — then every check, then its captures.

use crate::redact::{self, Redaction};
use std::time::Instant;

use itspec_spec::model::{AssertionKind, ExpectedOutput, Phrase, Spec, TestCase};
use serde_json::{Map, Value, json};

use super::publish::Kept;
use super::setup::Setup;
use crate::assert::{self, Context, ErrorPaths, MailContext, MessageContext};
use crate::broker::{Brokers, Waits};
use crate::channel::{
    ChannelError, Channels, DatabaseChannel, MailChannel, MessageChannel, MockChannel,
};
use crate::http::Http;
use crate::isolation::Isolation;
use crate::mail::Mail;
use crate::mock::{Journals, Mocks};
use crate::mutate::database::Written;
use crate::mutate::{self, Mutant};
use crate::vars::Scope;
use itspec_contract::{Contract, Operation};
use itspec_results::{Call, Email, Message};
use itspec_results::{
    CaseResult, Evidence, Exchange, IterationRun, Iterations, Outcome, ResponseRecord, StepKind,
    StepResult, TimedRequest, Verdict,
};
use std::cell::RefCell;
use std::collections::BTreeMap;

/// What every case of a spec shares.
#[derive(Clone, Copy)]
pub(crate) struct CaseRunner<'a> {
    pub spec: &'a Spec,
    /// The OpenAPI contract the spec's responses answer to, and the
    /// operation its Related names.
    pub contract: (Option<&'a Contract>, Option<&'a Operation>),
    /// `[contract] undocumented_status = "warn"`.
    pub undocumented_status_warns: bool,
    /// The spec's text, for the text of checks.
    pub source: &'a str,
    pub http: &'a Http,
    pub errors: &'a ErrorPaths,
    pub strict: bool,
    /// The mocks of the run.
    pub mocks: &'a Mocks,
    /// The brokers of the run.
    pub brokers: &'a Brokers,
    /// The SMTP server, when `[mail]` is configured.
    pub mail: Option<&'a Mail>,
    /// `[channels]`: how long message assertions wait.
    pub waits: Waits,
    /// Run every iteration even after one failed.
    pub keep_going: bool,
    /// `--repeat`: iterations of every concurrency case.
    pub repeat: Option<u32>,
    /// `[concurrency] iterations`.
    pub default_iterations: u32,
    /// What the case's result hides.
    pub redaction: &'a Redaction,
    /// Told of each iteration of a concurrency case as it ends: the case's
    /// id, the iteration, how many are planned.
    pub progress: &'a dyn Fn(&str, u32, u32),
    /// `itspec mutate`: the change made to the case's last response
    /// before its checks run.
    pub mutant: Option<&'a Mutant>,
    /// `itspec mutate`: where a case's run (not a mutant's) leaves the
    /// rows it wrote after Setup, for its database mutants.
    pub written: Option<&'a RefCell<Option<Written>>>,
}

/// What one run of a case's requests and checks produced.
#[derive(Debug, Default)]
pub(crate) struct Attempt {
    /// The checks, setup's first.
    pub checks: Vec<StepResult>,
    /// The exchanges.
    pub exchanges: Vec<Exchange>,
    /// The widest start skew of its concurrent groups, in ms.
    pub skew_ms: Option<f64>,
    /// What each mock received.
    pub mock_calls: Journals,
    /// What each broker carried.
    pub messages: BTreeMap<String, Vec<Message>>,
    /// What the SMTP server took in.
    pub emails: Option<Vec<Email>>,
    /// The messages it published that a broker keeps until the service
    /// takes them.
    pub kept: Vec<Kept>,
    /// The values its variables and responses hold that reports hide
    /// (found only for an attempt the case may show).
    pub secrets: Vec<String>,
}

impl Attempt {
    fn passed(&self) -> bool {
        !self.checks.iter().any(StepResult::is_failed)
    }

    /// Its place in the iterations of its case.
    fn run(&self, iteration: u32) -> IterationRun {
        IterationRun {
            iteration,
            passed: self.passed(),
            skew_ms: self.skew_ms,
            requests: self
                .exchanges
                .iter()
                .filter_map(|e| {
                    let (start_ms, end_ms) = e.timing?;
                    Some(TimedRequest {
                        label: e.label.clone(),
                        status: e.response.as_ref().map(|r| r.status),
                        start_ms,
                        end_ms,
                    })
                })
                .collect(),
        }
    }
}

/// What the iterations of a case share: the state right after Setup.
struct Prepared<'a> {
    /// The case's side-effect channels, observing since Setup.
    channels: Channels<'a>,
    /// The variables after Setup.
    scope: Scope,
    /// The checks Setup produced (unverified setup lines).
    checks: Vec<StepResult>,
}

/// The variables a response defines: `status`, `headers`, `body`.
pub(crate) fn response_value(response: &ResponseRecord) -> Value {
    json!({
        "status": response.status,
        "headers": headers_value(response),
        "body": response.body_value(),
    })
}

/// A response's headers as a variable: names lowercased.
pub(crate) fn headers_value(response: &ResponseRecord) -> Value {
    Value::Object(
        response
            .headers
            .iter()
            .map(|(name, value)| (name.to_ascii_lowercase(), Value::String(value.clone())))
            .collect::<Map<String, Value>>(),
    )
}

impl CaseRunner<'_> {
    /// Runs a case. `spec_scope` holds the spec's variables and receives
    /// the case's captures.
    pub async fn run(
        &self,
        case: &TestCase,
        spec_scope: &mut Scope,
        isolation: Option<&Isolation>,
    ) -> CaseResult {
        let started = Instant::now();
        let mut result = CaseResult {
            id: case.id.value.clone(),
            name: case.name.value.clone(),
            heading: case.heading_span,
            outcome: Outcome::Passed,
            duration_ms: 0,
            exchanges: Vec::new(),
            checks: Vec::new(),
            iterations: None,
            mock_calls: Journals::new(),
            messages: BTreeMap::new(),
            emails: None,
            service_log: None,
            attempts: Vec::new(),
            runs: None,
            mutation: None,
        };
        if let Some(skip) = &case.skip {
            result.outcome = Outcome::Skipped {
                reason: if skip.value.is_empty() {
                    "no reason given".to_string()
                } else {
                    skip.value.clone()
                },
            };
            return result;
        }
        let mut scope = spec_scope.clone();
        scope.set("case_id", Value::String(case.id.value.clone()));
        let shown_secrets = match self.prepare(case, scope, isolation, &mut result).await {
            Some(prepared) => self.iterate(case, prepared, spec_scope, &mut result).await,
            None => Vec::new(),
        };
        result.outcome = CaseResult::outcome_of(&result.checks);
        // Nothing secret leaves the case: what the spec's variables hold
        // now (captures included), and what the shown attempt's variables
        // and responses held.
        let secrets = redact::merged(self.redaction.secrets(spec_scope), shown_secrets);
        self.redaction.case(&mut result, &secrets);
        itspec_results::display::shorten(&mut result);
        result.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        result
    }

    /// How many times the case runs: concurrency cases `--repeat`, their
    /// Repeat, or the configured default; the others once.
    fn iterations(&self, case: &TestCase) -> u32 {
        if !case.groups().iter().any(|g| g.size() > 1) {
            return 1;
        }
        self.repeat
            .or(case.repeat.as_ref().map(|r| r.value))
            .unwrap_or(self.default_iterations)
            .max(1)
    }

    /// Setup, then every side-effect channel observing from the state
    /// after it. `None`: the case cannot
    /// go on (the failure is in `result`).
    async fn prepare<'c>(
        &'c self,
        case: &'c TestCase,
        mut scope: Scope,
        isolation: Option<&'c Isolation>,
        result: &mut CaseResult,
    ) -> Option<Prepared<'c>> {
        let setup = Setup {
            spec: self.spec,
            isolation,
            mocks: self.mocks,
            mail: self.mail.is_some(),
            strict: self.strict,
            mutant: self
                .mutant
                .and_then(Mutant::fixture)
                .map(|m| (m, std::cell::Cell::new(false))),
        };
        let overrides = setup.run(case, &mut scope, &mut result.checks).await?;
        if let Some((mutant, false)) = setup.mutant.as_ref().map(|(m, a)| (m, a.get())) {
            result.checks.push(mutate::not_applied(format!(
                "Setup wrote no such value: {}",
                mutant.description
            )));
        }
        let mut channels = Channels {
            database: isolation.map(|isolation| {
                DatabaseChannel::new(
                    isolation,
                    &self.spec.checks,
                    self.source,
                    compares_snapshots(case),
                    // `itspec mutate`: what the case wrote is what it wrote
                    // after Setup.
                    self.iterations(case) > 1
                        || (self.written.is_some() && self.mutant.is_none())
                        || self.mutant.and_then(Mutant::database).is_some(),
                )
            }),
            mocks: MockChannel::new(
                self.mocks,
                self.spec,
                overrides,
                scope.clone(),
                self.mutant.and_then(Mutant::mock),
            ),
            messages: MessageChannel::new(
                self.brokers,
                asks_no_side_effects(case).then_some(self.waits.quiet),
            ),
            mail: MailChannel::new(
                self.mail,
                case,
                asks_no_side_effects(case).then_some(self.waits.quiet),
            ),
        };
        if let Err(error) = channels.observe().await {
            result.checks.push(channel_error(case, error));
            return None;
        }
        if channels
            .mocks
            .as_ref()
            .and_then(MockChannel::mutant_applied)
            == Some(false)
        {
            result.checks.push(mutate::not_applied(
                "no mock has the route it changes".to_string(),
            ));
        }
        Some(Prepared {
            channels,
            scope,
            checks: std::mem::take(&mut result.checks),
        })
    }

    /// Runs the iterations; the result shows the first that failed, else
    /// the last.
    async fn iterate(
        &self,
        case: &TestCase,
        mut prepared: Prepared<'_>,
        spec_scope: &mut Scope,
        result: &mut CaseResult,
    ) -> Vec<String> {
        let planned = self.iterations(case);
        let mut tally = Iterations {
            planned,
            ..Iterations::default()
        };
        let mut shown: Option<Attempt> = None;
        for i in 1..=planned {
            let mut attempt = Attempt {
                checks: prepared.checks.clone(),
                ..Attempt::default()
            };
            if i > 1
                && let Err(error) = prepared.channels.reset().await
            {
                attempt.checks.push(StepResult::error(
                    StepKind::Setup,
                    case.heading_span,
                    format!("iteration {i}"),
                    error.message,
                    Evidence::default(),
                ));
                tally.run = i;
                tally.failed += 1;
                tally.first_failed.get_or_insert(i);
                if shown.is_none() {
                    tally.shown = i;
                    shown = Some(attempt);
                }
                break;
            }
            let last = i == planned;
            self.attempt(case, &mut prepared, &mut attempt, last, spec_scope)
                .await;
            let passed = attempt.passed();
            if planned > 1 {
                (self.progress)(&case.id.value, i, planned);
            }
            tally.run = i;
            tally.runs.push(attempt.run(i));
            if !passed {
                tally.failed += 1;
                tally.first_failed.get_or_insert(i);
            }
            let stop = last || (!passed && !self.keep_going);
            if shown.is_none() && (!passed || stop) {
                tally.shown = i;
                shown = Some(attempt);
            }
            if stop {
                break;
            }
        }
        let shown = shown.unwrap_or_default();
        let secrets = shown.secrets;
        result.checks = shown.checks;
        result.exchanges = shown.exchanges;
        result.mock_calls = shown.mock_calls;
        result.messages = shown.messages;
        result.emails = shown.emails;
        if planned > 1 {
            race_verdicts(case, &tally, &mut result.checks);
            result.iterations = Some(tally);
        }
        secrets
    }

    /// One run of the requests and the checks; the captures too when it is
    /// the run the case reports.
    async fn attempt(
        &self,
        case: &TestCase,
        prepared: &mut Prepared<'_>,
        attempt: &mut Attempt,
        last: bool,
        spec_scope: &mut Scope,
    ) {
        let mut scope = prepared.scope.clone();
        let Some(responses) = self.requests(case, &mut scope, attempt).await else {
            attempt.secrets = self.redaction.secrets(&scope);
            return;
        };
        attempt.skew_ms = responses.skew_ms;
        self.database_mutant(&prepared.channels, attempt).await;
        let last_step = Instant::now();
        for error in prepared.channels.collect().await {
            attempt.checks.push(channel_error(case, error));
        }
        let channels = &prepared.channels;
        let db = channels.database.as_ref().map(DatabaseChannel::context);
        let messages = MessageContext {
            brokers: self.brokers,
            waits: self.waits,
            last_step,
        };
        let mail = self.mail.map(|mail| MailContext {
            mail,
            waits: self.waits,
            last_step,
        });
        let cx = Context {
            last: responses.last.as_ref(),
            labelled: &responses.labelled,
            statuses: responses.statuses.as_deref(),
            scope: &scope,
            errors: self.errors,
            strict: self.strict,
            journals: channels.mocks.as_ref().and_then(MockChannel::journals),
            db: db.as_ref(),
            side_effects: channels,
            messages: (!self.brokers.is_empty()).then_some(&messages),
            mail: mail.as_ref(),
            mocks: Some(self.mocks),
            last_step,
        };
        self.checks(case, &cx, &mut attempt.checks).await;
        if let (Some(contract), _) = self.contract {
            assert::contract(
                contract,
                &attempt.exchanges,
                self.undocumented_status_warns,
                &mut attempt.checks,
            );
        }
        // Taken after the checks: calls and messages that came while they
        // waited are part of what the case shows, and calls no route
        // matches fail it.
        let journal = channels.journal();
        let calls = cx.journals.is_some().then_some(&journal.mock_calls);
        self.unexpected_calls(case, calls, &mut attempt.checks);
        let left_behind = self.left_behind(&attempt.kept).await;
        attempt.checks.extend(left_behind);
        attempt.mock_calls = journal.mock_calls;
        attempt.messages = journal.messages;
        attempt.emails = journal.emails;
        if last || (!attempt.passed() && !self.keep_going) {
            self.captures(case, &cx, spec_scope, &mut attempt.checks)
                .await;
        }
        // Only an attempt the case may show: the last, or a failed one.
        if last || !attempt.passed() {
            attempt.secrets = self.redaction.secrets_with(
                &scope,
                responses.labelled.values().chain(responses.last.as_ref()),
            );
        }
    }

    /// `itspec mutate`, after the requests: a case's run keeps the rows it
    /// wrote; a database mutant's run changes its row.
    async fn database_mutant(&self, channels: &Channels<'_>, attempt: &mut Attempt) {
        let Some(database) = channels.database.as_ref() else {
            return;
        };
        let isolation = database.isolation();
        let after_setup = database.after_setup();
        if let (Some(sink), None, Some(after_setup)) = (self.written, self.mutant, after_setup) {
            let rows = isolation.written(after_setup).await;
            *sink.borrow_mut() = rows.ok().map(|rows| Written {
                tracked: isolation.tracked.clone(),
                kind: isolation.db.kind,
                after_setup: after_setup.clone(),
                rows,
            });
        }
        let Some(mutant) = self.mutant.and_then(Mutant::database) else {
            return;
        };
        let applied = match after_setup {
            Some(after_setup) => mutant.apply(isolation, after_setup).await,
            None => Ok(false),
        };
        match applied {
            Ok(true) => {}
            Ok(false) => attempt.checks.push(mutate::not_applied(format!(
                "the database has no such row now: {}",
                mutant.description
            ))),
            Err(error) => attempt.checks.push(mutate::not_applied(format!(
                "the database refused the change ({error}): {}",
                mutant.description
            ))),
        }
    }

    async fn checks(&self, case: &TestCase, cx: &Context<'_>, checks: &mut Vec<StepResult>) {
        if let Some(expected) = &case.expected_output {
            let span = match expected {
                ExpectedOutput::Json(value) => value.span,
                ExpectedOutput::Text(text) => text.span,
            };
            checks.push(assert::expected_output(
                expected,
                cx,
                span,
                "Expected Output",
            ));
        }
        for assertion in case.all_assertions() {
            // A mutant is killed by its first failed check: the rest,
            // some of which wait for messages, would tell nothing more.
            if self.mutant.is_some() && checks.iter().any(StepResult::is_failed) {
                break;
            }
            checks.push(assert::assertion(assertion, cx).await);
        }
    }

    /// Where the mock is defined, else the case's heading.
    fn mock_span(&self, case: &TestCase, name: &str) -> itspec_spec::Span {
        self.spec
            .mocks
            .iter()
            .find(|m| m.name.value == name)
            .map_or(case.heading_span, |m| m.span)
    }

    /// Calls no route matched fail the case, unless the mock allows them;
    /// calls whose body went past `[limits] max_body` always do.
    fn unexpected_calls(
        &self,
        case: &TestCase,
        journals: Option<&Journals>,
        checks: &mut Vec<StepResult>,
    ) {
        for (name, calls) in journals.into_iter().flatten() {
            let refused: Vec<Call> = calls
                .iter()
                .filter(|c| c.refused.is_some())
                .cloned()
                .collect();
            if let Some(reason) = refused.first().and_then(|c| c.refused.clone()) {
                checks.push(StepResult::failed(
                    StepKind::Assertion,
                    self.mock_span(case, name),
                    format!("mock {name}"),
                    format!("mock {name} refused a call: {reason}"),
                    Evidence {
                        notes: assert::call_notes(name, &refused),
                        ..Evidence::default()
                    },
                ));
            }
            let unexpected: Vec<Call> = calls
                .iter()
                .filter(|c| c.is_unexpected())
                .cloned()
                .collect();
            if unexpected.is_empty() || self.mocks.get(name).is_some_and(|m| m.allow_unexpected) {
                continue;
            }
            let count = unexpected.len();
            checks.push(StepResult::failed(
                StepKind::Assertion,
                self.mock_span(case, name),
                format!("mock {name}"),
                format!(
                    "mock {name} received {count} call{} no route matches (allow them with `allow_unexpected = true` under [mocks.{name}])",
                    if count == 1 { "" } else { "s" }
                ),
                Evidence {
                    notes: assert::call_notes(name, &unexpected),
                    ..Evidence::default()
                },
            ));
        }
    }

    async fn captures(
        &self,
        case: &TestCase,
        cx: &Context<'_>,
        spec_scope: &mut Scope,
        checks: &mut Vec<StepResult>,
    ) {
        for capture in &case.captures {
            let text = self
                .source
                .get(capture.span.range())
                .unwrap_or(&capture.name.value)
                .to_string();
            match assert::capture(&capture.subject, cx).await {
                Ok(Some(value)) => {
                    spec_scope.set(capture.name.value.clone(), value);
                    checks.push(StepResult::passed(StepKind::Capture, capture.span, text));
                }
                Ok(None) => checks.push(StepResult::failed(
                    StepKind::Capture,
                    capture.span,
                    text,
                    "nothing to capture: the subject is absent",
                    Evidence::default(),
                )),
                Err(message) => checks.push(StepResult::failed(
                    StepKind::Capture,
                    capture.span,
                    text,
                    message,
                    Evidence::default(),
                )),
            }
        }
    }
}

/// `no race conditions` holds when every iteration passed every other
/// assertion; when one did not, it fails saying which and how often.
fn race_verdicts(case: &TestCase, tally: &Iterations, checks: &mut [StepResult]) {
    let Some(first) = tally.first_failed else {
        return;
    };
    let spans: Vec<itspec_spec::Span> = case
        .all_assertions()
        .filter(|a| {
            matches!(
                a.kind,
                AssertionKind::Phrase {
                    phrase: Phrase::NoRaceConditions
                }
            )
        })
        .map(|a| a.span)
        .collect();
    let message = if tally.run == tally.planned && tally.failed > 0 {
        format!(
            "{} of {} iterations failed (the first: iteration {first})",
            tally.failed, tally.run
        )
    } else {
        format!("iteration {first} of {} failed", tally.planned)
    };
    for check in checks.iter_mut().filter(|c| spans.contains(&c.span)) {
        check.verdict = Verdict::Failed {
            message: message.clone(),
            evidence: Box::default(),
        };
    }
}

/// Whether a case has an assertion that compares database snapshots.
/// Whether the case asks `no side effects`, which waits for late
/// messages.
fn asks_no_side_effects(case: &TestCase) -> bool {
    case.all_assertions().any(|a| {
        matches!(
            &a.kind,
            AssertionKind::Phrase {
                phrase: Phrase::NoSideEffects
            }
        )
    })
}

fn compares_snapshots(case: &TestCase) -> bool {
    case.all_assertions().any(|a| {
        matches!(
            &a.kind,
            AssertionKind::Phrase {
                phrase: Phrase::DatabaseUnchanged
                    | Phrase::TableUnchanged(_)
                    | Phrase::NoSideEffects
            }
        )
    })
}

/// A channel that could not observe or collect: an error of the case.
fn channel_error(case: &TestCase, error: ChannelError) -> StepResult {
    StepResult::error(
        StepKind::Setup,
        case.heading_span,
        error.what,
        error.message,
        Evidence::default(),
    )
}
