//! Validation of function/custom/namespace tool definitions.

use serde_json::Value;

use super::{Check, invalid};

pub(super) fn tool_list(tools: &[Value], at: &str) -> Check {
    for (j, tool) in tools.iter().enumerate() {
        let here = format!("{at}[{j}]");
        let kind = tool.get("type").and_then(Value::as_str).ok_or_else(|| {
            let param = format!("{here}.type");
            invalid(
                &format!("Missing required parameter: '{param}'."),
                &param,
                "missing_required_parameter",
            )
        })?;
        match kind {
            "function" | "custom" => {
                let Some(name) = tool.get("name").and_then(Value::as_str) else {
                    let param = format!("{here}.name");
                    return Err(invalid(
                        &format!("Missing required parameter: '{param}'."),
                        &param,
                        "missing_required_parameter",
                    ));
                };
                if kind == "function" {
                    function_parameters(tool.get("parameters"), name, &here)?;
                }
            }
            "image_generation" => crate::image::validate_tool(tool, &here)?,
            "namespace" => {
                if let Some(nested) = tool.get("tools").and_then(Value::as_array) {
                    tool_list(nested, &format!("{here}.tools"))?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn function_parameters(params: Option<&Value>, name: &str, at: &str) -> Check {
    let Some(params) = params.filter(|p| !p.is_null()) else {
        return Ok(());
    };
    let object_without_properties = params.get("type").and_then(Value::as_str) == Some("object")
        && params.get("properties").is_none();
    if !params.is_object() || object_without_properties {
        let msg = format!(
            "Invalid schema for function '{name}': In context=(), object schema missing properties."
        );
        return Err(invalid(
            &msg,
            &format!("{at}.parameters"),
            "invalid_function_parameters",
        ));
    }
    Ok(())
}
