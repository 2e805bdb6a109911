//! Test support: an in-process HTTP server, and running a spec against it.

#![allow(dead_code, reason = "each test file uses part of the support")]

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use itspec_results::{CaseResult, Outcome, StepResult, Verdict};
use itspec_results::{RunResult, Silent};
use itspec_runner::{RunOptions, Selection, Settings, SpecInput};
use serde_json::{Value, json};

/// Serves `app` on a free loopback port from a thread of its own.
pub fn serve(app: Router) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    format!("http://{}", rx.recv().unwrap())
}

/// The test API.
pub fn api() -> Router {
    Router::new()
        .route("/status/{code}", get(status))
        .route("/echo", post(echo).put(echo).get(echo))
        .route("/form-login", post(form_login))
        .route("/rich", get(rich))
        .route(
            "/text",
            get(|| async { ([(header::CONTENT_TYPE, "text/plain")], "hello\nworld") }),
        )
        .route("/slow", get(slow))
        .route("/error/{style}", get(error))
        .route(
            "/login",
            post(|| async { axum::Json(json!({ "token": "t-123" })) }),
        )
        .route("/me", get(me))
        .route("/headers", get(headers))
        .route("/forward", post(forward))
        .route("/publish", post(publish))
        .route("/forward-later", post(forward_later))
        .route("/redis-shutdown", post(redis_shutdown))
        .route("/kill", post(kill))
        .route("/redis-commands", post(redis_commands))
        .route("/send-mail", post(send_mail))
        .route("/send-mail-later", post(send_mail_later))
}

/// Runs the Redis commands `{"url", "commands": [["SET", "k", "v"], …]}`
/// and answers 200: a service that writes a cache.
async fn redis_commands(axum::Json(order): axum::Json<Value>) -> impl IntoResponse {
    let client = redis::Client::open(order["url"].as_str().unwrap_or_default()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    for command in order["commands"].as_array().into_iter().flatten() {
        let words: Vec<&str> = command
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let Some((name, args)) = words.split_first() else {
            continue;
        };
        let _: redis::Value = redis::cmd(name)
            .arg(args)
            .query_async(&mut connection)
            .await
            .unwrap();
    }
    StatusCode::OK
}

/// Sends an e-mail as a service would, through the SMTP server at
/// `{"host", "port"}`: `{"from", "to": [...], "message"}` (the message's
/// lines, headers first), with `AUTH PLAIN` when `"auth"` is true, then
/// QUIT. Answers 200 when the server took it, else 502, with `{"code",
/// "reply", "quit"}` (`quit`: the code QUIT was answered with).
async fn send_mail(axum::Json(order): axum::Json<Value>) -> impl IntoResponse {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let host = order["host"].as_str().unwrap_or("127.0.0.1").to_string();
    let port = order["port"].as_u64().unwrap_or(25) as u16;
    let stream = tokio::net::TcpStream::connect((host.as_str(), port))
        .await
        .unwrap();
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    // The reply to what was sent last: its code and text (multi-line
    // replies read to their last line).
    async fn reply(
        lines: &mut tokio::io::Lines<BufReader<tokio::net::tcp::OwnedReadHalf>>,
    ) -> (u16, String) {
        loop {
            let line = lines.next_line().await.unwrap().unwrap_or_default();
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                return (line.get(..3).unwrap_or("0").parse().unwrap_or(0), line);
            }
        }
    }
    let mut say = Vec::new();
    say.push(reply(&mut lines).await);
    let mut commands = vec!["EHLO service.test".to_string()];
    if order["auth"].as_bool() == Some(true) {
        // "\0user\0password", base64.
        commands.push("AUTH PLAIN AHVzZXIAcGFzc3dvcmQ=".to_string());
    }
    commands.push(format!(
        "MAIL FROM:<{}>",
        order["from"].as_str().unwrap_or("")
    ));
    for to in order["to"].as_array().into_iter().flatten() {
        commands.push(format!("RCPT TO:<{}>", to.as_str().unwrap_or("")));
    }
    commands.push("DATA".to_string());
    for command in commands {
        write
            .write_all(format!("{command}\r\n").as_bytes())
            .await
            .unwrap();
        let (code, text) = reply(&mut lines).await;
        if code >= 400 {
            return (
                StatusCode::BAD_GATEWAY,
                axum::Json(json!({"code": code, "reply": text})),
            );
        }
    }
    let mut data = String::new();
    for line in order["message"].as_array().into_iter().flatten() {
        let line = line.as_str().unwrap_or("");
        if line.starts_with('.') {
            data.push('.');
        }
        data.push_str(line);
        data.push_str("\r\n");
    }
    data.push_str(".\r\n");
    write.write_all(data.as_bytes()).await.unwrap();
    let (code, text) = reply(&mut lines).await;
    // A server must be back in command mode after it refused a message.
    write.write_all(b"QUIT\r\n").await.unwrap();
    let (quit, _) = reply(&mut lines).await;
    let status = if code == 250 {
        StatusCode::OK
    } else {
        StatusCode::BAD_GATEWAY
    };
    (
        status,
        axum::Json(json!({"code": code, "reply": text, "quit": quit})),
    )
}

