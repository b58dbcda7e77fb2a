//! Gemini's OpenAPI-subset schemas → JSON Schema: uppercase type names (`OBJECT`, `STRING`)
//! become lowercase, `nullable: true` becomes a `"null"` type alternative, and the Gemini-only
//! `propertyOrdering` is dropped. Everything else is kept.

use serde_json::{Map, Value};

/// Maximum nesting walked.
const MAX_DEPTH: usize = 64;

/// Convert a Gemini schema (see module docs).
pub(crate) fn to_json_schema(schema: &Value) -> Value {
    let mut out = schema.clone();
    convert(&mut out, 0);
    out
}

fn convert(node: &mut Value, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match node {
        Value::Object(obj) => convert_object(obj, depth),
        Value::Array(items) => items.iter_mut().for_each(|v| convert(v, depth + 1)),
        _ => {}
    }
}

fn convert_object(obj: &mut Map<String, Value>, depth: usize) {
    obj.remove("propertyOrdering");
    if let Some(Value::String(t)) = obj.get_mut("type") {
        *t = t.to_ascii_lowercase();
        if t == "type_unspecified" {
            obj.remove("type");
        }
    }
    if obj.get("nullable") == Some(&Value::Bool(true)) {
        obj.remove("nullable");
        if let Some(Value::String(t)) = obj.get("type") {
            let t = t.clone();
            obj.insert(
                "type".into(),
                Value::Array(vec![Value::String(t), Value::String("null".into())]),
            );
        }
    } else if obj.get("nullable") == Some(&Value::Bool(false)) {
        obj.remove("nullable");
    }
    for (key, value) in obj.iter_mut() {
        match key.as_str() {
            "properties" | "$defs" | "definitions" | "patternProperties" => {
                if let Value::Object(map) = value {
                    map.values_mut().for_each(|v| convert(v, depth + 1));
                }
            }
            "items"
            | "anyOf"
            | "oneOf"
            | "allOf"
            | "prefixItems"
            | "not"
            | "additionalProperties" => convert(value, depth + 1),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lowercases_types_and_nullable() {
        let s = json!({"type": "OBJECT", "propertyOrdering": ["a"], "properties": {
            "a": {"type": "STRING", "nullable": true},
            "b": {"type": "ARRAY", "items": {"type": "INTEGER"}}
        }, "required": ["a"]});
        assert_eq!(
            to_json_schema(&s),
            json!({"type": "object", "properties": {
                "a": {"type": ["string", "null"]},
                "b": {"type": "array", "items": {"type": "integer"}}
            }, "required": ["a"]})
        );
    }
}
