//! Happy-path streams: echo text, tool calls, reasoning, tool results, usage and quota headers.

use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn echo_stream_has_the_real_event_sequence() {
    let server = server().await;
    let acct = account("acct-echo");
    let reply = responses(&server, &acct, &body("hello there, mock world")).await;
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .starts_with("text/event-stream")
    );
    let events = reply.events();
    let n = names(&events);
    assert_eq!(
        &n[..4],
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added"
        ]
    );
    assert_eq!(
        &n[n.len() - 5..],
        [
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    let delta_count = n
        .iter()
        .filter(|e| **e == "response.output_text.delta")
        .count();
    assert!(delta_count >= 4, "{delta_count} deltas");
    for (i, (name, data)) in events.iter().enumerate() {
        assert_eq!(data["type"], name.as_str());
        assert_eq!(data["sequence_number"], i as u64);
    }
    assert_eq!(
        deltas(&events, "response.output_text.delta"),
        "echo: hello there, mock world"
    );
    let (_, done) = &events[events.len() - 1];
    let resp = &done["response"];
    assert_eq!(resp["status"], "completed");
    assert_eq!(resp["model"], "gpt-5.4");
    assert_eq!(
        resp["output"][0]["content"][0]["text"],
        "echo: hello there, mock world"
    );
    let usage = &resp["usage"];
    let input = usage["input_tokens"].as_u64().unwrap();
    let output = usage["output_tokens"].as_u64().unwrap();
    assert!(input > 0 && output > 0);
    assert_eq!(usage["total_tokens"].as_u64().unwrap(), input + output);
    assert_eq!(usage["input_tokens_details"]["cached_tokens"], 0);
    assert_eq!(usage["output_tokens_details"]["reasoning_tokens"], 0);
    assert!(reply.header("x-codex-primary-used-percent").is_some());
    assert_eq!(reply.header("x-codex-primary-window-minutes"), Some("300"));
    assert_eq!(
        reply.header("x-codex-secondary-window-minutes"),
        Some("10080")
    );
    assert_eq!(reply.header("x-codex-plan-type"), Some("plus"));
    assert!(
        reply
            .header("x-codex-primary-reset-after-seconds")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
}

#[tokio::test]
async fn same_request_gives_the_same_deltas() {
    let server = server().await;
    let acct = account("acct-det");
    let a = responses(&server, &acct, &body("determinism please"))
        .await
        .events();
    let b = responses(&server, &acct, &body("determinism please"))
        .await
        .events();
    let da: Vec<_> = a
        .iter()
        .filter(|(n, _)| n.ends_with(".delta"))
        .map(|(_, d)| d["delta"].clone())
        .collect();
    let db: Vec<_> = b
        .iter()
        .filter(|(n, _)| n.ends_with(".delta"))
        .map(|(_, d)| d["delta"].clone())
        .collect();
    assert_eq!(da, db);
}

fn tool_body(text: &str) -> serde_json::Value {
    let mut b = body(text);
    b["tools"] = json!([
        { "type": "function", "name": "get_weather", "description": "w", "strict": false,
          "parameters": { "type": "object", "properties": { "city": { "type": "string" } } } },
        { "type": "function", "name": "get_time", "parameters": { "type": "object", "properties": {} } },
        { "type": "custom", "name": "exec", "description": "run js" },
    ]);
    b
}

#[tokio::test]
async fn tool_marker_becomes_a_function_call_with_argument_deltas() {
    let server = server().await;
    let acct = account("acct-tool");
    let reply = responses(
        &server,
        &acct,
        &tool_body(r#"weather? [[tool:get_weather {"city":"Paris, France"}]]"#),
    )
    .await;
    let events = reply.events();
    let n = names(&events);
    assert_eq!(n[2], "response.output_item.added");
    let added = &events[2].1["item"];
    assert_eq!(added["type"], "function_call");
    assert_eq!(added["name"], "get_weather");
    assert_eq!(added["arguments"], "");
    assert!(added["id"].as_str().unwrap().starts_with("fc_"));
    assert!(added["call_id"].as_str().unwrap().starts_with("call_"));
    let arg_deltas = n
        .iter()
        .filter(|e| **e == "response.function_call_arguments.delta")
        .count();
    assert!(arg_deltas >= 2);
    let args = deltas(&events, "response.function_call_arguments.delta");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&args).unwrap(),
        json!({"city": "Paris, France"})
    );
    let done = events
        .iter()
        .find(|(n, _)| n == "response.function_call_arguments.done")
        .unwrap();
    assert_eq!(done.1["arguments"], args.as_str());
    assert_eq!(done.1["item_id"], added["id"]);
    assert!(!n.contains(&"response.output_text.delta"));
    let completed = &events.last().unwrap().1["response"];
    assert_eq!(completed["output"][0]["type"], "function_call");
    assert_eq!(completed["output"][0]["status"], "completed");
}

#[tokio::test]
async fn several_markers_give_parallel_calls_and_custom_tools_stream_input() {
    let server = server().await;
    let acct = account("acct-par");
    let text = r#"[[tool:get_weather {"city":"Oslo"}]] and [[tool:get_time]] and [[tool:exec text("hi")]] and [[tool:unknown {}]]"#;
    let events = responses(&server, &acct, &tool_body(text)).await.events();
    let added: Vec<_> = events
        .iter()
        .filter(|(n, _)| n == "response.output_item.added")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(added.len(), 3);
    assert_eq!(added[0]["output_index"], 0);
    assert_eq!(added[1]["output_index"], 1);
    assert_eq!(added[1]["item"]["name"], "get_time");
    assert_eq!(added[2]["item"]["type"], "custom_tool_call");
    assert!(added[2]["item"]["id"].as_str().unwrap().starts_with("ctc_"));
    assert_eq!(
        deltas(&events, "response.custom_tool_call_input.delta"),
        r#"text("hi")"#
    );
    let time_args = events
        .iter()
        .find(|(n, d)| n == "response.function_call_arguments.done" && d["output_index"] == 1)
        .unwrap();
    assert_eq!(time_args.1["arguments"], "{}");
    let output = &events.last().unwrap().1["response"]["output"];
    assert_eq!(output.as_array().unwrap().len(), 3);
    let call_ids: std::collections::HashSet<_> = output
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["call_id"].clone())
        .collect();
    assert_eq!(call_ids.len(), 3);
}

