//! `$ref`s inside a contract: followed to the schema they point to.

use serde_json::Value;

/// The schema a `$ref` (`#/components/…`, inside the document) points to,
/// followed to the end; `schema` itself when it has none.
pub(crate) fn follow<'d>(doc: &'d Value, mut schema: &'d Value) -> &'d Value {
    for _ in 0..32 {
        match schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|pointer| doc.pointer(pointer))
        {
            Some(target) => schema = target,
            None => break,
        }
    }
    schema
}
