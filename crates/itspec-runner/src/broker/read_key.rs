//! Reading one Redis key for a `key NAME "KEY"` assertion: its value as
//! JSON — a string as the JSON it holds or as text, a hash as an object,
//! a list as an array, a set as a sorted array, a sorted set as an object
//! of scores (each member and field read as JSON when it is JSON) — or,
//! with `ttl`, the seconds it has left (`-1`: it never expires). A key
//! that is not there has no value.

use redis::aio::MultiplexedConnection;
use serde_json::{Map, Value};

/// The value of `key`, or `None` when it is not there.
pub(super) async fn value(
    connection: &mut MultiplexedConnection,
    key: &str,
    ttl: bool,
) -> Result<Option<Value>, String> {
    let failed = |e: redis::RedisError| format!("cannot read key {key}: {e}");
    if ttl {
        let pttl: i64 = redis::cmd("PTTL")
            .arg(key)
            .query_async(connection)
            .await
            .map_err(failed)?;
        return Ok(match pttl {
            -2 => None,
            -1 => Some(Value::from(-1)),
            ms => Some(Value::from(ms as f64 / 1000.0)),
        });
    }
    let kind: String = redis::cmd("TYPE")
        .arg(key)
        .query_async(connection)
        .await
        .map_err(failed)?;
    let value = match kind.as_str() {
        "none" => return Ok(None),
        "string" => {
            let bytes: Vec<u8> = redis::cmd("GET")
                .arg(key)
                .query_async(connection)
                .await
                .map_err(failed)?;
            scalar(&itspec_results::message::text(&bytes))
        }
        "hash" => {
            let pairs: Vec<(String, String)> = redis::cmd("HGETALL")
                .arg(key)
                .query_async(connection)
                .await
                .map_err(failed)?;
            Value::Object(
                pairs
                    .into_iter()
                    .map(|(field, value)| (field, scalar(&value)))
                    .collect::<Map<_, _>>(),
            )
        }
        "list" => {
            let items: Vec<String> = redis::cmd("LRANGE")
                .arg(key)
                .arg(0)
                .arg(-1)
                .query_async(connection)
                .await
                .map_err(failed)?;
            Value::Array(items.iter().map(|i| scalar(i)).collect())
        }
        "set" => {
            let mut members: Vec<String> = redis::cmd("SMEMBERS")
                .arg(key)
                .query_async(connection)
                .await
                .map_err(failed)?;
            // A set has no order: sorted, so that it compares the same.
            members.sort();
            Value::Array(members.iter().map(|m| scalar(m)).collect())
        }
        "zset" => {
            let scored: Vec<(String, f64)> = redis::cmd("ZRANGE")
                .arg(key)
                .arg(0)
                .arg(-1)
                .arg("WITHSCORES")
                .query_async(connection)
                .await
                .map_err(failed)?;
            Value::Object(
                scored
                    .into_iter()
                    .map(|(member, score)| (member, Value::from(score)))
                    .collect::<Map<_, _>>(),
            )
        }
        other => {
            return Err(format!(
                "key {key} is a Redis {other}: itspec compares strings, hashes, lists, sets and sorted sets"
            ));
        }
    };
    Ok(Some(value))
}

/// A stored text as the JSON it holds, or as text.
fn scalar(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::scalar;
    use serde_json::json;

    #[test]
    fn stored_text_reads_as_its_json_or_as_text() {
        assert_eq!(scalar("2"), json!(2));
        assert_eq!(scalar("{\"sku\": \"S\"}"), json!({"sku": "S"}));
        assert_eq!(scalar("S-1"), json!("S-1"));
        assert_eq!(scalar("true"), json!(true));
        assert_eq!(scalar(""), json!(""));
    }
}
