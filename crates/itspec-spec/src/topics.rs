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
            TopicRules::Redis => glob(pattern.as_bytes(), topic.as_bytes()),
            TopicRules::Mqtt => {
                // A wildcard at the first level does not match a topic
                // that begins with `$` (MQTT 4.7.2: `$SYS/…`).
                if topic.starts_with('$') && (pattern.starts_with('+') || pattern.starts_with('#'))
                {
                    return false;
                }
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

    /// Whether every topic `pattern` can match is one that `watch`
    /// observes — a spec may only ask about what itspec subscribed to: the
    /// same pattern, a plain topic a watched pattern matches, or a pattern
    /// inside a watched prefix (`orders:*` covers `orders:eu:*`).
    /// RabbitMQ's `watch` names exchanges, alone (every routing key is
    /// observed) or with one binding key (`orders order.*`): the binding
    /// keys are the watched patterns.
    pub fn covered(self, watch: &[String], pattern: &str) -> bool {
        if self == TopicRules::Amqp {
            let keys: Vec<String> = watch
                .iter()
                .map(|entry| {
                    let mut words = entry.split_whitespace().skip(1);
                    words.next().unwrap_or("#").to_string()
                })
                .collect();
            return self.covered_by_patterns(&keys, pattern);
        }
        self.covered_by_patterns(watch, pattern)
    }

    /// [`TopicRules::covered`], with `watch` as patterns of these rules.
    fn covered_by_patterns(self, watch: &[String], pattern: &str) -> bool {
        if watch.iter().any(|w| w == pattern) {
            return true;
        }
        if !self.has_wildcards(pattern) {
            return watch.iter().any(|w| self.matches(w, pattern));
        }
        watch.iter().any(|w| match self.open_prefix(w) {
            Some(prefix) => match self {
                TopicRules::Redis => pattern.starts_with(prefix),
                // Whole words, levels or tokens, and at least one more.
                TopicRules::Amqp | TopicRules::Nats | TopicRules::Mqtt => {
                    prefix.is_empty() || pattern.starts_with(prefix)
                }
            },
            None => false,
        })
    }

    /// Whether `pattern` has any of the wildcards of these rules.
    pub fn has_wildcards(self, pattern: &str) -> bool {
        match self {
            TopicRules::Redis => pattern.contains(['*', '?', '[', '\\']),
            TopicRules::Amqp => pattern.split('.').any(|w| w == "*" || w == "#"),
            TopicRules::Nats => pattern.split('.').any(|t| t == "*" || t == ">"),
            TopicRules::Mqtt => pattern.split('/').any(|l| l == "+" || l == "#"),
        }
    }

    /// The plain start of a watched pattern that takes anything after it
    /// (`orders:*` → `orders:`, `orders.#` → `orders.`, `orders.>` →
    /// `orders.`, `devices/#` → `devices/`, `#` → ``), when it is one.
    fn open_prefix(self, watch: &str) -> Option<&str> {
        let (prefix, open) = match self {
            TopicRules::Redis => (watch.strip_suffix('*')?, true),
            TopicRules::Amqp => (watch.strip_suffix('#')?, true),
            TopicRules::Nats => (watch.strip_suffix('>')?, true),
            TopicRules::Mqtt => (watch.strip_suffix('#')?, true),
        };
        let whole = match self {
            TopicRules::Redis => true,
            TopicRules::Amqp | TopicRules::Nats => prefix.is_empty() || prefix.ends_with('.'),
            TopicRules::Mqtt => prefix.is_empty() || prefix.ends_with('/'),
        };
        (open && whole && !self.has_wildcards(prefix)).then_some(prefix)
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

/// Redis glob matching (`stringmatchlen`), on bytes as Redis compares
/// them: `*`, `?`, `[…]` with `^` and ranges, `\` escapes. Iterative,
/// going back only to the last `*`: linear in the name for each star, and
/// no recursion however long the name.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if pattern.get(p) == Some(&b'*') {
            star = Some((p, t));
            p += 1;
            continue;
        }
        if let Some((len, true)) = one(pattern, p, text.get(t).copied().unwrap_or(0)) {
            p += len;
            t += 1;
            continue;
        }
        match star {
            Some((at, from)) => {
                p = at + 1;
                t = from + 1;
                star = Some((at, from + 1));
            }
            None => return false,
        }
    }
    pattern.get(p..).unwrap_or(&[]).iter().all(|b| *b == b'*')
}

