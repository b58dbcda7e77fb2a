//! Parsing of client bodies and the wire shape of replies.

use std::borrow::Cow;

use serde_json::value::RawValue;

use super::*;

#[test]
fn parses_blocks_leniently() {
    let body = r#"{"model":"claude-sonnet-4-5","max_tokens":10,"system":[{"type":"text","text":"s","cache_control":{"type":"ephemeral"}}],
      "messages":[{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image","source":{"type":"url","url":"https://x/y.png"}},
        {"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"ok"}],"is_error":true},{"type":"search_result","x":1},
        {"type":"tool_use","id":"a"}]},
      {"role":"assistant","content":"plain"}],"thinking":{"type":"adaptive"},"output_config":{"effort":"high"},"temperature":1}"#;
    let req: MessagesRequest = serde_json::from_str(body).expect("parses");
    assert_eq!(req.messages.len(), 2);
    let MessageContent::Blocks(blocks) = &req.messages[0].content else {
        panic!("blocks expected");
    };
    let kinds: Vec<&str> = blocks.iter().map(ContentBlock::kind).collect();
    assert_eq!(
        kinds,
        ["text", "image", "tool_result", "search_result", "tool_use"]
    );
    assert!(matches!(&blocks[1], ContentBlock::Image(i) if i.source.kind == "url"));
    assert!(matches!(&blocks[2], ContentBlock::ToolResult(r) if r.is_error == Some(true)));
    assert!(matches!(&blocks[4], ContentBlock::ToolUse(u) if u.input.is_null()));
    assert!(matches!(req.system, Some(SystemPrompt::Blocks(ref b)) if b[0].text == "s"));
    assert_eq!(
        req.output_config.and_then(|o| o.effort).as_deref(),
        Some("high")
    );
    assert!(req.extra.contains_key("temperature"));
}

#[test]
fn stream_events_on_the_wire() {
    let mut out = Vec::new();
    let input = RawValue::from_string("{}".into()).expect("raw");
    StreamEvent::ContentBlockStart {
        index: 2,
        content_block: ResponseBlock::ToolUse {
            id: Cow::Borrowed("call_1"),
            name: Cow::Borrowed("Bash"),
            input: &input,
        },
    }
    .write(&mut out);
    StreamEvent::ContentBlockDelta {
        index: 0,
        delta: BlockDelta::SignatureDelta {
            signature: Cow::Borrowed("sig"),
        },
    }
    .write(&mut out);
    StreamEvent::Ping.write(&mut out);
    let text = String::from_utf8(out).expect("utf-8");
    assert_eq!(
        text,
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"call_1\",\"name\":\"Bash\",\"input\":{}}}\n\n\
         event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"sig\"}}\n\n\
         event: ping\ndata: {\"type\":\"ping\"}\n\n"
    );
    let err = serde_json::to_string(&ErrorResponse::new("overloaded_error", "busy")).expect("json");
    assert_eq!(
        err,
        r#"{"type":"error","error":{"type":"overloaded_error","message":"busy"}}"#
    );
}
