//! A database's full contents as its own dump tool writes them — what a
//! user would compare before and after a run: `sqlite3 .dump`; `pg_dump`
//! of the schema, and of the data with its lines sorted (rows may come
//! back in another physical order); `mysqldump --hex-blob` with a line
//! per row, sorted, and `CHECKSUM TABLE` of every table (the dump prints
//! FLOAT with six digits; the checksum covers every stored bit).

use std::process::Command;

use super::databases::{Backend, TestDb};

/// Everything the database holds, in a form two runs can be compared by.
pub fn dump(test: &TestDb) -> String {
    match test.backend {
        Backend::Sqlite => run(Command::new("sqlite3").arg(sqlite_path(test)).arg(".dump")),
        Backend::Postgres => {
            let schema = run(Command::new("pg_dump")
                .args(["--schema-only", "--no-owner", "-d"])
                .arg(&test.url));
            let data = run(Command::new("pg_dump")
                .args(["--data-only", "-d"])
                .arg(&test.url));
            format!(
                "{}\n-- data, sorted --\n{}",
                without_restrict(&schema),
                sorted(&without_restrict(&data))
            )
        }
        Backend::MySql => {
            let mut dump = Command::new("mysqldump");
            dump.args([
                "--hex-blob",
                "--skip-dump-date",
                "--skip-extended-insert",
                "--skip-comments",
                "--triggers",
            ]);
            let data = run(mysql_args(&mut dump, &test.url));
            let mut checksums = Command::new("mariadb");
            let tables = run(mysql_args(&mut checksums, &test.url).args([
                "-N",
                "-e",
                "SELECT GROUP_CONCAT(CONCAT('`', table_name, '`') ORDER BY table_name) \
                 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'",
            ]));
            let checksum = run(Command::new("mariadb")
                .args(mysql_connection(&test.url))
                .args(["-N", "-e", &format!("CHECKSUM TABLE {}", tables.trim())]));
            format!("{}\n-- checksums --\n{checksum}", sorted(&data))
        }
    }
}

/// `pg_dump` brackets its output with `\restrict KEY` lines whose key is
/// new each time.
fn without_restrict(text: &str) -> String {
    text.lines()
        .filter(|line| !line.starts_with("\\restrict ") && !line.starts_with("\\unrestrict "))
        .collect::<Vec<_>>()
        .join("\n")
}

fn sorted(text: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    lines.join("\n")
}

fn run(command: &mut Command) -> String {
    let output = command.output().expect("the dump tool runs");
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The SQLite file of a test database.
pub fn sqlite_path(test: &TestDb) -> String {
    test.url
        .trim_start_matches("sqlite://")
        .split('?')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// `-h … -P … -u … [-p…] database` from a `mysql://` URL.
pub fn mysql_connection(url: &str) -> Vec<String> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let (authority, database) = rest.split_once('/').unwrap_or((rest, ""));
    let (credentials, host) = authority.rsplit_once('@').unwrap_or(("root", authority));
    let (user, password) = credentials
        .split_once(':')
        .map_or((credentials, None), |(u, p)| (u, Some(p)));
    let (host, port) = host.split_once(':').unwrap_or((host, "3306"));
    let mut args = vec![
        "--protocol=tcp".to_string(),
        "-h".to_string(),
        host.to_string(),
        "-P".to_string(),
        port.to_string(),
        "-u".to_string(),
        user.to_string(),
    ];
    if let Some(password) = password {
        args.push(format!("-p{password}"));
    }
    args.push(database.split('?').next().unwrap_or_default().to_string());
    args
}

fn mysql_args<'c>(command: &'c mut Command, url: &str) -> &'c mut Command {
    command.args(mysql_connection(url))
}
