//! Redis keys a run tracks (`[brokers.NAME] keys`, CHANNELS.md §6): every
//! key matching the patterns is recorded before each case — its value as
//! Redis serializes it (DUMP) and the moment it expires (PEXPIRETIME) —
//! and put back exactly after it: changed values and expiries restored
//! (RESTORE … REPLACE ABSTTL), new keys deleted, deleted keys recreated.
//! A concurrency case's iterations each start from the record. What
//! changed since the record is what `no side effects` reports.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use redis::aio::MultiplexedConnection;

use super::lock;

/// How many keys one SCAN step asks for.
const SCAN_COUNT: u64 = 1000;

/// A key as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Recorded {
    /// DUMP's serialization of its value.
    dump: Vec<u8>,
    /// When it expires, in Unix milliseconds; `None`: never.
    expires_at: Option<i64>,
}

type Snapshot = BTreeMap<Vec<u8>, Recorded>;

/// One Redis broker's tracked keys.
pub(super) struct TrackedKeys {
    name: String,
    patterns: Vec<String>,
    connection: MultiplexedConnection,
    record: Mutex<Option<Arc<Snapshot>>>,
}

impl TrackedKeys {
    /// Connects to broker `name` for its `patterns`; checks that the
    /// server can tell when a key expires (Redis 7 and later).
    pub(super) async fn open(name: &str, url: &str, patterns: &[String]) -> Result<Self, String> {
        let client = ::redis::Client::open(url).map_err(|e| format!("not a Redis URL: {e}"))?;
        let mut connection = client
            .get_multiplexed_async_connection()
            .await
            .map_err(|e| format!("cannot connect to record keys: {e}"))?;
        let probe: Result<i64, _> = ::redis::cmd("PEXPIRETIME")
            .arg("itspec:probe:no-such-key")
            .query_async(&mut connection)
            .await;
        if let Err(error) = probe {
            return Err(format!(
                "cannot record keys: this Redis does not say when a key expires (PEXPIRETIME, Redis 7 and later): {error}"
            ));
        }
        Ok(Self {
            name: name.to_string(),
            patterns: patterns.to_vec(),
            connection,
            record: Mutex::new(None),
        })
    }

    /// Records every tracked key as it is now.
    pub(super) async fn record(&self) -> Result<(), String> {
        let snapshot = self.read().await?;
        *lock(&self.record) = Some(Arc::new(snapshot));
        Ok(())
    }

    /// Puts every tracked key back as recorded: those the case created
    /// are deleted, changed and deleted ones restored with their value
    /// and expiry. Nothing to do before a record.
    pub(super) async fn restore(&self) -> Result<(), String> {
        let Some(record) = lock(&self.record).clone() else {
            return Ok(());
        };
        let now = self.read().await?;
        let mut connection = self.connection.clone();
        let mut pipe = ::redis::pipe();
        let mut writes = 0;
        for key in now.keys().filter(|k| !record.contains_key(*k)) {
            pipe.cmd("DEL").arg(key).ignore();
            writes += 1;
        }
        for (key, recorded) in record.iter() {
            if now.get(key) == Some(recorded) {
                continue;
            }
            // ABSTTL: the key expires when it would have; 0 is never.
            pipe.cmd("RESTORE")
                .arg(key)
                .arg(recorded.expires_at.unwrap_or(0))
                .arg(&recorded.dump)
                .arg("REPLACE")
                .arg("ABSTTL")
                .ignore();
            writes += 1;
        }
        if writes > 0 {
            pipe.query_async::<()>(&mut connection).await.map_err(|e| {
                format!(
                    "broker {}: cannot put the tracked keys back: {e}",
                    self.name
                )
            })?;
        }
        Ok(())
    }

    /// What differs from the record now, one line per key.
    pub(super) async fn changes(&self) -> Result<Vec<String>, String> {
        let Some(record) = lock(&self.record).clone() else {
            return Ok(Vec::new());
        };
        let now = self.read().await?;
        let shown = |key: &[u8]| itspec_results::message::text(key);
        let mut changes = Vec::new();
        for (key, then) in record.iter() {
            match now.get(key) {
                None => changes.push(format!("{} {}: deleted", self.name, shown(key))),
                Some(current) if current.dump != then.dump => {
                    changes.push(format!("{} {}: value changed", self.name, shown(key)));
                }
                Some(current) if current.expires_at != then.expires_at => changes.push(format!(
                    "{} {}: expiry changed ({} → {})",
                    self.name,
                    shown(key),
                    expiry(then.expires_at),
                    expiry(current.expires_at)
                )),
                Some(_) => {}
            }
        }
        for key in now.keys().filter(|k| !record.contains_key(*k)) {
            changes.push(format!("{} {}: created", self.name, shown(key)));
        }
        Ok(changes)
    }

    /// Every tracked key as it is now.
    async fn read(&self) -> Result<Snapshot, String> {
        let mut connection = self.connection.clone();
        let failed = |e: ::redis::RedisError| {
            format!("broker {}: cannot read the tracked keys: {e}", self.name)
        };
        let mut keys: BTreeSet<Vec<u8>> = BTreeSet::new();
        for pattern in &self.patterns {
            let mut cursor: u64 = 0;
            loop {
                let (next, batch): (u64, Vec<Vec<u8>>) = ::redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(pattern)
                    .arg("COUNT")
                    .arg(SCAN_COUNT)
                    .query_async(&mut connection)
                    .await
                    .map_err(failed)?;
                keys.extend(batch);
                if next == 0 {
                    break;
                }
                cursor = next;
            }
        }
        let mut snapshot = Snapshot::new();
        let keys: Vec<Vec<u8>> = keys.into_iter().collect();
        for chunk in keys.chunks(SCAN_COUNT as usize) {
            let mut pipe = ::redis::pipe();
            for key in chunk {
                pipe.cmd("DUMP").arg(key).cmd("PEXPIRETIME").arg(key);
            }
            // Each command's answer in turn: DUMP's, then PEXPIRETIME's.
            let answers: Vec<::redis::Value> =
                pipe.query_async(&mut connection).await.map_err(failed)?;
            for (key, answer) in chunk.iter().zip(answers.chunks(2)) {
                let [dump, expires_at] = answer else { continue };
                // Gone between SCAN and DUMP: it is not there.
                let ::redis::Value::BulkString(dump) = dump else {
                    continue;
                };
                let expires_at = match expires_at {
                    ::redis::Value::Int(at) if *at >= 0 => Some(*at),
                    _ => None,
                };
                snapshot.insert(
                    key.clone(),
                    Recorded {
                        dump: dump.clone(),
                        expires_at,
                    },
                );
            }
        }
        Ok(snapshot)
    }
}

fn expiry(at: Option<i64>) -> String {
    at.map_or_else(|| "never".to_string(), |ms| format!("at {ms} ms"))
}
