//! Structured output: JSON-schema preparation for the Codex backend (tuple `prefixItems` nodes
//! become objects keyed `"0"`, `"1"`, ...; every object gets `additionalProperties:false`) and the
//! reverse conversion of the model's output text (translation spec §2.8).

use serde_json::{Map, Value};

/// Keys whose value is a map of sub-schemas.
const MAP_KEYS: [&str; 4] = ["properties", "patternProperties", "$defs", "definitions"];
/// Keys whose value is a list of sub-schemas.
const LIST_KEYS: [&str; 4] = ["oneOf", "anyOf", "allOf", "prefixItems"];
/// Keys whose value is a single sub-schema.
const ONE_KEYS: [&str; 5] = ["items", "if", "then", "else", "not"];
/// Maximum schema nesting we walk (guards against pathological input).
const MAX_DEPTH: usize = 64;

/// A schema ready to send upstream.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedSchema {
    /// The rewritten schema.
    pub schema: Value,
    /// The client's original schema when it contained tuples (output must be re-converted).
    pub tuple_original: Option<Value>,
}

/// Prepare a client JSON schema (see module docs).
pub fn prepare_schema(schema: &Value) -> PreparedSchema {
    let mut out = schema.clone();
    let had_tuples = rewrite_tuples(&mut out, 0);
    close_objects(&mut out, 0);
    PreparedSchema {
        schema: out,
        tuple_original: had_tuples.then(|| schema.clone()),
    }
}

/// Rewrite the model's JSON `text` back into the tuple shape of `original`. Text that is not JSON
/// is returned unchanged.
pub fn reconvert_output(text: &str, original: &Value) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(value) => convert(value, original, original, 0).to_string(),
        Err(_) => text.to_owned(),
    }
}

fn rewrite_tuples(node: &mut Value, depth: usize) -> bool {
    let Value::Object(obj) = node else {
        return false;
    };
    if depth > MAX_DEPTH {
        return false;
    }
    let mut found = false;
    if let Some(Value::Array(items)) = obj.remove("prefixItems") {
        found = true;
        obj.remove("items");
        let mut props = Map::new();
        let mut required = Vec::with_capacity(items.len());
        for (i, mut item) in items.into_iter().enumerate() {
            rewrite_tuples(&mut item, depth + 1);
            props.insert(i.to_string(), item);
            required.push(Value::String(i.to_string()));
        }
        obj.insert("type".into(), Value::String("object".into()));
        obj.insert("properties".into(), Value::Object(props));
        obj.insert("required".into(), Value::Array(required));
        obj.insert("additionalProperties".into(), Value::Bool(false));
    }
    for key in MAP_KEYS {
        if let Some(Value::Object(children)) = obj.get_mut(key) {
            for child in children.values_mut() {
                found |= rewrite_tuples(child, depth + 1);
            }
        }
    }
    for key in LIST_KEYS {
        if let Some(Value::Array(children)) = obj.get_mut(key) {
            for child in children {
                found |= rewrite_tuples(child, depth + 1);
            }
        }
    }
    for key in ONE_KEYS {
        if let Some(child) = obj.get_mut(key) {
            found |= rewrite_tuples(child, depth + 1);
        }
    }
    found
}

fn close_objects(node: &mut Value, depth: usize) {
    let Value::Object(obj) = node else { return };
    if depth > MAX_DEPTH {
        return;
    }
    if obj.get("type").and_then(Value::as_str) == Some("object")
        && !obj.contains_key("additionalProperties")
    {
        obj.insert("additionalProperties".into(), Value::Bool(false));
    }
    for key in MAP_KEYS {
        if let Some(Value::Object(children)) = obj.get_mut(key) {
            children
                .values_mut()
                .for_each(|c| close_objects(c, depth + 1));
        }
    }
    for key in LIST_KEYS {
        if let Some(Value::Array(children)) = obj.get_mut(key) {
            children
                .iter_mut()
                .for_each(|c| close_objects(c, depth + 1));
        }
    }
    for key in ONE_KEYS {
        if let Some(child) = obj.get_mut(key) {
            close_objects(child, depth + 1);
        }
    }
}

