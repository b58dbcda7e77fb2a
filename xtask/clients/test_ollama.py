"""The ollama Python client (0.6.3) against the gateway's Ollama bridge listener: chat with and
without streaming, tags, show, and a tool call with object arguments."""
import os

import ollama
import pytest

MODEL = "gpt-5.4"

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


@pytest.fixture(scope="module")
def bridge() -> ollama.Client:
    return ollama.Client(host=os.environ["OLLAMA_HOST"], timeout=30)


def test_chat(bridge):
    r = bridge.chat(model=MODEL, messages=[{"role": "user", "content": "hello ollama"}])
    assert r.message.role == "assistant"
    assert r.message.content == "echo: hello ollama"
    assert r.done and r.done_reason == "stop"
    assert r.prompt_eval_count > 0 and r.eval_count > 0


def test_chat_stream(bridge):
    parts = list(
        bridge.chat(model=MODEL, messages=[{"role": "user", "content": "stream ollama"}], stream=True)
    )
    assert len(parts) > 2
    assert "".join(p.message.content for p in parts) == "echo: stream ollama"
    assert parts[-1].done and not any(p.done for p in parts[:-1])


def test_tags_and_show(bridge):
    names = [m.model for m in bridge.list().models]
    assert MODEL in names
    info = bridge.show(MODEL)
    assert info.modelinfo["general.architecture"] == "gpt-5.4"
    assert "tools" in info.capabilities


def test_tool_call(bridge):
    messages = [{"role": "user", "content": 'weather? [[tool:get_weather {"city":"Paris"}]]'}]
    r = bridge.chat(model=MODEL, messages=messages, tools=[WEATHER])
    calls = r.message.tool_calls
    assert calls and calls[0].function.name == "get_weather"
    assert calls[0].function.arguments == {"city": "Paris"}
    messages.append(r.message)
    messages.append({"role": "tool", "content": "sunny", "tool_name": "get_weather"})
    r2 = bridge.chat(model=MODEL, messages=messages, tools=[WEATHER])
    assert r2.message.content == "tool result: sunny"


def test_unsupported_route_is_an_ollama_error(bridge):
    with pytest.raises(ollama.ResponseError) as e:
        bridge.ps()
    assert e.value.status_code == 404
    assert e.value.error == "Unsupported path: /api/ps"
