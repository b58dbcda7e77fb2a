"""Shared fixtures for the real-client suites: an OpenAI SDK client pointed at the gateway."""
import os

import openai
import pytest


@pytest.fixture(scope="session")
def client() -> openai.OpenAI:
    return openai.OpenAI(
        base_url=os.environ["GATEWAY_BASE_URL"],
        api_key=os.environ["GATEWAY_API_KEY"],
        max_retries=0,
        timeout=30,
    )


@pytest.fixture(scope="session")
def bad_key_client() -> openai.OpenAI:
    return openai.OpenAI(
        base_url=os.environ["GATEWAY_BASE_URL"], api_key="wrong-key", max_retries=0, timeout=30
    )