/// Resolve `#/$defs/<Name>` and `#/definitions/<Name>` against the root.
fn resolve<'a>(node: &'a Value, root: &'a Value) -> &'a Value {
    let Some(reference) = node.get("$ref").and_then(Value::as_str) else {
        return node;
    };
    let target = reference
        .strip_prefix("#/$defs/")
        .and_then(|name| root.get("$defs").and_then(|d| d.get(name)))
        .or_else(|| {
            reference
                .strip_prefix("#/definitions/")
                .and_then(|name| root.get("definitions").and_then(|d| d.get(name)))
        });
    target.unwrap_or(node)
}

fn has_tuple(node: &Value, root: &Value, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    let node = resolve(node, root);
    let Value::Object(obj) = node else {
        return false;
    };
    if obj.get("prefixItems").is_some_and(Value::is_array) {
        return true;
    }
    let maps = ["properties"]
        .iter()
        .filter_map(|k| obj.get(*k))
        .filter_map(Value::as_object)
        .flat_map(|m| m.values());
    let lists = ["oneOf", "anyOf", "allOf"]
        .iter()
        .filter_map(|k| obj.get(*k))
        .filter_map(Value::as_array)
        .flatten();
    let items = obj.get("items").into_iter();
    maps.chain(lists)
        .chain(items)
        .any(|c| has_tuple(c, root, depth + 1))
}

fn convert(value: Value, node: &Value, root: &Value, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return value;
    }
    let node = resolve(node, root);
    let Value::Object(schema) = node else {
        return value;
    };
    if let Some(Value::Array(prefix)) = schema.get("prefixItems") {
        if let Value::Object(mut obj) = value {
            return Value::Array(
                prefix
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let v = obj.remove(&i.to_string()).unwrap_or(Value::Null);
                        convert(v, item, root, depth + 1)
                    })
                    .collect(),
            );
        }
        return value;
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(branch) = schema
            .get(key)
            .and_then(Value::as_array)
            .and_then(|b| b.iter().find(|b| has_tuple(b, root, depth + 1)))
        {
            return convert(value, branch, root, depth + 1);
        }
    }
    match value {
        Value::Object(mut obj) => {
            if let Some(Value::Object(props)) = schema.get("properties") {
                for (key, sub) in props {
                    if let Some(v) = obj.get_mut(key) {
                        let taken = std::mem::take(v);
                        *v = convert(taken, sub, root, depth + 1);
                    }
                }
            }
            Value::Object(obj)
        }
        Value::Array(items) => match schema.get("items") {
            Some(item_schema @ Value::Object(_)) => Value::Array(
                items
                    .into_iter()
                    .map(|v| convert(v, item_schema, root, depth + 1))
                    .collect(),
            ),
            _ => Value::Array(items),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn tuple_roundtrip() {
        let schema = json!({"type":"object","properties":{"point":{"type":"array","prefixItems":[{"type":"integer"},{"type":"string"}],"items":false}},"required":["point"]});
        let prepared = prepare_schema(&schema);
        assert_eq!(
            prepared.schema,
            json!({"type":"object","properties":{"point":{"type":"object","properties":{"0":{"type":"integer"},"1":{"type":"string"}},"required":["0","1"],"additionalProperties":false}},"required":["point"],"additionalProperties":false})
        );
        let original = prepared.tuple_original.expect("tuples found");
        assert_eq!(
            reconvert_output(r#"{"point":{"0":42,"1":"hello"}}"#, &original),
            r#"{"point":[42,"hello"]}"#
        );
        assert_eq!(reconvert_output("not json", &original), "not json");
    }

    #[test]
    fn refs_and_no_tuples() {
        let schema = json!({"$defs":{"P":{"prefixItems":[{"type":"number"}]}},"type":"object","properties":{"a":{"$ref":"#/$defs/P"}}});
        let prepared = prepare_schema(&schema);
        let original = prepared.tuple_original.expect("tuples found");
        assert_eq!(
            reconvert_output(r#"{"a":{"0":1.5}}"#, &original),
            r#"{"a":[1.5]}"#
        );
        let plain = prepare_schema(&json!({"type":"object","additionalProperties":true}));
        assert!(plain.tuple_original.is_none());
        assert_eq!(
            plain.schema,
            json!({"type":"object","additionalProperties":true})
        );
    }
}