/// Sends the e-mail `/send-mail` would after `{"delay_ms"}`, and answers
/// 202 at once: a service that mails from a background job.
async fn send_mail_later(axum::Json(order): axum::Json<Value>) -> impl IntoResponse {
    let delay = Duration::from_millis(order["delay_ms"].as_u64().unwrap_or(0));
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let _ = send_mail(axum::Json(order)).await.into_response();
    });
    StatusCode::ACCEPTED
}

/// Kills the process `{"pid"}` (a broker of the test's own) and waits
/// until it is gone: a broker that goes away mid-run.
async fn kill(axum::Json(order): axum::Json<Value>) -> impl IntoResponse {
    let pid = order["pid"].as_i64().unwrap_or(0);
    // 0 and below would be a process group, this test's own among them.
    if pid <= 0 {
        return StatusCode::BAD_REQUEST;
    }
    let pid = nix::unistd::Pid::from_raw(pid as i32);
    let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
    let port = order["port"].as_u64().unwrap_or(0) as u16;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_ok()
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    StatusCode::NO_CONTENT
}

/// Shuts the Redis at `{"url"}` down: a broker that goes away mid-run.
async fn redis_shutdown(axum::Json(order): axum::Json<Value>) -> impl IntoResponse {
    let client = redis::Client::open(order["url"].as_str().unwrap_or_default()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    // The server goes before it answers.
    let _: Result<(), _> = redis::cmd("SHUTDOWN")
        .arg("NOSAVE")
        .query_async(&mut connection)
        .await;
    StatusCode::NO_CONTENT
}

/// Answers 202 at once, then after `delay_ms` calls what the body says
/// (as `/forward` does): a service whose dependency is called late.
async fn forward_later(axum::Json(order): axum::Json<Value>) -> impl IntoResponse {
    let delay = Duration::from_millis(order["delay_ms"].as_u64().unwrap_or(0));
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let _ = forward(axum::Json(order)).await;
    });
    StatusCode::ACCEPTED
}

/// Publishes what the body says — `{"url", "messages": [{"channel",
/// "body", "exchange"}], "delay_ms", "declare"}` — after the delay, and
/// answers 202 at once: a service that emits events. A `redis://` URL
/// publishes on Redis channels; an `amqp://` URL to RabbitMQ exchanges,
/// with the channel as the routing key, declaring each exchange first (as
/// an auto-delete exchange of that type) when `declare` names a type; a
/// `nats://` URL on NATS subjects, each with header `Event-Id: m-SUBJECT`;
/// an `mqtt://` URL on MQTT topics (QoS 1, MQTT 5, with user property
/// `event-id: m-TOPIC`).
async fn publish(axum::Json(order): axum::Json<Value>) -> impl IntoResponse {
    let url = order["url"].as_str().unwrap_or_default().to_string();
    let delay = Duration::from_millis(order["delay_ms"].as_u64().unwrap_or(0));
    let declare = order["declare"].as_str().map(str::to_string);
    let messages: Vec<(String, String, String)> = order["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            let body = match &m["body"] {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            (
                m["exchange"].as_str().unwrap_or_default().to_string(),
                m["channel"].as_str().unwrap_or_default().to_string(),
                body,
            )
        })
        .collect();
    let send = async move {
        tokio::time::sleep(delay).await;
        if url.starts_with("amqp") {
            publish_amqp(&url, declare.as_deref(), messages).await;
            return;
        }
        if url.starts_with("nats") {
            publish_nats(&url, messages).await;
            return;
        }
        if url.starts_with("mqtt") {
            publish_mqtt(&url, messages).await;
            return;
        }
        let client = redis::Client::open(url.as_str()).unwrap();
        let mut connection = client.get_multiplexed_async_connection().await.unwrap();
        for (_, channel, body) in messages {
            let _: i64 = redis::cmd("PUBLISH")
                .arg(&channel)
                .arg(&body)
                .query_async(&mut connection)
                .await
                .unwrap();
        }
    };
    if delay.is_zero() {
        send.await;
    } else {
        tokio::spawn(send);
    }
    StatusCode::ACCEPTED
}

