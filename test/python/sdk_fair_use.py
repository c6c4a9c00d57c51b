"""
The official Python SDK (anthropic==1.13.0) with its default retries (2) against uprof's safe retries and rate
limits (issue 15, point 3), sync and async:

- "lost answer": through a proxy that loses the first answer to each Idempotency-Key (UPROF_PROXY_URL), a create
  sent with `Idempotency-Key` is retried by the SDK with the same headers and gets the kept answer: one profile.
  The SDK sends no idempotency header of its own (`_idempotency_header` is unset), so the key is given as a
  request header.
- "429 waited out": against a server whose limit is one request at once, one every 2 s (UPROF_LIMITED_URL,
  UPROF_LIMITED_KEY), a second request is refused with 429; the SDK waits `retry-after-ms` and succeeds.

Run by test/e2e/fair-use-sdk.test.ts. Environment: UPROF_BASE_URL, UPROF_API_KEY (the unlimited server, for
counting), UPROF_PROXY_URL, UPROF_LIMITED_URL, UPROF_LIMITED_KEY. Prints one JSON line per check.
"""

import asyncio
import inspect
import os
import sys
import time
import uuid

import anthropic
from anthropic import Anthropic, AsyncAnthropic, DefaultAsyncHttpxClient, DefaultHttpxClient
from checks import Checks

BASE_URL = os.environ["UPROF_BASE_URL"]
API_KEY = os.environ["UPROF_API_KEY"]
PROXY_URL = os.environ["UPROF_PROXY_URL"]
LIMITED_URL = os.environ["UPROF_LIMITED_URL"]
LIMITED_KEY = os.environ["UPROF_LIMITED_KEY"]


async def settle(value):
    return await value if inspect.isawaitable(value) else value


async def count_named(name):
    """How many profiles of the organization carry `name` (read directly, not through the proxy)."""
    with Anthropic(api_key=API_KEY, base_url=BASE_URL, max_retries=0) as client:
        return sum(1 for profile in client.beta.user_profiles.list(limit=100) if profile.name == name)


async def lost_answer(client, mode):
    name = f"Lost once {mode} {uuid.uuid4().hex[:8]}"
    key = f"py-{uuid.uuid4()}"
    profile = await settle(client.beta.user_profiles.create(name=name, extra_headers={"Idempotency-Key": key}))
    assert profile.name == name, profile
    assert await count_named(name) == 1, "the lost answer's retry made a second profile"


async def waited_out(client, trail):
    created = await settle(client.beta.user_profiles.create(name="Patient"))
    trail.clear()
    fetched = await settle(client.beta.user_profiles.retrieve(created.id))  # the bucket is empty now
    assert fetched.id == created.id
    assert [status for status, _, _ in trail] == [429, 200], trail
    (_, refused_at, retry_after_ms), (_, retried_at, _) = trail
    assert retry_after_ms is not None and 0 < retry_after_ms <= 2000, f"retry-after-ms {retry_after_ms}"
    waited_ms = (retried_at - refused_at) * 1000
    assert waited_ms >= retry_after_ms - 5, f"the SDK waited {waited_ms:.0f} ms of {retry_after_ms}"


def recorder(trail):
    """An httpx response hook: each answer's status, when it came, and its retry-after-ms."""
    def record(response):
        value = response.headers.get("retry-after-ms")
        trail.append((response.status_code, time.monotonic(), float(value) if value else None))
    return record


async def main():
    assert anthropic.__version__ == "1.13.0", f"anthropic {anthropic.__version__}, expected 1.13.0"
    checks = Checks()
    record = checks.record

    # default retries (2) on every client below
    with Anthropic(api_key=API_KEY, base_url=PROXY_URL) as client:
        await record("sync lost answer", lambda: lost_answer(client, "sync"))
    async with AsyncAnthropic(api_key=API_KEY, base_url=PROXY_URL) as client:
        await record("async lost answer", lambda: lost_answer(client, "async"))

    trail = []
    with Anthropic(api_key=LIMITED_KEY, base_url=LIMITED_URL, http_client=DefaultHttpxClient(event_hooks={"response": [recorder(trail)]})) as client:
        await record("sync 429 waited out", lambda: waited_out(client, trail))

    async_trail = []
    async def record_async(response):
        recorder(async_trail)(response)
    time.sleep(2.1)  # the limited key's bucket refills (one every 2 s) before the async client starts
    async with AsyncAnthropic(
        api_key=LIMITED_KEY, base_url=LIMITED_URL, http_client=DefaultAsyncHttpxClient(event_hooks={"response": [record_async]}),
    ) as client:
        await record("async 429 waited out", lambda: waited_out(client, async_trail))

    return checks.report()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
