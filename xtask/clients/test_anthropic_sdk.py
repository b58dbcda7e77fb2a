"""The anthropic Python SDK (pinned in xtask/src/clients.rs) against the gateway's Messages API."""
import base64
import os
import struct
import zlib

import anthropic
import pytest

MODEL = "claude-sonnet-4-6"


@pytest.fixture(scope="module")
def claude() -> anthropic.Anthropic:
    base = os.environ["GATEWAY_BASE_URL"].removesuffix("/v1")
    return anthropic.Anthropic(
        base_url=base, api_key=os.environ["GATEWAY_API_KEY"], max_retries=0, timeout=30
    )


def text_of(message) -> str:
    return "".join(b.text for b in message.content if b.type == "text")


def test_create(claude):
    message = claude.messages.create(
        model=MODEL, max_tokens=256, messages=[{"role": "user", "content": "hello anthropic sdk"}]
    )
    assert message.type == "message"
    assert message.model == MODEL
    assert message.stop_reason == "end_turn"
    assert "hello anthropic sdk" in text_of(message)
    assert message.usage.input_tokens > 0


def test_stream_text(claude):
    with claude.messages.stream(
        model=MODEL, max_tokens=256, messages=[{"role": "user", "content": "stream this text"}]
    ) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert len(pieces) > 1
    assert "stream this text" in "".join(pieces)
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens > 0


def test_tool_loop(claude):
    tools = [
        {
            "name": "get_weather",
            "description": "Weather for a city",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        }
    ]
    prompt = 'weather? [[tool:get_weather {"city":"Paris"}]]'
    messages = [{"role": "user", "content": prompt}]
    with claude.messages.stream(model=MODEL, max_tokens=256, tools=tools, messages=messages) as stream:
        first = stream.get_final_message()
    assert first.stop_reason == "tool_use"
    call = next(b for b in first.content if b.type == "tool_use")
    assert call.name == "get_weather"
    assert call.input == {"city": "Paris"}
    messages += [
        {"role": "assistant", "content": first.content},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "sunny, 21C"}]},
    ]
    second = claude.messages.create(model=MODEL, max_tokens=256, tools=tools, messages=messages)
    assert second.stop_reason == "end_turn"
    assert "sunny, 21C" in text_of(second)


def test_thinking_round_trip(claude):
    first = claude.messages.create(
        model="claude-opus-4-7",
        max_tokens=4096,
        thinking={"type": "enabled", "budget_tokens": 10000},
        messages=[{"role": "user", "content": "think first"}],
    )
    thinking = [b for b in first.content if b.type == "thinking"]
    assert thinking and thinking[0].thinking and thinking[0].signature
    second = claude.messages.create(
        model="claude-opus-4-7",
        max_tokens=4096,
        thinking={"type": "enabled", "budget_tokens": 10000},
        messages=[
            {"role": "user", "content": "think first"},
            {"role": "assistant", "content": first.content},
            {"role": "user", "content": "and again"},
        ],
    )
    assert "and again" in text_of(second)


def tiny_png() -> str:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = zlib.compress(b"\x00\xff\x00\x00")
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
    return base64.b64encode(png).decode()


def test_image(claude):
    message = claude.messages.create(
        model=MODEL,
        max_tokens=256,
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": tiny_png()}},
                    {"type": "text", "text": "what is in the image"},
                ],
            }
        ],
    )
    assert "what is in the image" in text_of(message)


def test_count_tokens(claude):
    small = claude.messages.count_tokens(model=MODEL, messages=[{"role": "user", "content": "Hello, world"}])
    large = claude.messages.count_tokens(
        model=MODEL,
        system="You are a careful assistant.",
        tools=[{"name": "t", "description": "a tool", "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}}}],
        messages=[{"role": "user", "content": "Hello, world " * 50}],
    )
    assert 0 < small.input_tokens < large.input_tokens


def test_bad_key_is_an_authentication_error():
    base = os.environ["GATEWAY_BASE_URL"].removesuffix("/v1")
    bad = anthropic.Anthropic(base_url=base, api_key="wrong-key", max_retries=0, timeout=30)
    with pytest.raises(anthropic.AuthenticationError):
        bad.messages.create(model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "x"}])