/// Publishes `(exchange, routing key, body)` to RabbitMQ, confirmed.
async fn publish_amqp(url: &str, declare: Option<&str>, messages: Vec<(String, String, String)>) {
    use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions};
    let connection = lapin::Connection::connect(url, lapin::ConnectionProperties::default())
        .await
        .unwrap();
    let channel = connection.create_channel().await.unwrap();
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    for (exchange, key, body) in messages {
        if let Some(kind) = declare {
            channel
                .exchange_declare(
                    exchange.as_str().into(),
                    lapin::ExchangeKind::Custom(kind.to_string()),
                    ExchangeDeclareOptions {
                        auto_delete: true,
                        ..ExchangeDeclareOptions::default()
                    },
                    lapin::types::FieldTable::default(),
                )
                .await
                .unwrap();
        }
        channel
            .basic_publish(
                exchange.as_str().into(),
                key.as_str().into(),
                BasicPublishOptions::default(),
                body.as_bytes(),
                lapin::BasicProperties::default()
                    .with_content_type("application/json".into())
                    .with_message_id(format!("m-{key}").into()),
            )
            .await
            .unwrap()
            .await
            .unwrap();
    }
    let _ = connection.close(200, "OK".into()).await;
}

/// Publishes `(_, subject, body)` on NATS, flushed before it answers.
async fn publish_nats(url: &str, messages: Vec<(String, String, String)>) {
    let client = async_nats::connect(url).await.unwrap();
    for (_, subject, body) in messages {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Event-Id", format!("m-{subject}").as_str());
        client
            .publish_with_headers(subject, headers, body.into())
            .await
            .unwrap();
    }
    client.flush().await.unwrap();
}

/// Publishes `(_, topic, body)` over MQTT 5 at QoS 1, acknowledged.
async fn publish_mqtt(url: &str, messages: Vec<(String, String, String)>) {
    use rumqttc::v5::mqttbytes::v5::{Packet, PublishProperties};
    let port = url.rsplit(':').next().unwrap().parse().unwrap();
    let mut options = rumqttc::v5::MqttOptions::new(
        format!("itspec-test-service-{}", uuid::Uuid::new_v4().simple()),
        "127.0.0.1",
        port,
    );
    options.set_clean_start(true);
    // Room for every message: the event loop runs after they are queued.
    let count = messages.len();
    let (client, mut eventloop) = rumqttc::v5::AsyncClient::new(options, count + 8);
    for (_, topic, body) in messages {
        client
            .publish_with_properties(
                topic.clone(),
                rumqttc::v5::mqttbytes::QoS::AtLeastOnce,
                false,
                body,
                PublishProperties {
                    content_type: Some("application/json".into()),
                    user_properties: vec![("event-id".into(), format!("m-{topic}"))],
                    ..PublishProperties::default()
                },
            )
            .await
            .unwrap();
    }
    let mut acknowledged = 0;
    while acknowledged < count {
        if let rumqttc::v5::Event::Incoming(Packet::PubAck(_)) = eventloop.poll().await.unwrap() {
            acknowledged += 1;
        }
    }
    client.disconnect().await.unwrap();
    let _ = tokio::time::timeout(Duration::from_millis(200), eventloop.poll()).await;
}

/// Calls what the body says (`{"method", "url", "body"}`) and answers with
/// the status and body it got: a service with a dependency.
async fn forward(axum::Json(order): axum::Json<Value>) -> impl IntoResponse {
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let method = order["method"].as_str().unwrap_or("POST").parse().unwrap();
    let mut request = client.request(method, order["url"].as_str().unwrap_or(""));
    if let Some(body) = order.get("body") {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
            let body = serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text));
            (
                StatusCode::OK,
                axum::Json(json!({ "status": status, "body": body })),
            )
        }
        Err(error) => (
            StatusCode::BAD_GATEWAY,
            axum::Json(json!({ "error": error.to_string() })),
        ),
    }
}

async fn status(Path(code): Path<u16>) -> impl IntoResponse {
    (
        StatusCode::from_u16(code).unwrap(),
        axum::Json(json!({ "code": code })),
    )
}

async fn echo(headers: HeaderMap, body: Bytes) -> axum::Json<Value> {
    let text = String::from_utf8_lossy(&body).into_owned();
    let parsed = serde_json::from_slice::<Value>(&body).unwrap_or(Value::String(text.clone()));
    let names: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                Value::String(v.to_str().unwrap_or("").to_string()),
            )
        })
        .collect();
    axum::Json(json!({ "headers": names, "body": parsed, "raw": text }))
}

