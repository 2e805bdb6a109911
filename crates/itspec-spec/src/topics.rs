//! Topic patterns, each broker's own way: whether a message's topic
//! (routing key, subject, channel, MQTT topic) matches the pattern a
//! spec or `watch` writes.

/// The wildcard rules of a broker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TopicRules {
    /// AMQP topic exchanges: `.`-separated words, `*` one word, `#` zero
    /// or more.
    Amqp,
    /// NATS subjects: `.`-separated tokens, `*` one token, `>` one or more
    /// at the end.
    Nats,
    /// Redis channels: a glob (`*`, `?`, `[abc]`, `\` escapes).
    Redis,
    /// MQTT topics: `/`-separated levels, `+` one level, `#` the rest
    /// (the parent level included) at the end.
    Mqtt,
}

impl TopicRules {
    /// Whether `topic` matches `pattern`.
    pub fn matches(self, pattern: &str, topic: &str) -> bool {
        match self {
            TopicRules::Amqp => {
                let pattern: Vec<&str> = pattern.split('.').collect();
                let topic: Vec<&str> = topic.split('.').collect();
                amqp(&pattern, &topic)
            }
            TopicRules::Nats => {
                let mut topic = topic.split('.');
                let mut pattern = pattern.split('.').peekable();
                while let Some(part) = pattern.next() {
                    if part == ">" && pattern.peek().is_none() {
                        return topic.next().is_some();
                    }
                    match topic.next() {
                        Some(token) if part == "*" || part == token => {}
                        _ => return false,
                    }
                }
                topic.next().is_none()
            }
            TopicRules::Redis => {
                let pattern: Vec<char> = pattern.chars().collect();
                let topic: Vec<char> = topic.chars().collect();
                glob(&pattern, &topic)
            }
            TopicRules::Mqtt => {
                let mut topic = topic.split('/');
                let mut pattern = pattern.split('/').peekable();
                while let Some(level) = pattern.next() {
                    if level == "#" && pattern.peek().is_none() {
                        return true;
                    }
                    match topic.next() {
                        Some(name) if level == "+" || level == name => {}
                        _ => return false,
                    }
                }
                topic.next().is_none()
            }
        }
    }

    /// Why `pattern` is not a pattern of these rules, if it is not.
    pub fn invalid(self, pattern: &str) -> Option<String> {
        if pattern.is_empty() {
            return Some("a topic pattern cannot be empty".to_string());
        }
        match self {
            TopicRules::Amqp => pattern
                .split('.')
                .find(|word| word.len() > 1 && (word.contains('*') || word.contains('#')))
                .map(|word| {
                    format!("`{word}`: `*` and `#` stand for whole words, between dots (`orders.*`, `#.created`)")
                }),
            TopicRules::Nats => {
                let tokens: Vec<&str> = pattern.split('.').collect();
                if tokens.iter().any(|t| t.is_empty()) {
                    return Some("a subject has no empty tokens (`..`, or a dot at either end)".to_string());
                }
                if let Some(word) = tokens
                    .iter()
                    .find(|t| t.len() > 1 && (t.contains('*') || t.contains('>')))
                {
                    return Some(format!("`{word}`: `*` and `>` stand for whole tokens, between dots (`orders.*`, `orders.>`)"));
                }
                let last = tokens.len().saturating_sub(1);
                tokens
                    .iter()
                    .position(|t| *t == ">")
                    .filter(|at| *at != last)
                    .map(|_| "`>` may only end a subject (`orders.>`)".to_string())
            }
            TopicRules::Redis => {
                let mut open = false;
                let mut escaped = false;
                for c in pattern.chars() {
                    match c {
                        _ if escaped => escaped = false,
                        '\\' => escaped = true,
                        '[' if !open => open = true,
                        ']' if open => open = false,
                        _ => {}
                    }
                }
                (open || escaped)
                    .then(|| "an unclosed `[` or a trailing `\\` in the glob".to_string())
            }
            TopicRules::Mqtt => {
                let levels: Vec<&str> = pattern.split('/').collect();
                if let Some(level) = levels
                    .iter()
                    .find(|l| l.len() > 1 && (l.contains('+') || l.contains('#')))
                {
                    return Some(format!("`{level}`: `+` and `#` stand for whole levels, between slashes (`devices/+/status`, `devices/#`)"));
                }
                let last = levels.len().saturating_sub(1);
                levels
                    .iter()
                    .position(|l| *l == "#")
                    .filter(|at| *at != last)
                    .map(|_| "`#` may only end a topic filter (`devices/#`)".to_string())
            }
        }
    }
}

