//! IT408, IT409: an assertion on messages, and a message published, names
//! a configured broker, and its topic is a pattern of that broker.

use crate::diagnostic::{Code, Diagnostic};
use crate::lint::LintOptions;
use crate::model::{AssertionKind, Spec, SubjectKind};
use crate::source::Spanned;
use crate::suggest::nearest;

pub(crate) fn check(spec: &Spec, options: &LintOptions, out: &mut Vec<Diagnostic>) {
    for case in &spec.cases {
        if let Some(publish) = &case.publish {
            on(&publish.broker, None, options, out);
        }
        for action in &case.actions {
            if let crate::model::ActionKind::Publish { broker, .. } = &action.kind {
                on(broker, None, options, out);
            }
        }
        for assertion in case.all_assertions() {
            let (broker, topic) = match &assertion.kind {
                AssertionKind::Check { subject, .. } => match &subject.kind {
                    SubjectKind::Message { broker, topic, .. }
                    | SubjectKind::Messages { broker, topic } => (broker, topic.as_ref()),
                    SubjectKind::Key { broker, .. } => {
                        not_redis(broker, options, out);
                        (broker, None)
                    }
                    _ => continue,
                },
                AssertionKind::NoMessages {
                    broker: Some(broker),
                    topic,
                } => (broker, topic.as_ref()),
                _ => continue,
            };
            on(broker, topic, options, out);
        }
    }
}

/// A `key` assertion on a configured broker that is not Redis.
fn not_redis(broker: &Spanned<String>, options: &LintOptions, out: &mut Vec<Diagnostic>) {
    let Some(known) = options.brokers.iter().find(|b| b.name == broker.value) else {
        return;
    };
    if known
        .rules
        .is_some_and(|rules| rules != crate::topics::TopicRules::Redis)
    {
        let redis: Vec<String> = options
            .brokers
            .iter()
            .filter(|b| b.rules == Some(crate::topics::TopicRules::Redis))
            .map(|b| format!("`{}`", b.name))
            .collect();
        out.push(
            Diagnostic::error(
                Code::UnknownBroker,
                broker.span,
                format!(
                    "broker `{}` is not Redis: only Redis has keys",
                    broker.value
                ),
            )
            .with_help(if redis.is_empty() {
                "configure a Redis broker ([brokers.NAME] with a redis:// URL) and name it here"
                    .to_string()
            } else {
                format!("the Redis brokers are {}", redis.join(", "))
            }),
        );
    }
}

