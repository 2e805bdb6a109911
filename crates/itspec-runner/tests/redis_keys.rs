//! Redis keys a run tracks (`[brokers.NAME] keys`), against a real Redis
//! (`ITSPEC_TEST_REDIS_URL`; under CI it must be set): what a case wrote
//! to them is put back exactly — values, expiries, deleted keys recreated
//! and new ones deleted — untracked keys are left alone, each iteration of
//! a concurrency case starts from the record, and `no side effects` sees a
//! tracked key that changed.

mod support;

use itspec_results::{Outcome, RunOutcome};
use itspec_runner::{RunOptions, Settings};
use redis::Commands as _;
use support::{HEAD, api, broker_settings, cases, run_with, serve, server_url, verdicts};

/// Broker `events` on Redis (a stream of the test's own watched), tracking `keys`.
fn settings(base: &str, url: &str, prefix: &str, keys: Vec<String>) -> Settings {
    broker_settings(base, url, vec![format!("{prefix}:events:*")], keys)
}

/// A case whose request has the service run `commands` on Redis.
fn case(id: u32, name: &str, commands: &str, assertions: &str) -> String {
    format!(
        "### TC-INT-{id:03}: {name}\n\n**Request:** POST /redis-commands\n\n**Input:**\n```json\n\
         {{\"url\": \"{{{{brokers.events.url}}}}\", \"commands\": {commands}}}\n```\n\n\
         **Assertions:**\n{assertions}\n\n---\n\n"
    )
}