async fn rich() -> axum::Json<Value> {
    axum::Json(json!({
        "id": "0b8a4a0e-6d0c-4f57-9a3f-2f1e5c0c9d11",
        "created_at": "2026-11-24T10:00:00Z",
        "day": "2026-11-24",
        "email": "ada@example.com",
        "code": "ABC-123",
        "count": 3,
        "ratio": 0.5,
        "name": "Ada",
        "active": true,
        "meta": { "a": 1 },
        "tags": ["x", "y"],
        "nothing": null,
        "hash": "#tag",
        "items": [{ "sku": "A", "stock": 0 }, { "sku": "B", "stock": 4 }]
    }))
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(3)).await;
    "late"
}

async fn error(Path(style): Path<String>) -> impl IntoResponse {
    match style.as_str() {
        "nested" => (
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(
                json!({ "error": { "code": "INVALID", "message": "quantity must be positive" } }),
            ),
        )
            .into_response(),
        "flat" => (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({ "code": "FLAT", "detail": "flat detail" })),
        )
            .into_response(),
        // FastAPI's validation error, Rails' errors by field.
        "fastapi" => (
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(json!({ "detail": [
                { "type": "missing", "loc": ["body", "email"], "msg": "Field required", "input": {} }
            ] })),
        )
            .into_response(),
        "rails" => (
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(json!({ "errors": { "email": ["has already been taken", "is invalid"] } })),
        )
            .into_response(),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "plain failure message").into_response(),
    }
}

/// An OAuth2 password login (`username`, `password` form-encoded) that
/// also sets a session cookie.
async fn form_login(headers: HeaderMap, body: Bytes) -> impl IntoResponse {
    let form = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v == "application/x-www-form-urlencoded");
    if !form || body.as_ref() != b"username=ada%40example.com&password=p%26w" {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({ "detail": "Incorrect email or password" })),
        )
            .into_response();
    }
    (
        [(header::SET_COOKIE, "session=s-ada; Path=/; HttpOnly")],
        axum::Json(json!({ "access_token": "t-123", "token_type": "bearer" })),
    )
        .into_response()
}

async fn me(headers: HeaderMap) -> impl IntoResponse {
    match headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        Some("Bearer t-123") => {
            (StatusCode::OK, axum::Json(json!({ "name": "Ada" }))).into_response()
        }
        _ => StatusCode::UNAUTHORIZED.into_response(),
    }
}

async fn headers() -> impl IntoResponse {
    let mut map = HeaderMap::new();
    map.insert("x-count", "5".parse().unwrap());
    map.append("x-multi", "a".parse().unwrap());
    map.append("x-multi", "b".parse().unwrap());
    (map, "ok")
}

/// A spec header and a Test Cases heading; append cases.
pub const HEAD: &str =
    "# Integration Test Spec: Test\n\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n";

/// Settings that send requests to `base`.
pub fn settings(base: &str) -> Settings {
    let loaded = itspec_config::Loaded {
        path: None,
        dir: std::env::temp_dir(),
        config: itspec_config::Config::default(),
    };
    let mut settings = Settings::from_config(&loaded).unwrap();
    settings.base_url = Some(base.to_string());
    settings.timeout = Duration::from_secs(1);
    settings
}

/// Runs a spec's text (which must lint without errors) against `base`.
pub fn run_with(settings: &Settings, text: &str, options: &RunOptions) -> RunResult {
    run_all(settings, &[text], options)
}

/// Runs several specs (which must lint without errors) in one run.
pub fn run_all(settings: &Settings, texts: &[&str], options: &RunOptions) -> RunResult {
    let inputs = texts
        .iter()
        .enumerate()
        .map(|(i, text)| spec_input(settings, &format!("test{i}.md"), text))
        .collect();
    let plan = itspec_runner::plan(inputs, &Selection::default()).unwrap();
    itspec_runner::run(&plan, settings, options, &mut Silent)
}

fn spec_input(settings: &Settings, path: &str, text: &str) -> SpecInput {
    let checked = itspec_spec::check(
        text,
        &itspec_spec::LintOptions {
            vars: vec!["configured".into(), "n".into()],
            mocks: settings.mocks.keys().cloned().collect(),
            brokers: settings
                .brokers
                .iter()
                .map(|(name, broker)| itspec_spec::KnownBroker {
                    name: name.clone(),
                    rules: Some(broker.kind.rules()),
                    watch: broker.watch.clone(),
                })
                .collect(),
            mail: settings.mail.is_some(),
            database: settings.database.is_some(),
            strict: false,
        },
    );
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    assert!(errors.is_empty(), "the test spec has errors: {errors:#?}");
    SpecInput {
        path: path.to_string(),
        text: text.into(),
        spec: checked.spec,
    }
}

