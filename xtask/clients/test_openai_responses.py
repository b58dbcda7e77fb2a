"""The official openai Python SDK's Responses and Images APIs against the gateway."""
import base64

import openai
import pytest

MODEL = "gpt-5.4"

WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather for a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


def test_responses_non_streaming(client):
    r = client.responses.create(model=MODEL, input="hello responses", instructions="be brief")
    assert r.status == "completed"
    assert r.id
    assert r.output_text == "echo: hello responses"
    assert r.usage.input_tokens > 0 and r.usage.output_tokens > 0


def test_responses_streaming(client):
    stream = client.responses.create(
        model=MODEL,
        input=[{"role": "user", "content": "stream the responses"}],
        stream=True,
    )
    text, kinds, completed = "", [], None
    for event in stream:
        kinds.append(event.type)
        if event.type == "response.output_text.delta":
            text += event.delta
        if event.type == "response.completed":
            completed = event.response
    assert text == "echo: stream the responses"
    assert kinds[0] == "response.created"
    assert "response.output_item.done" in kinds
    assert completed is not None and completed.id


def test_responses_tool_loop(client):
    first = client.responses.create(
        model=MODEL,
        input='weather? [[tool:get_weather {"city":"Paris"}]]',
        tools=[WEATHER_TOOL],
    )
    calls = [o for o in first.output if o.type == "function_call"]
    assert len(calls) == 1
    assert calls[0].name == "get_weather"
    assert calls[0].arguments == '{"city":"Paris"}'
    second = client.responses.create(
        model=MODEL,
        input=[
            {"role": "user", "content": "weather?"},
            {
                "type": "function_call",
                "call_id": calls[0].call_id,
                "name": calls[0].name,
                "arguments": calls[0].arguments,
            },
            {"type": "function_call_output", "call_id": calls[0].call_id, "output": "sunny"},
        ],
        tools=[WEATHER_TOOL],
    )
    assert second.output_text == "tool result: sunny"


def test_responses_bad_body_is_an_openai_error(client):
    with pytest.raises(openai.BadRequestError) as err:
        client.post("/responses", cast_to=object, body=["not", "an", "object"])
    assert err.value.status_code == 400
    assert err.value.code == "invalid_request"


def test_images_generate(client):
    r = client.images.generate(model="gpt-image-2", prompt="a red circle", size="1024x1024")
    assert len(r.data) == 1
    png = base64.b64decode(r.data[0].b64_json)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert r.data[0].revised_prompt == "a red circle"


def test_images_generate_rejects_two_images(client):
    with pytest.raises(openai.BadRequestError) as err:
        client.images.generate(model="gpt-image-2", prompt="two", n=2)
    assert err.value.status_code == 400


def test_images_edit_multipart(client):
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
    )
    r = client.images.edit(
        model="gpt-image-2", image=("in.png", png, "image/png"), prompt="add a hat"
    )
    assert len(r.data) == 1
    assert base64.b64decode(r.data[0].b64_json).startswith(b"\x89PNG\r\n\x1a\n")
    assert r.data[0].revised_prompt == "add a hat"
