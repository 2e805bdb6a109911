//! Input bodies by block language (json, text, xml, form).

use itspec_spec::model::{Body, BodyKind};

use crate::vars::{Scope, VarError, interpolate_json, interpolate_text};

/// The bytes and content type of an Input body, variables replaced. A
/// block's final line break is not part of a text body.
pub fn encode_body(body: &Body, scope: &Scope) -> Result<(Vec<u8>, &'static str), VarError> {
    let text = body.text.strip_suffix('\n').unwrap_or(&body.text);
    Ok(match body.kind {
        BodyKind::Json => match &body.json {
            Some(value) => {
                let json = interpolate_json(value, scope)?;
                (json.to_string().into_bytes(), "application/json")
            }
            None => (
                interpolate_text(text, scope)?.into_bytes(),
                "application/json",
            ),
        },
        BodyKind::Text => (
            interpolate_text(text, scope)?.into_bytes(),
            "text/plain; charset=utf-8",
        ),
        BodyKind::Xml => (
            interpolate_text(text, scope)?.into_bytes(),
            "application/xml",
        ),
        BodyKind::Form => (
            form(text, scope)?.into_bytes(),
            "application/x-www-form-urlencoded",
        ),
    })
}

/// `name=value` pairs, one per line or joined by `&`, each part encoded.
fn form(text: &str, scope: &Scope) -> Result<String, VarError> {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for pair in text.lines().flat_map(|line| line.split('&')) {
        let pair = pair.trim();
        if pair.is_empty() {
            continue;
        }
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        serializer.append_pair(
            &interpolate_text(name.trim(), scope)?,
            &interpolate_text(value.trim(), scope)?,
        );
    }
    Ok(serializer.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use itspec_spec::Span;
    use serde_json::json;

    fn body(kind: BodyKind, text: &str) -> Body {
        Body {
            kind,
            text: text.to_string(),
            json: None,
            span: Span::default(),
        }
    }

    #[test]
    fn forms_are_encoded() {
        let mut scope = Scope::new();
        scope.set("name", json!("Ada Lovelace"));
        let (bytes, content_type) = encode_body(
            &body(BodyKind::Form, "name={{name}}\ncity=Zürich&x=a+b\n"),
            &scope,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "name=Ada+Lovelace&city=Z%C3%BCrich&x=a%2Bb"
        );
        assert_eq!(content_type, "application/x-www-form-urlencoded");
    }

    #[test]
    fn a_variable_holding_an_ampersand_is_one_value() {
        let mut scope = Scope::new();
        scope.set("pw", json!("p&w"));
        let (bytes, _) = encode_body(
            &body(
                BodyKind::Form,
                "username=ada@example.com\npassword={{pw}}\n",
            ),
            &scope,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "username=ada%40example.com&password=p%26w"
        );
    }

    #[test]
    fn text_loses_only_the_fence_line_break() {
        let (bytes, _) = encode_body(&body(BodyKind::Text, "hello\n\n"), &Scope::new()).unwrap();
        assert_eq!(bytes, b"hello\n");
    }
}
