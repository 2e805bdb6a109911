//! What the CLI's benches share: the repository, how many runs, the shop,
//! a local nginx and the HTTP-only specs it answers.

#![allow(dead_code, reason = "each bench uses part of the support")]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The repository's root.
pub const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// `ITSPEC_BENCH_RUNS`, else `default`.
pub fn runs(default: usize) -> usize {
    std::env::var("ITSPEC_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The shop example, built in release mode.
pub fn release_shop() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let built = Command::new(cargo)
        .args(["build", "--release", "--quiet", "-p", "shop"])
        .current_dir(REPO)
        .status()
        .expect("cargo runs");
    assert!(built.success(), "the shop builds");
    Path::new(REPO).join("target/release/shop")
}

const BODY: &str = r#"{"id": 7, "name": "widget", "price": {"amount": 1250, "currency": "EUR"}, "tags": ["a", "b", "c"], "active": true}"#;

/// Starts nginx serving `BODY` at `/items/N` with an `X-Bench` header.
pub fn nginx(dir: &Path) -> (std::process::Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::create_dir_all(dir.join("www/items")).unwrap();
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    std::fs::write(dir.join("www/item.json"), BODY).unwrap();
    let config = format!(
        "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/logs/error.log;\n\
         events {{ worker_connections 1024; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/tmp;\n  proxy_temp_path {d}/tmp;\n  fastcgi_temp_path {d}/tmp;\n  uwsgi_temp_path {d}/tmp;\n  scgi_temp_path {d}/tmp;\n\
           server {{\n    listen 127.0.0.1:{port};\n    keepalive_requests 100000;\n    root {d}/www;\n    location /items/ {{\n      default_type application/json;\n      add_header X-Bench yes;\n      try_files /item.json =404;\n    }}\n  }}\n}}\n",
        d = dir.display()
    );
    std::fs::write(dir.join("nginx.conf"), config).unwrap();
    let nginx = std::env::var("ITSPEC_BENCH_NGINX").unwrap_or_else(|_| "nginx".to_string());
    let child = Command::new(&nginx)
        .args(["-p", &dir.display().to_string(), "-c"])
        .arg(dir.join("nginx.conf"))
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {nginx} ({e}): apt-get install nginx-light"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nginx did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    (child, port)
}

/// `specs` specs of `cases` cases each.
pub fn write_specs(dir: &Path, specs: usize, cases: usize) {
    std::fs::create_dir_all(dir).unwrap();
    for s in 0..specs {
        let mut text = format!(
            "# Integration Test Spec: Items {s}\n\n**Related:** GET /items/{{id}}\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n"
        );
        for c in 0..cases {
            let n = s * cases + c;
            let _ = write!(
                text,
                "\n### TC-INT-{:03}: Item {n}\n\n**Request:** GET /items/{n}\n\n**Assertions:**\n- status == 200\n- header X-Bench == \"yes\"\n\
                 - body.name == \"widget\"\n- body.price.amount == 1250\n- body.tags[1] == \"b\"\n- body.active == true\n",
                c + 1
            );
        }
        std::fs::write(dir.join(format!("items-{s:03}.md")), text).unwrap();
    }
}
