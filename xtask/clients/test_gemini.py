"""The google-genai SDK (3.4.0) against the gateway's Gemini routes: generate, stream, a
function-call turn (ids paired across turns), thoughts, and the Gemini error shape."""
import os

import pytest
from google import genai
from google.genai import errors, types

MODEL = "gemini-2.5-flash"

WEATHER = types.Tool(
    function_declarations=[
        types.FunctionDeclaration(
            name="get_weather",
            description="Current weather for a city",
            parameters=types.Schema(
                type=types.Type.OBJECT,
                properties={"location": types.Schema(type=types.Type.STRING)},
                required=["location"],
            ),
        )
    ]
)


def make_client(key: str) -> genai.Client:
    return genai.Client(
        api_key=key,
        http_options=types.HttpOptions(base_url=os.environ["GATEWAY_ROOT_URL"], timeout=30_000),
    )


@pytest.fixture(scope="module")
def gemini() -> genai.Client:
    return make_client(os.environ["GATEWAY_API_KEY"])


def test_generate(gemini):
    r = gemini.models.generate_content(
        model=MODEL,
        contents="hello gemini",
        config=types.GenerateContentConfig(system_instruction="be brief", temperature=0.2),
    )
    assert r.text == "echo: hello gemini"
    assert r.candidates[0].finish_reason == types.FinishReason.STOP
    assert r.usage_metadata.prompt_token_count > 0
    assert r.usage_metadata.total_token_count >= r.usage_metadata.prompt_token_count


def test_stream(gemini):
    chunks = list(gemini.models.generate_content_stream(model=MODEL, contents="stream gemini"))
    assert len(chunks) > 1
    assert "".join(c.text or "" for c in chunks) == "echo: stream gemini"
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    assert chunks[-1].usage_metadata.candidates_token_count > 0


def test_function_call_turn(gemini):
    config = types.GenerateContentConfig(
        tools=[WEATHER],
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
    )
    user = types.Content(
        role="user",
        parts=[types.Part.from_text(text='weather? [[tool:get_weather {"location":"Paris"}]]')],
    )
    r = gemini.models.generate_content(model=MODEL, contents=[user], config=config)
    calls = r.function_calls
    assert calls and calls[0].name == "get_weather"
    assert calls[0].args == {"location": "Paris"}
    answer = types.Content(
        role="user",
        parts=[types.Part.from_function_response(name="get_weather", response={"temp": 21})],
    )
    r2 = gemini.models.generate_content(
        model=MODEL, contents=[user, r.candidates[0].content, answer], config=config
    )
    assert r2.text == 'tool result: {"temp":21}'


def test_thoughts(gemini):
    r = gemini.models.generate_content(
        model=MODEL,
        contents="think about it",
        config=types.GenerateContentConfig(
            thinking_config=types.ThinkingConfig(thinking_budget=4096, include_thoughts=True)
        ),
    )
    parts = r.candidates[0].content.parts
    assert any(p.thought for p in parts)
    assert r.text == "echo: think about it"
    assert r.usage_metadata.thoughts_token_count > 0


def test_bad_key_is_unauthenticated():
    bad = make_client("wrong-key")
    with pytest.raises(errors.ClientError) as e:
        bad.models.generate_content(model=MODEL, contents="x")
    assert e.value.code == 401
    assert e.value.status == "UNAUTHENTICATED"
