"""The official `openai` Python client against `headway serve`, used as a user would."""
import openai
import pytest
from openai import OpenAI


@pytest.fixture(scope="module")
def client(server):
    return OpenAI(base_url=server["url"] + "/v1", api_key="not-needed", max_retries=0, timeout=120)


def test_models_list_names_the_served_model(client, server):
    ids = [m.id for m in client.models.list()]
    assert ids == [server["model"]]
    assert client.models.retrieve(server["model"]).id == server["model"]


def test_chat_completion(client, server):
    r = client.chat.completions.create(model=server["model"], temperature=0, max_tokens=32,
                                       messages=[{"role": "user", "content": "What is the capital of France?"}])
    answer = r.choices[0].message.content
    # llama.cpp's own llama-server answers this message greedily with the same words (checked 2026-12-07).
    assert answer.startswith("L'Étoile, la Marseillaise")
    assert r.choices[0].message.role == "assistant"
    assert r.choices[0].finish_reason in ("stop", "length")
    assert r.usage.completion_tokens > 0 and r.usage.prompt_tokens > 0
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens


def test_streaming_gives_the_same_answer(client, server):
    messages = [{"role": "system", "content": "You answer in one sentence."},
                {"role": "user", "content": "Why is the sky blue?"}]
    whole = client.chat.completions.create(model=server["model"], temperature=0, max_tokens=48, messages=messages)
    stream = client.chat.completions.create(model=server["model"], temperature=0, max_tokens=48, messages=messages,
                                            stream=True, stream_options={"include_usage": True})
    pieces, finish, usage = [], None, None
    for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        for choice in chunk.choices:
            if choice.delta.content:
                pieces.append(choice.delta.content)
            finish = choice.finish_reason or finish
    assert len(pieces) > 3, "the answer should arrive in many pieces"
    assert "".join(pieces) == whole.choices[0].message.content
    assert finish == whole.choices[0].finish_reason
    assert usage.completion_tokens == whole.usage.completion_tokens


def test_seeded_sampling_repeats(client, server):
    ask = dict(model=server["model"], temperature=0.9, top_p=0.95, seed=7, max_tokens=24,
               messages=[{"role": "user", "content": "Tell me about cats."}])
    first = client.chat.completions.create(**ask).choices[0].message.content
    assert client.chat.completions.create(**ask).choices[0].message.content == first


def test_stop_sequence(client, server):
    r = client.chat.completions.create(model=server["model"], temperature=0, max_tokens=40, stop=["Marseillaise"],
                                       messages=[{"role": "user", "content": "What is the capital of France?"}])
    assert r.choices[0].message.content == "L'Étoile, la "
    assert r.choices[0].finish_reason == "stop"


def test_text_completion(client, server):
    r = client.completions.create(model=server["model"], prompt="The capital of France is", max_tokens=8, temperature=0)
    assert r.choices[0].text.startswith(" Paris")
    assert r.choices[0].finish_reason == "length"
    assert r.usage.completion_tokens == 8


def test_errors_raise_the_clients_exceptions(client, server):
    with pytest.raises(openai.NotFoundError) as e:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert "gpt-4o" in str(e.value)
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model=server["model"], max_tokens=4,
                                       messages=[{"role": "user", "content": "word " * 3000}])
    assert "context of 2048 tokens" in str(e.value)
