//! Redis streams as a broker's topics: each watched name without
//! wildcards is also read as a stream (XREAD), from the entry that was its
//! last when observing began. Reading takes nothing from the service's
//! consumer groups and leaves nothing behind: XREAD keeps no state on the
//! server.
//!
//! One connection blocks on XREAD, so entries come in as they are added;
//! another reads whatever is new when the broker settles, so everything
//! added before is in the inbox then. Both remember the last entry seen
//! of each stream, and an entry is taken once.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use redis::Value;
use redis::aio::MultiplexedConnection;

use super::{Inbox, Received, lock};

/// How long a blocking read waits before it asks again.
const BLOCK_MS: u64 = 1000;
/// How many entries one read takes from each stream.
const COUNT: u64 = 1000;

/// The streams of one Redis broker.
pub(super) struct Streams {
    name: String,
    settling: MultiplexedConnection,
    last: Arc<Mutex<BTreeMap<String, (u64, u64)>>>,
    inbox: Arc<Inbox>,
    reader: tokio::task::JoinHandle<()>,
}

impl Drop for Streams {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl Streams {
    /// Starts reading `names` on the Redis at `url`, from their last
    /// entries now. `None` when there are no names.
    pub(super) async fn open(
        name: &str,
        url: &str,
        names: Vec<String>,
        inbox: Arc<Inbox>,
    ) -> Result<Option<Streams>, String> {
        if names.is_empty() {
            return Ok(None);
        }
        let client = redis::Client::open(url).map_err(|e| format!("not a Redis URL: {e}"))?;
        let connect = || async {
            client
                .get_multiplexed_async_connection()
                .await
                .map_err(|e| format!("cannot connect to read streams: {e}"))
        };
        let mut settling = connect().await?;
        let mut last = BTreeMap::new();
        for stream in names {
            // A watched name that holds another kind of key is a channel
            // name only.
            let kind: String = redis::cmd("TYPE")
                .arg(&stream)
                .query_async(&mut settling)
                .await
                .map_err(|e| format!("cannot read key {stream}: {e}"))?;
            if kind != "stream" && kind != "none" {
                continue;
            }
            let newest: Vec<(String, Value)> = redis::cmd("XREVRANGE")
                .arg(&stream)
                .arg("+")
                .arg("-")
                .arg("COUNT")
                .arg(1)
                .query_async(&mut settling)
                .await
                .map_err(|e| format!("cannot read stream {stream}: {e}"))?;
            let at = newest
                .first()
                .and_then(|(id, _)| parse_id(id))
                .unwrap_or((0, 0));
            last.insert(stream, at);
        }
        if last.is_empty() {
            return Ok(None);
        }
        let last = Arc::new(Mutex::new(last));
        // A blocking read answers after up to BLOCK_MS: no response timeout.
        let mut blocking = client
            .get_multiplexed_async_connection_with_config(
                &redis::AsyncConnectionConfig::new().set_response_timeout(None),
            )
            .await
            .map_err(|e| format!("cannot connect to read streams: {e}"))?;
        let reader = {
            let (name, last, inbox) = (name.to_string(), last.clone(), inbox.clone());
            tokio::spawn(async move {
                loop {
                    if let Err(why) =
                        read(&mut blocking, &name, &last, &inbox, Some(BLOCK_MS)).await
                    {
                        inbox.lose(format!(
                            "broker {name}: {why}, so messages published since are not seen"
                        ));
                        return;
                    }
                }
            })
        };
        Ok(Some(Streams {
            name: name.to_string(),
            settling,
            last,
            inbox,
            reader,
        }))
    }

    /// Takes in every entry added so far.
    pub(super) async fn catch_up(&self) -> Result<(), String> {
        let mut connection = self.settling.clone();
        read(&mut connection, &self.name, &self.last, &self.inbox, None).await
    }
}

/// One XREAD from the last entries seen (blocking up to `block` ms); the
/// new entries go into the inbox.
async fn read(
    connection: &mut MultiplexedConnection,
    name: &str,
    last: &Mutex<BTreeMap<String, (u64, u64)>>,
    inbox: &Inbox,
    block: Option<u64>,
) -> Result<(), String> {
    let from: Vec<(String, (u64, u64))> =
        lock(last).iter().map(|(s, at)| (s.clone(), *at)).collect();
    let mut command = redis::cmd("XREAD");
    if let Some(ms) = block {
        command.arg("BLOCK").arg(ms);
    }
    command.arg("COUNT").arg(COUNT).arg("STREAMS");
    for (stream, _) in &from {
        command.arg(stream);
    }
    for (_, (ms, seq)) in &from {
        command.arg(format!("{ms}-{seq}"));
    }
    let reply: Value = command
        .query_async(connection)
        .await
        .map_err(|e| format!("reading its streams failed ({e})"))?;
    let Value::Array(streams) = reply else {
        // Nil: nothing new before the block ended.
        return Ok(());
    };
    let mut last = lock(last);
    for stream in streams {
        let Value::Array(parts) = stream else {
            continue;
        };
        let [key, Value::Array(entries)] = parts.as_slice() else {
            continue;
        };
        let Some(stream) = text(key) else { continue };
        for entry in entries {
            let Value::Array(entry) = entry else { continue };
            let [id, Value::Array(fields)] = entry.as_slice() else {
                continue;
            };
            let Some(id) = text(id) else { continue };
            let Some(at) = parse_id(&id) else { continue };
            // The other connection may have taken it already.
            let seen = last.get(&stream).copied().unwrap_or((0, 0));
            if at <= seen {
                continue;
            }
            last.insert(stream.clone(), at);
            inbox.push(Received {
                broker: name.to_string(),
                topic: stream.clone(),
                headers: vec![("id".to_string(), id)],
                body: body(fields),
                at: Instant::now(),
            });
        }
    }
    Ok(())
}

/// An entry's fields as a JSON object (each value as the JSON it holds,
/// or as text).
fn body(fields: &[Value]) -> Vec<u8> {
    let mut object = serde_json::Map::new();
    for pair in fields.chunks(2) {
        let [field, value] = pair else { continue };
        let (Some(field), Some(value)) = (text(field), text(value)) else {
            continue;
        };
        let value = serde_json::from_str(&value).unwrap_or(serde_json::Value::String(value));
        object.insert(field, value);
    }
    serde_json::Value::Object(object).to_string().into_bytes()
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::BulkString(bytes) => Some(itspec_results::message::text(bytes)),
        Value::SimpleString(text) => Some(text.clone()),
        _ => None,
    }
}

/// `MS-SEQ`.
fn parse_id(id: &str) -> Option<(u64, u64)> {
    let (ms, seq) = id.split_once('-')?;
    Some((ms.parse().ok()?, seq.parse().ok()?))
}