/// Runs cases (appended to [`HEAD`]) against `base`.
pub fn run(base: &str, cases: &str) -> RunResult {
    run_with(
        &settings(base),
        &format!("{HEAD}{cases}"),
        &RunOptions::default(),
    )
}

/// The cases of a run.
pub fn cases(result: &RunResult) -> Vec<&CaseResult> {
    result.specs.iter().flat_map(|s| &s.cases).collect()
}

/// (check text, passed?, failure message) of a case.
pub fn verdicts(case: &CaseResult) -> Vec<(String, &'static str, String)> {
    case.checks
        .iter()
        .map(|c: &StepResult| match &c.verdict {
            Verdict::Passed => (c.text.clone(), "pass", String::new()),
            Verdict::Failed { message, .. } => (c.text.clone(), "fail", message.clone()),
            Verdict::Error { message, .. } => (c.text.clone(), "error", message.clone()),
            Verdict::Unverified { reason } => (c.text.clone(), "unverified", reason.clone()),
        })
        .collect()
}

/// Asserts that every check of a case whose text is listed has the verdict.
pub fn assert_verdicts(case: &CaseResult, expected: &[(&str, &str)]) {
    let actual = verdicts(case);
    for (text, verdict) in expected {
        let found = actual.iter().find(|(t, _, _)| t == text);
        match found {
            Some((_, v, message)) => assert_eq!(v, verdict, "`{text}`: {message}"),
            None => panic!("no check `{text}` in {actual:#?}"),
        }
    }
}

/// Whether the case passed.
pub fn passed(case: &CaseResult) -> bool {
    case.outcome == Outcome::Passed
}

/// The URL of a server the test needs, from `variable`; `None`, and said,
/// when it is not set outside CI. Under CI it must be set: a test never
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

/// Settings against `base` with broker `events` at `url`, watching `watch`
/// and tracking `keys`, and short waits.
pub fn broker_settings(base: &str, url: &str, watch: Vec<String>, keys: Vec<String>) -> Settings {
    let mut config = itspec_config::Config::default();
    config.brokers.insert(
        "events".into(),
        itspec_config::Broker {
            url: url.to_string(),
            watch,
            keys,
            allow_remote: false,
        },
    );
    channel_settings(base, config)
}

/// Settings from `config` against `base`, with the short waits of the
/// channel tests.
pub fn channel_settings(base: &str, config: itspec_config::Config) -> Settings {
    let loaded = itspec_config::Loaded {
        path: None,
        dir: std::env::temp_dir(),
        config,
    };
    let mut settings = Settings::from_config(&loaded).unwrap();
    settings.base_url = Some(base.to_string());
    settings.timeout = Duration::from_secs(2);
    settings.waits = itspec_runner::Waits {
        wait: Duration::from_millis(800),
        quiet: Duration::from_millis(150),
    };
    settings
}

/// This test's own name for a topic, exchange, queue or key prefix.
pub fn own(name: &str) -> String {
    format!("itspec-test-{}-{name}", std::process::id())
}

/// Waits up to 5 s for `holds`; whether it held.
pub fn eventually(holds: impl Fn() -> bool) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while std::time::Instant::now() < deadline {
        if holds() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    holds()
}

/// A case that has the service publish `(channel, JSON body)` on broker
/// `events` (a subject or topic), then checks `assertions`.
pub fn publishing_case(id: u32, name: &str, messages: &[(&str, &str)], assertions: &str) -> String {
    let messages: Vec<String> = messages
        .iter()
        .map(|(channel, body)| format!(r#"{{"channel": "{channel}", "body": {body}}}"#))
        .collect();
    format!(
        "### TC-INT-{id:03}: {name}\n\n**Request:** POST /publish\n\n**Input:**\n```json\n\
         {{\"url\": \"{{{{brokers.events.url}}}}\", \"messages\": [{}]}}\n```\n\n\
         **Assertions:**\n{assertions}\n\n---\n\n",
        messages.join(", ")
    )
}

/// A server of the test's own (a broker to stop mid-run) on a free port,
/// killed when dropped.
pub struct OwnServer {
    /// Its process.
    pub child: std::process::Child,
    /// The loopback port it listens on.
    pub port: u16,
}

impl OwnServer {
    /// Starts `program` with the arguments `args` gives for the port, and
    /// waits until it listens.
    pub fn start(program: &str, args: impl Fn(u16) -> Vec<String>) -> OwnServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new(program)
            .args(args(port))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{program}, to start a server of the test's own: {e}"));
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "{program} did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        OwnServer { child, port }
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