/// AMQP topic matching over words; `#` takes zero or more.
fn amqp(pattern: &[&str], topic: &[&str]) -> bool {
    match pattern.split_first() {
        None => topic.is_empty(),
        Some((&"#", rest)) => {
            (0..=topic.len()).any(|skip| amqp(rest, topic.get(skip..).unwrap_or(&[])))
        }
        Some((word, rest)) => match topic.split_first() {
            Some((first, others)) => (*word == "*" || word == first) && amqp(rest, others),
            None => false,
        },
    }
}

/// Redis glob matching (`stringmatchlen`): `*`, `?`, `[…]` with `^` and
/// ranges, `\` escapes.
fn glob(pattern: &[char], text: &[char]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some(('*', rest)) => {
            (0..=text.len()).any(|skip| glob(rest, text.get(skip..).unwrap_or(&[])))
        }
        Some(('?', rest)) => text
            .split_first()
            .is_some_and(|(_, others)| glob(rest, others)),
        Some(('[', rest)) => {
            let Some((c, others)) = text.split_first() else {
                return false;
            };
            let (negated, mut class) = match rest.split_first() {
                Some(('^', class)) => (true, class),
                _ => (false, rest),
            };
            let mut hit = false;
            loop {
                match class {
                    [] => return false,
                    [']', after @ ..] => {
                        class = after;
                        break;
                    }
                    ['\\', escaped, after @ ..] => {
                        hit |= escaped == c;
                        class = after;
                    }
                    [low, '-', high, after @ ..] if *high != ']' => {
                        let (low, high) = if low <= high {
                            (low, high)
                        } else {
                            (high, low)
                        };
                        hit |= (low..=high).contains(&c);
                        class = after;
                    }
                    [one, after @ ..] => {
                        hit |= one == c;
                        class = after;
                    }
                }
            }
            hit != negated && glob(class, others)
        }
        Some(('\\', rest)) if !rest.is_empty() => match (rest.split_first(), text.split_first()) {
            (Some((p, prest)), Some((t, others))) => p == t && glob(prest, others),
            _ => false,
        },
        Some((p, rest)) => text
            .split_first()
            .is_some_and(|(t, others)| p == t && glob(rest, others)),
    }
}

#[cfg(test)]
mod tests {
    use super::TopicRules::{self, *};

    fn table(rules: TopicRules, cases: &[(&str, &str, bool)]) {
        for (pattern, topic, expected) in cases {
            assert_eq!(
                rules.matches(pattern, topic),
                *expected,
                "{rules:?}: {pattern} ~ {topic}"
            );
        }
    }

    #[test]
    fn amqp_words() {
        table(
            Amqp,
            &[
                ("order.created", "order.created", true),
                ("order.*", "order.created", true),
                ("order.*", "order.created.eu", false),
                ("order.#", "order", true),
                ("order.#", "order.created.eu", true),
                ("#", "anything.at.all", true),
                ("#.eu", "order.created.eu", true),
                ("*.created", "created", false),
                ("order.created", "order.create", false),
            ],
        );
    }

    #[test]
    fn nats_tokens() {
        table(
            Nats,
            &[
                ("orders.created", "orders.created", true),
                ("orders.*", "orders.created", true),
                ("orders.*", "orders.created.eu", false),
                ("orders.>", "orders.created.eu", true),
                ("orders.>", "orders", false),
                ("*.created", "orders.created", true),
            ],
        );
    }

    #[test]
    fn redis_globs() {
        table(
            Redis,
            &[
                ("events:*", "events:order", true),
                ("events:*", "event:order", false),
                ("events:?", "events:a", true),
                ("events:[ab]", "events:b", true),
                ("events:[^ab]", "events:b", false),
                ("events:[a-c]x", "events:bx", true),
                ("events\\*", "events*", true),
                ("events\\*", "eventsX", false),
                ("*", "", true),
            ],
        );
    }

    #[test]
    fn mqtt_levels() {
        table(
            Mqtt,
            &[
                ("devices/+/status", "devices/7/status", true),
                ("devices/+/status", "devices/7/8/status", false),
                ("devices/#", "devices", true),
                ("devices/#", "devices/7/status", true),
                ("#", "a/b", true),
                ("devices/7", "devices/7/status", false),
            ],
        );
    }

    #[test]
    fn malformed_patterns_say_why() {
        for (rules, pattern) in [
            (Amqp, "order.cre*"),
            (Nats, "orders.>.eu"),
            (Nats, "orders..created"),
            (Nats, "ord*"),
            (Redis, "events:[ab"),
            (Mqtt, "devices/#/status"),
            (Mqtt, "devices/st+"),
            (Amqp, ""),
        ] {
            assert!(rules.invalid(pattern).is_some(), "{rules:?}: {pattern}");
        }
        for (rules, pattern) in [
            (Amqp, "order.#"),
            (Nats, "orders.>"),
            (Redis, "events:[ab]*"),
            (Mqtt, "devices/+/status"),
        ] {
            assert_eq!(rules.invalid(pattern), None, "{rules:?}: {pattern}");
        }
    }
}