#[tokio::test]
async fn tools_in_additional_tools_namespaces_are_callable() {
    let server = server().await;
    let acct = account("acct-lite");
    let mut b = body(r#"[[tool:sleep {"ms":1}]]"#);
    b.as_object_mut().unwrap().remove("tools");
    b.as_object_mut().unwrap().remove("instructions");
    let user = b["input"][0].clone();
    b["input"] = json!([
        { "type": "additional_tools", "role": "developer", "tools": [
            { "type": "namespace", "name": "clock", "description": "", "tools": [
                { "type": "function", "name": "sleep", "strict": false,
                  "parameters": { "type": "object", "properties": { "ms": { "type": "number" } } } } ] } ] },
        user,
    ]);
    let events = responses(&server, &acct, &b).await.events();
    assert_eq!(events[2].1["item"]["name"], "sleep");
}

#[tokio::test]
async fn reasoning_item_comes_first_with_summary_and_encrypted_content() {
    let server = server().await;
    let acct = account("acct-reason");
    let mut b = body("think about it");
    b["reasoning"] = json!({ "effort": "high", "summary": "auto" });
    b["include"] = json!(["reasoning.encrypted_content"]);
    let events = responses(&server, &acct, &b).await.events();
    let n = names(&events);
    assert_eq!(n[2], "response.output_item.added");
    assert_eq!(events[2].1["item"]["type"], "reasoning");
    assert_eq!(n[3], "response.reasoning_summary_part.added");
    let summary = deltas(&events, "response.reasoning_summary_text.delta");
    assert!(!summary.is_empty());
    let done = events
        .iter()
        .find(|(n, d)| n == "response.output_item.done" && d["output_index"] == 0)
        .unwrap();
    assert_eq!(done.1["item"]["summary"][0]["text"], summary.as_str());
    let enc = done.1["item"]["encrypted_content"].as_str().unwrap();
    assert!(!enc.is_empty());
    let message = events
        .iter()
        .find(|(n, d)| n == "response.output_item.added" && d["output_index"] == 1)
        .unwrap();
    assert_eq!(message.1["item"]["type"], "message");
    let usage = &events.last().unwrap().1["response"]["usage"];
    assert!(
        usage["output_tokens_details"]["reasoning_tokens"]
            .as_u64()
            .unwrap()
            > 0
    );

    b["include"] = json!([]);
    let events = responses(&server, &acct, &b).await.events();
    let done = events
        .iter()
        .find(|(n, d)| n == "response.output_item.done" && d["output_index"] == 0)
        .unwrap();
    assert!(done.1["item"].get("encrypted_content").is_none());
}

#[tokio::test]
async fn function_call_output_is_answered_with_tool_result() {
    let server = server().await;
    let acct = account("acct-result");
    let mut b = tool_body(r#"[[tool:get_weather {"city":"Rome"}]]"#);
    let items = b["input"].as_array_mut().unwrap();
    items.push(json!({ "type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{\"city\":\"Rome\"}" }));
    items.push(
        json!({ "type": "function_call_output", "call_id": "call_1", "output": "sunny, 24C" }),
    );
    let events = responses(&server, &acct, &b).await.events();
    assert_eq!(
        deltas(&events, "response.output_text.delta"),
        "tool result: sunny, 24C"
    );

    let mut b = tool_body("x");
    let items = b["input"].as_array_mut().unwrap();
    items
        .push(json!({ "type": "custom_tool_call", "call_id": "c2", "name": "exec", "input": "1" }));
    items.push(json!({ "type": "custom_tool_call_output", "call_id": "c2",
        "output": [{ "type": "input_text", "text": "a" }, { "type": "input_text", "text": "b" }] }));
    let events = responses(&server, &acct, &b).await.events();
    assert_eq!(
        deltas(&events, "response.output_text.delta"),
        "tool result: ab"
    );
}

#[tokio::test]
async fn prompt_cache_key_seen_before_yields_cached_tokens_per_account() {
    let server = server().await;
    let a = account("acct-cache-a");
    let b = account("acct-cache-b");
    let mut req = body("cache me");
    req["prompt_cache_key"] = json!("conv-1");
    let cached = |events: &[(String, serde_json::Value)]| {
        events.last().unwrap().1["response"]["usage"]["input_tokens_details"]["cached_tokens"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(cached(&responses(&server, &a, &req).await.events()), 0);
    assert!(cached(&responses(&server, &a, &req).await.events()) > 0);
    assert_eq!(cached(&responses(&server, &b, &req).await.events()), 0);
}

#[tokio::test]
async fn used_percent_grows_with_requests_per_account() {
    let server = server().await;
    let busy = account("acct-busy");
    let idle = account("acct-idle");
    let mut last = 0;
    for _ in 0..12 {
        let r = responses(&server, &busy, &body("x")).await;
        let used: u64 = r
            .header("x-codex-primary-used-percent")
            .unwrap()
            .parse()
            .unwrap();
        assert!(used >= last);
        last = used;
    }
    assert!(last > 0);
    let r = responses(&server, &idle, &body("x")).await;
    assert_eq!(r.header("x-codex-primary-used-percent"), Some("0"));
    assert!(last < 100);
}