/// Whether the one-byte matcher at `pattern[p]` takes `c`, and how long it
/// is; `None` at the end of the pattern.
fn one(pattern: &[u8], p: usize, c: u8) -> Option<(usize, bool)> {
    let first = *pattern.get(p)?;
    Some(match first {
        b'?' => (1, true),
        b'\\' if p + 1 < pattern.len() => (2, pattern.get(p + 1) == Some(&c)),
        b'[' => {
            let mut i = p + 1;
            let negated = pattern.get(i) == Some(&b'^');
            if negated {
                i += 1;
            }
            let mut hit = false;
            loop {
                match pattern.get(i) {
                    // Unclosed: the `[` is a plain byte.
                    None => return Some((1, c == b'[')),
                    Some(b']') => break,
                    Some(b'\\') if i + 1 < pattern.len() => {
                        hit |= pattern.get(i + 1) == Some(&c);
                        i += 2;
                    }
                    Some(low)
                        if pattern.get(i + 1) == Some(&b'-')
                            && pattern.get(i + 2).is_some_and(|h| *h != b']') =>
                    {
                        let high = pattern.get(i + 2).copied().unwrap_or(*low);
                        let (low, high) = if *low <= high {
                            (*low, high)
                        } else {
                            (high, *low)
                        };
                        hit |= (low..=high).contains(&c);
                        i += 3;
                    }
                    Some(byte) => {
                        hit |= *byte == c;
                        i += 1;
                    }
                }
            }
            (i + 1 - p, hit != negated)
        }
        byte => (1, byte == c),
    })
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
    fn a_long_name_is_matched_without_recursion_or_blowing_up() {
        let long = format!("events:{}", "a".repeat(1_000_000));
        assert!(Redis.matches("events:*", &long));
        assert!(Redis.matches("*a*a*a*", &long));
        assert!(!Redis.matches("*a*b", &long));
        // Bytes, as Redis compares them: `?` is one byte of a UTF-8 letter.
        assert!(Redis.matches("caf??", "café"));
        assert!(!Redis.matches("caf?", "café"));
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
                ("#", "$SYS/broker/uptime", false),
                ("+/broker/uptime", "$SYS/broker/uptime", false),
                ("$SYS/#", "$SYS/broker/uptime", true),
            ],
        );
    }

    #[test]
    fn a_spec_may_ask_only_about_watched_topics() {
        let watch = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        for (rules, watched, asked, covered) in [
            (Redis, &["orders:*"][..], "orders:created", true),
            (Redis, &["orders:*"], "orders:*", true),
            (Redis, &["orders:*"], "orders:eu:*", true),
            (Redis, &["orders:*"], "billing:*", false),
            (Redis, &["orders:*"], "billing", false),
            (Redis, &["orders:created"], "orders:*", false),
            (Redis, &["orders:?"], "orders:a*", false),
            (Amqp, &["orders"], "order.*", true),
            (Amqp, &["orders"], "anything.at.all", true),
            (Amqp, &["orders order.*"], "order.created", true),
            (Amqp, &["orders order.*"], "billing.paid", false),
            (Amqp, &["orders order.#"], "order.eu.*", true),
            (Amqp, &["direct order.created"], "order.created", true),
            (Amqp, &["direct order.created"], "order.*", false),
            (Nats, &["orders.>"], "orders.*", true),
            (Nats, &["orders.*"], "orders.>", false),
            (Mqtt, &["devices/#"], "devices/+/status", true),
            (Mqtt, &["devices/+/status"], "devices/#", false),
        ] {
            assert_eq!(
                rules.covered(&watch(watched), asked),
                covered,
                "{rules:?} {watched:?} {asked}"
            );
        }
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
