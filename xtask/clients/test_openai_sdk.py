"""The official openai Python SDK against the gateway: chat, streaming, tools, JSON schema, errors."""
import json

import openai
import pydantic
import pytest

MODEL = "gpt-5.4"

WEATHER_TOOL = {
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


def test_models_list(client):
    ids = [m.id for m in client.models.list()]
    assert MODEL in ids


def test_chat_non_streaming(client):
    r = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "hello there"}]
    )
    assert r.object == "chat.completion"
    assert r.choices[0].message.role == "assistant"
    assert r.choices[0].message.content == "echo: hello there"
    assert r.choices[0].finish_reason == "stop"
    assert r.usage.prompt_tokens > 0 and r.usage.completion_tokens > 0
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens


def test_chat_streaming_with_usage(client):
    stream = client.chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "stream me"},
        ],
        stream=True,
        stream_options={"include_usage": True},
    )
    text, finish, usage, chunks = "", None, None, 0
    for chunk in stream:
        chunks += 1
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            text += choice.delta.content or ""
            finish = choice.finish_reason or finish
    assert chunks > 3
    assert text == "echo: stream me"
    assert finish == "stop"
    assert usage is not None and usage.prompt_tokens > 0


def test_two_turn_tool_loop(client):
    messages = [{"role": "user", "content": 'weather? [[tool:get_weather {"city":"Paris"}]]'}]
    first = client.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER_TOOL])
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}

    messages.append(choice.message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": "sunny, 21C"})
    second = client.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER_TOOL])
    assert second.choices[0].finish_reason == "stop"
    assert second.choices[0].message.content == "tool result: sunny, 21C"


def test_streamed_parallel_tool_calls(client):
    stream = client.chat.completions.create(
        model=MODEL,
        messages=[
            {
                "role": "user",
                "content": '[[tool:get_weather {"city":"Paris"}]] [[tool:get_weather {"city":"Rome"}]]',
            }
        ],
        tools=[WEATHER_TOOL],
        stream=True,
    )
    calls, finish = {}, None
    for chunk in stream:
        for choice in chunk.choices:
            finish = choice.finish_reason or finish
            for tc in choice.delta.tool_calls or []:
                entry = calls.setdefault(tc.index, {"id": None, "name": "", "args": ""})
                entry["id"] = tc.id or entry["id"]
                if tc.function is not None:
                    entry["name"] += tc.function.name or ""
                    entry["args"] += tc.function.arguments or ""
    assert finish == "tool_calls"
    assert sorted(calls) == [0, 1]
    assert [json.loads(calls[i]["args"])["city"] for i in (0, 1)] == ["Paris", "Rome"]
    assert all(c["name"] == "get_weather" and c["id"] for c in calls.values())
    assert calls[0]["id"] != calls[1]["id"]


class Answer(pydantic.BaseModel):
    city: str
    population: int
    tags: list[str]


def test_json_schema_output(client):
    r = client.beta.chat.completions.parse(
        model=MODEL,
        messages=[{"role": "user", "content": "describe Paris"}],
        response_format=Answer,
    )
    parsed = r.choices[0].message.parsed
    assert isinstance(parsed, Answer)


def test_reasoning_effort(client):
    r = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "think first"}],
        reasoning_effort="high",
    )
    assert r.choices[0].message.content == "echo: think first"
    assert r.usage.completion_tokens_details.reasoning_tokens > 0
    extra = r.choices[0].message.model_extra or {}
    assert extra.get("reasoning_content")


def test_reasoning_streamed(client):
    stream = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "think in the open"}],
        reasoning_effort="low",
        stream=True,
    )
    reasoning, text = "", ""
    for chunk in stream:
        for choice in chunk.choices:
            extra = choice.delta.model_extra or {}
            reasoning += extra.get("reasoning_content") or ""
            text += choice.delta.content or ""
    assert reasoning
    assert text == "echo: think in the open"


def test_rate_limit_surfaces_as_sdk_exception(client):
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "[[fault:429]]"}]
        )
    assert info.value.status_code == 429


def test_wrong_key_is_authentication_error(bad_key_client):
    with pytest.raises(openai.AuthenticationError):
        bad_key_client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "hi"}]
        )


def test_bad_request_is_bad_request_error(client):
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model=MODEL, messages=[])
    assert info.value.status_code == 400


def test_n_greater_than_one_rejected(client):
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "hi"}], n=2
        )


def test_upstream_cut_mid_stream_raises(client):
    with pytest.raises(openai.APIError):
        stream = client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "[[fault:cut:4]] abc"}], stream=True
        )
        for _ in stream:
            pass
