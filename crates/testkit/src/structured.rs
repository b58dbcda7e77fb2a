//! Structured output for the echo model: a deterministic JSON instance of the requested schema.
//!
//! With `text.format.type = json_schema` the real backend answers with JSON that matches the
//! schema; the fake does the same so clients that parse structured output (the SDKs' `parse()`
//! helpers) can be tested end to end. Strings carry the echo text, so a test can still see which
//! request was answered.

use serde_json::{Map, Value, json};

/// The answer text for `format` (`text.format` of the request), or `None` for plain text.
pub(crate) fn answer(format: &Value, echo: &str) -> Option<String> {
    match format.get("type").and_then(Value::as_str)? {
        "json_object" => Some(json!({ "echo": echo }).to_string()),
        "json_schema" => {
            let schema = format.get("schema")?;
            Some(instance(schema, schema, echo, 0).to_string())
        }
        _ => None,
    }
}

/// Depth bound for recursive schemas (`$ref` cycles).
const MAX_DEPTH: usize = 12;

fn instance(schema: &Value, root: &Value, echo: &str, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return match resolve(root, r) {
            Some(target) => instance(target, root, echo, depth + 1),
            None => Value::Null,
        };
    }
    if let Some(c) = schema.get("const") {
        return c.clone();
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(first) = schema
            .get(key)
            .and_then(Value::as_array)
            .and_then(|a| a.first())
        {
            return instance(first, root, echo, depth + 1);
        }
    }
    let ty = match schema.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if schema.get("properties").is_some() => "object",
        _ if schema.get("items").is_some() || schema.get("prefixItems").is_some() => "array",
        _ => "string",
    };
    match ty {
        "object" => {
            let mut out = Map::new();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (name, sub) in props {
                    out.insert(name.clone(), instance(sub, root, echo, depth + 1));
                }
            }
            Value::Object(out)
        }
        "array" => {
            if let Some(prefix) = schema.get("prefixItems").and_then(Value::as_array) {
                return prefix
                    .iter()
                    .map(|s| instance(s, root, echo, depth + 1))
                    .collect();
            }
            match schema.get("items") {
                Some(items) if items.is_object() => {
                    Value::Array(vec![instance(items, root, echo, depth + 1)])
                }
                _ => Value::Array(Vec::new()),
            }
        }
        "integer" => json!(1),
        "number" => json!(1.5),
        "boolean" => json!(true),
        "null" => Value::Null,
        _ => Value::String(echo.to_owned()),
    }
}

/// Resolves a local JSON pointer reference such as `#/$defs/Item`.
fn resolve<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    root.pointer(pointer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_with_refs_arrays_and_enums() {
        let schema = json!({
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "population": {"type": "integer"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "kind": {"enum": ["capital", "town"]},
                "best": {"$ref": "#/$defs/Place"},
                "note": {"type": ["string", "null"]}
            },
            "required": ["city", "population", "tags"],
            "$defs": {"Place": {"type": "object", "properties": {"score": {"type": "number"}}}}
        });
        let format = json!({"type": "json_schema", "name": "answer", "schema": schema});
        let text = answer(&format, "hi").expect("json_schema answers");
        let v: Value = serde_json::from_str(&text).expect("valid json");
        assert_eq!(
            v,
            json!({"city": "hi", "population": 1, "tags": ["hi"], "kind": "capital",
                   "best": {"score": 1.5}, "note": "hi"})
        );
    }

    #[test]
    fn json_object_and_text_formats() {
        assert_eq!(
            answer(&json!({"type": "json_object"}), "x").as_deref(),
            Some(r#"{"echo":"x"}"#)
        );
        assert_eq!(answer(&json!({"type": "text"}), "x"), None);
    }

    #[test]
    fn recursive_schema_terminates() {
        let schema = json!({"$ref": "#/$defs/Node", "$defs": {"Node": {"type": "object",
            "properties": {"next": {"$ref": "#/$defs/Node"}}}}});
        let format = json!({"type": "json_schema", "schema": schema});
        assert!(answer(&format, "x").is_some());
    }
}
