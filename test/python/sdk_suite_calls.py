"""
The calls the Python SDK's own test suite makes (anthropics/anthropic-sdk-python,
tests/api_resources/beta/test_user_profiles.py: the suite points the SDK at TEST_API_BASE_URL with the key
`my-anthropic-api-key` and the fixed id `uprof_011CZkZCu8hGbp5mYRQgUmz9`), made with anthropic==1.13.0 against a
uprof server that loaded the `sdk-examples` fixture, strict and loose, sync and async. Each call is checked the
way that suite checks it (the response parses as the SDK's type), and more (it is the example profile).

Run by test/e2e/sdk-suites.test.ts. Environment: UPROF_BASE_URL. Prints one JSON line per check.
"""

import asyncio
import inspect
import json
import os
import sys
import traceback

import anthropic
from anthropic import Anthropic, AsyncAnthropic
from anthropic.pagination import AsyncPageCursor, SyncPageCursor
from anthropic.types.beta import BetaUserProfile, BetaUserProfileEnrollmentURL

BASE_URL = os.environ["UPROF_BASE_URL"]
API_KEY = "my-anthropic-api-key"
ID = "uprof_011CZkZCu8hGbp5mYRQgUmz9"
BETAS = ["message-batches-2024-09-24"]


async def settle(value):
    return await value if inspect.isawaitable(value) else value


def is_example(profile):
    assert isinstance(profile, BetaUserProfile), type(profile)
    assert profile.id == ID and profile.name == "Example User", profile
    assert profile.external_id == "user_12345" and profile.access_type == "application"
    assert profile.trust_grants["cyber"].status == "active"


async def calls(client, profiles, is_async):
    async def create():
        assert isinstance(await settle(profiles.create()), BetaUserProfile)

    async def create_with_all_params():
        profile = await settle(profiles.create(external_id="user_12345", metadata={}, betas=BETAS))
        assert profile.external_id == "user_12345"

    async def raw_create():
        response = await settle(profiles.with_raw_response.create())
        assert response.is_closed is True
        assert response.http_request.headers.get("X-Stainless-Lang") == "python"
        assert isinstance(await settle(response.parse()), BetaUserProfile)

    async def streaming(method, *args, **kwargs):
        manager = getattr(profiles.with_streaming_response, method)(*args, **kwargs)
        if is_async:
            async with manager as response:
                assert not response.is_closed
                parsed = await response.parse()
        else:
            with manager as response:
                assert not response.is_closed
                parsed = response.parse()
        assert response.is_closed is True
        return parsed

    async def streaming_create():
        assert isinstance(await streaming("create"), BetaUserProfile)

    async def retrieve():
        is_example(await settle(profiles.retrieve(user_profile_id=ID)))

    async def retrieve_with_all_params():
        is_example(await settle(profiles.retrieve(user_profile_id=ID, betas=BETAS)))

    async def raw_retrieve():
        response = await settle(profiles.with_raw_response.retrieve(user_profile_id=ID))
        assert response.is_closed is True
        is_example(await settle(response.parse()))

    async def streaming_retrieve():
        is_example(await streaming("retrieve", user_profile_id=ID))

    async def update():
        assert (await settle(profiles.update(user_profile_id=ID))).id == ID

    async def update_with_all_params():
        profile = await settle(profiles.update(user_profile_id=ID, external_id="user_12345", metadata={"foo": "string"}, betas=BETAS))
        assert profile.metadata.get("foo") == "string"

    async def raw_update():
        response = await settle(profiles.with_raw_response.update(user_profile_id=ID))
        assert (await settle(response.parse())).id == ID

    async def streaming_update():
        assert (await streaming("update", user_profile_id=ID)).id == ID

    async def list_():
        page = await settle(profiles.list())
        assert isinstance(page, AsyncPageCursor if is_async else SyncPageCursor)
        assert ID in [p.id for p in page.data]

    async def raw_list():
        response = await settle(profiles.with_raw_response.list())
        assert ID in [p.id for p in (await settle(response.parse())).data]

    async def streaming_list():
        assert ID in [p.id for p in (await streaming("list")).data]

    async def list_with_all_params():
        # the suite sends limit=0 and page="page" to a mock that accepts anything; uprof validates them (decisions §16, §18)
        try:
            await settle(profiles.list(limit=0, order="asc", page="page", betas=BETAS))
            raise AssertionError("expected a 400 for limit=0")
        except anthropic.BadRequestError as error:
            assert "limit" in error.body["error"]["message"]

    async def enrollment_url():
        link = await settle(profiles.create_enrollment_url(user_profile_id=ID))
        assert isinstance(link, BetaUserProfileEnrollmentURL) and link.url.startswith(BASE_URL)

    async def enrollment_url_with_all_params():
        assert isinstance(await settle(profiles.create_enrollment_url(user_profile_id=ID, betas=BETAS)), BetaUserProfileEnrollmentURL)

    async def raw_enrollment_url():
        response = await settle(profiles.with_raw_response.create_enrollment_url(user_profile_id=ID))
        assert isinstance(await settle(response.parse()), BetaUserProfileEnrollmentURL)

    async def streaming_enrollment_url():
        assert isinstance(await streaming("create_enrollment_url", user_profile_id=ID), BetaUserProfileEnrollmentURL)

    return [
        ("create", create), ("create with all params", create_with_all_params), ("raw create", raw_create),
        ("streaming create", streaming_create), ("retrieve", retrieve), ("retrieve with all params", retrieve_with_all_params),
        ("raw retrieve", raw_retrieve), ("streaming retrieve", streaming_retrieve), ("update", update),
        ("update with all params", update_with_all_params), ("raw update", raw_update), ("streaming update", streaming_update),
        ("list", list_), ("raw list", raw_list), ("streaming list", streaming_list), ("list with all params (limit=0)", list_with_all_params),
        ("enrollment_url", enrollment_url), ("enrollment_url with all params", enrollment_url_with_all_params),
        ("raw enrollment_url", raw_enrollment_url), ("streaming enrollment_url", streaming_enrollment_url),
    ]


async def main():
    results = []
    for strict in (False, True):
        label = "strict" if strict else "loose"
        with Anthropic(base_url=BASE_URL, api_key=API_KEY, max_retries=0, _strict_response_validation=strict) as client:
            for name, check in await calls(client, client.beta.user_profiles, False):
                results.append(await run(f"sync {label} {name}", check))
        async with AsyncAnthropic(base_url=BASE_URL, api_key=API_KEY, max_retries=0, _strict_response_validation=strict) as client:
            for name, check in await calls(client, client.beta.user_profiles, True):
                results.append(await run(f"async {label} {name}", check))
    for result in results:
        print(json.dumps(result))
    return 0 if all(r["ok"] for r in results) else 1


async def run(name, check):
    try:
        await check()
        return {"check": name, "ok": True, "error": None}
    except Exception as error:
        return {"check": name, "ok": False, "error": "".join(traceback.format_exception_only(type(error), error)).strip()}


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