fn on(
    broker: &Spanned<String>,
    topic: Option<&Spanned<String>>,
    options: &LintOptions,
    out: &mut Vec<Diagnostic>,
) {
    let Some(known) = options.brokers.iter().find(|b| b.name == broker.value) else {
        let names = options.brokers.iter().map(|b| b.name.as_str());
        let help = match nearest(&broker.value, names) {
            Some(near) => format!("did you mean `{near}`?"),
            None if options.brokers.is_empty() => format!(
                "configure it in itspec.toml: [brokers.{}] with its url and the topics to watch",
                broker.value
            ),
            None => format!(
                "the brokers are {}",
                options
                    .brokers
                    .iter()
                    .map(|b| format!("`{}`", b.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        out.push(
            Diagnostic::error(
                Code::UnknownBroker,
                broker.span,
                format!("no broker is named `{}`", broker.value),
            )
            .with_help(help),
        );
        return;
    };
    let (Some(topic), Some(rules)) = (topic, known.rules) else {
        return;
    };
    if let Some(why) = rules.invalid(&topic.value) {
        out.push(
            Diagnostic::error(
                Code::InvalidTopic,
                topic.span,
                format!(
                    "`{}` is not a topic of broker `{}`",
                    topic.value, broker.value
                ),
            )
            .with_help(why),
        );
    } else if !rules.covered(&known.watch, &topic.value) {
        out.push(
            Diagnostic::error(
                Code::InvalidTopic,
                topic.span,
                format!(
                    "broker `{}` does not watch `{}`: itspec sees only the topics in `watch`",
                    broker.value, topic.value
                ),
            )
            .with_help(format!(
                "add it to `watch` under [brokers.{}] in itspec.toml (it watches {})",
                broker.value,
                known
                    .watch
                    .iter()
                    .map(|w| format!("`{w}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::topics::TopicRules;
    use crate::{Code, LintOptions};

    fn codes(
        assertions: &str,
        brokers: &[(&str, Option<TopicRules>, &[&str])],
    ) -> Vec<(Code, String)> {
        let text = format!(
            "# Integration Test Spec: Orders\n\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n\
             ### TC-INT-001: Publishes\n\n**Request:** POST /orders\n\n**Assertions:**\n{assertions}\n"
        );
        let options = LintOptions {
            brokers: brokers
                .iter()
                .map(|(name, rules, watch)| crate::KnownBroker {
                    name: (*name).to_string(),
                    rules: *rules,
                    watch: watch.iter().map(|w| (*w).to_string()).collect(),
                })
                .collect(),
            ..LintOptions::default()
        };
        crate::check(&text, &options)
            .diagnostics
            .into_iter()
            .filter(|d| matches!(d.code, Code::UnknownBroker | Code::InvalidTopic))
            .map(|d| (d.code, d.help.unwrap_or_default()))
            .collect()
    }

    #[test]
    fn a_broker_must_be_configured_and_its_topic_a_pattern_of_it() {
        let amqp = [("events", Some(TopicRules::Amqp), &["order.#"][..])];
        assert_eq!(
            codes(
                "- message events order.created received {}\n- no messages on events",
                &amqp
            ),
            Vec::new()
        );
        assert_eq!(
            codes("- message event received {}", &amqp),
            vec![(Code::UnknownBroker, "did you mean `events`?".to_string())]
        );
        let unknown = codes("- messages cache count == 1", &[]);
        assert_eq!(unknown.len(), 1);
        assert!(unknown[0].1.contains("[brokers.cache]"), "{unknown:?}");
        let bad = codes("- no messages on events order.cre*", &amqp);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].0, Code::InvalidTopic);
        // A topic the broker does not watch could never show a message.
        let redis = [("events", Some(TopicRules::Redis), &["orders:*"][..])];
        assert_eq!(
            codes("- no messages on events orders:eu:*", &redis),
            Vec::new()
        );
        let unwatched = codes("- no messages on events billing:*", &redis);
        assert_eq!(unwatched.len(), 1);
        assert!(
            unwatched[0].1.contains("add it to `watch`"),
            "{unwatched:?}"
        );
        // A broker whose URL names no kind: its topics are not judged.
        assert_eq!(
            codes(
                "- message events order.cre* received {}",
                &[("events", None, &[][..])]
            ),
            Vec::new()
        );
    }

    #[test]
    fn a_publish_case_is_a_case_with_an_input_and_its_broker_must_exist() {
        let check = |case: &str| {
            let text = format!(
                "# Integration Test Spec: Orders\n\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n{case}"
            );
            let options = LintOptions {
                brokers: vec![crate::KnownBroker {
                    name: "events".to_string(),
                    rules: Some(TopicRules::Amqp),
                    watch: vec!["orders".to_string()],
                }],
                ..LintOptions::default()
            };
            let checked = crate::check(&text, &options);
            // The errors; a Publish without a body is also warned.
            let codes: Vec<Code> = checked
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(|d| d.code)
                .collect();
            (checked.spec.cases[0].publish.clone(), codes)
        };
        let (publish, codes) = check(
            "### TC-INT-001: An order comes in\n\n**Publish:** events orders order.created\n```json\n{\"order_id\": 7}\n```\n\n**Assertions:**\n- within 2s: row shipments where order_id = 7 exists\n",
        );
        assert_eq!(codes, Vec::new());
        let publish = publish.unwrap();
        assert_eq!(publish.broker.value, "events");
        let words: Vec<&str> = publish
            .destination
            .iter()
            .map(|w| w.value.as_str())
            .collect();
        assert_eq!(words, ["orders", "order.created"]);
        assert_eq!(
            publish.body.and_then(|b| b.json).and_then(|j| j.to_json()),
            Some(serde_json::json!({"order_id": 7}))
        );
        let (_, codes) = check("### TC-INT-001: A\n\n**Publish:** event orders order.created\n");
        assert_eq!(codes, [Code::UnknownBroker]);
        let warned = crate::check(
            "# Integration Test Spec: Orders\n\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n### TC-INT-001: A\n\n**Publish:** events orders order.created\n",
            &LintOptions::default(),
        );
        assert!(
            warned
                .diagnostics
                .iter()
                .any(|d| d.code == Code::EmptyField && !d.is_error()),
            "{:?}",
            warned.diagnostics
        );
        let (publish, codes) = check("### TC-INT-001: A\n\n**Publish:** events\n");
        assert!(publish.is_none());
        assert_eq!(codes, [Code::EmptyField]);
        let (_, codes) = check(
            "### TC-INT-001: A\n\n**Request:** POST /orders\n\n**Publish:** events orders order.created\n",
        );
        assert_eq!(codes, [Code::RequestWithActions]);
    }
}