#[test]
fn what_a_case_wrote_to_tracked_keys_is_put_back_exactly() {
    let Some(url) = server_url("ITSPEC_TEST_REDIS_URL") else {
        return;
    };
    let p = format!("itspec-test-{}-keys", std::process::id());
    let mut redis = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    let cart = |n: &str| format!("{p}:cart:{n}");
    let _: () = redis.set(cart("1"), "a").unwrap();
    let _: () = redis.hset(cart("2"), "sku", "S-1").unwrap();
    let _: () = redis.pexpire(cart("2"), 100_000).unwrap();
    let _: () = redis.rpush(cart("3"), &["x", "y"]).unwrap();
    let _: () = redis.set(format!("{p}:other"), "o").unwrap();
    let expires: i64 = redis::cmd("PEXPIRETIME")
        .arg(cart("2"))
        .query(&mut redis)
        .unwrap();
    let base = serve(api());
    let writes = format!(
        r#"[["SET", "{c1}", "changed"], ["DEL", "{c3}"], ["PEXPIRE", "{c2}", "5000"], ["SET", "{c9}", "new"], ["SET", "{p}:other", "changed too"]]"#,
        c1 = cart("1"),
        c2 = cart("2"),
        c3 = cart("3"),
        c9 = cart("9"),
    );
    let iterations = format!(
        "### TC-INT-004: Each iteration starts from the record\n\n**Repeat:** 3\n\n**Actions:**\n\
         1. Request A: POST /redis-commands {{\"url\": \"{{{{brokers.events.url}}}}\", \"commands\": [[\"INCR\", \"{n}\"]]}}\n\
         2. Request B (concurrent): POST /redis-commands {{\"url\": \"{{{{brokers.events.url}}}}\", \"commands\": [[\"INCR\", \"{n}\"]]}}\n\n\
         **Assertions:**\n- A.status == 200\n- B.status == 200\n\n---\n\n",
        n = cart("n")
    );
    let text = format!(
        "{HEAD}{}{}{}{}",
        case(1, "Writes the cache", &writes, "- status == 200"),
        case(
            2,
            "Changes nothing, and finds what the first case wrote undone",
            "[]",
            "- no side effects"
        ),
        case(
            3,
            "Says it changes nothing, and does",
            &format!(r#"[["SET", "{}", "sneaky"]]"#, cart("1")),
            "- no side effects"
        ),
        iterations,
    );
    let result = run_with(
        &settings(&base, &url, &p, vec![format!("{p}:cart:*")]),
        &text,
        &RunOptions::default(),
    );
    assert_eq!(result.outcome, RunOutcome::Completed);
    let all = cases(&result);
    assert_eq!(all[0].outcome, Outcome::Passed, "{:#?}", verdicts(all[0]));
    assert_eq!(all[1].outcome, Outcome::Passed, "{:#?}", verdicts(all[1]));
    assert_eq!(all[2].outcome, Outcome::Failed, "{:#?}", verdicts(all[2]));
    let said = format!("{:?}", all[2].checks);
    assert!(said.contains("1 tracked key changed"), "{said}");
    assert!(
        said.contains(&format!("{}: value changed", cart("1"))),
        "{said}"
    );
    assert_eq!(all[3].outcome, Outcome::Passed, "{:#?}", verdicts(all[3]));

    // As before the run: values, the hash's expiry to the millisecond,
    // the deleted list back, the new keys gone; the untracked key keeps
    // what the service wrote.
    let one: String = redis.get(cart("1")).unwrap();
    assert_eq!(one, "a");
    let sku: String = redis.hget(cart("2"), "sku").unwrap();
    assert_eq!(sku, "S-1");
    let now: i64 = redis::cmd("PEXPIRETIME")
        .arg(cart("2"))
        .query(&mut redis)
        .unwrap();
    assert_eq!(now, expires);
    let list: Vec<String> = redis.lrange(cart("3"), 0, -1).unwrap();
    assert_eq!(list, ["x", "y"]);
    let gone: bool = redis.exists(cart("9")).unwrap();
    assert!(!gone, "a key the case created is deleted");
    let counter: bool = redis.exists(cart("n")).unwrap();
    assert!(!counter, "a key the iterations created is deleted");
    let other: String = redis.get(format!("{p}:other")).unwrap();
    assert_eq!(other, "changed too");
    let _: () = redis
        .del(&[cart("1"), cart("2"), cart("3"), format!("{p}:other")])
        .unwrap();
}

#[test]
fn keys_are_refused_where_there_are_none() {
    let mut config = itspec_config::Config::default();
    config.brokers.insert(
        "events".into(),
        itspec_config::Broker {
            url: "nats://127.0.0.1:4222".into(),
            watch: vec!["orders.>".into()],
            keys: vec!["cart:*".into()],
            allow_remote: false,
        },
    );
    let loaded = itspec_config::Loaded {
        path: None,
        dir: std::env::temp_dir(),
        config,
    };
    let error = Settings::from_config(&loaded).unwrap_err().to_string();
    assert!(
        error.contains("only a Redis broker has keys to record and put back"),
        "{error}"
    );
}

#[test]
fn key_assertions_read_what_the_service_wrote() {
    let Some(url) = server_url("ITSPEC_TEST_REDIS_URL") else {
        return;
    };
    let p = format!("itspec-test-{}-assert", std::process::id());
    let base = serve(api());
    let writes = format!(
        r#"[["SET", "{p}:cart:7", "{{\"sku\": \"S-1\", \"quantity\": 2}}"], ["SET", "{p}:case:TC-INT-001", "1"], ["HSET", "{p}:session:1", "user", "ada", "visits", "3"], ["EXPIRE", "{p}:session:1", "600"], ["RPUSH", "{p}:log", "a", "b"], ["SADD", "{p}:tags", "z", "a"], ["SET", "{p}:plain", "hello"]]"#
    );
    let passing = format!(
        "- key events \"{p}:cart:7\" == {{\"sku\": \"S-1\", \"quantity\": 2}}\n\
         - key events \"{p}:case:{{{{case_id}}}}\" == 1\n\
         - key events \"{p}:cart:7\" exists\n\
         - key events \"{p}:cart:8\" not exists\n\
         - key events \"{p}:session:1\" == {{\"user\": \"ada\", \"visits\": 3}}\n\
         - key events \"{p}:session:1\" ttl > 500\n\
         - key events \"{p}:cart:7\" ttl == -1\n\
         - key events \"{p}:log\" == [\"a\", \"b\"]\n\
         - key events \"{p}:tags\" == [\"a\", \"z\"]\n\
         - key events \"{p}:plain\" == \"hello\"\n\
         - key events \"{p}:plain\" contains \"ell\""
    );
    let failing = format!(
        "- key events \"{p}:cart:7\" == {{\"sku\": \"S-2\", \"quantity\": 2}}\n\
         - key events \"{p}:cart:8\" exists\n\
         - key events \"{p}:cart:7\" ttl > 0"
    );
    let text = format!(
        "{HEAD}{}{}",
        case(1, "Writes the cache", &writes, &passing),
        case(2, "Expects what is not there", &writes, &failing),
    );
    let settings = settings(&base, &url, &p, vec![format!("{p}:*")]);
    let result = run_with(&settings, &text, &RunOptions::default());
    let all = cases(&result);
    assert_eq!(all[0].outcome, Outcome::Passed, "{:#?}", verdicts(all[0]));
    assert_eq!(all[1].outcome, Outcome::Failed, "{:#?}", verdicts(all[1]));
    let failed = verdicts(all[1]);
    assert!(
        failed.iter().filter(|(_, v, _)| *v == "fail").count() == 3,
        "{failed:#?}"
    );
    // Tracked, everything the cases wrote is gone.
    let mut redis = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    let left: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{p}:*"))
        .query(&mut redis)
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
}
