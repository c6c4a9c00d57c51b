"""
Drives every user-profile method of the official Python SDK (anthropic==1.13.0: client.beta.user_profiles
create, retrieve, update, list with auto-pagination, create_enrollment_url) against a running uprof server,
sync and async, with strict response validation, in each dialect the SDK can speak: its default
user-profiles-2026-08-18, user-profiles-2026-09-04 through `betas`, and user-profiles-2026-03-24 through
`extra_headers`. The routes the SDK has no method for (delete, action URLs, the GA surface) are called with
the client's own generic methods, so the client's wire habits apply to them too: `content-type:
application/json` on every non-GET request, bodyless ones included.

Run by test/e2e/python-sdk.test.ts with the virtualenv `.ci/run` creates. Environment: UPROF_BASE_URL,
UPROF_API_KEY (a fresh organization's key). Prints one JSON line per check: {"check", "ok", "error"}.
"""

import asyncio
import inspect
import os
import re
import sys
from datetime import datetime, timedelta, timezone

import anthropic
import httpx2
from anthropic import Anthropic, AsyncAnthropic
from checks import Checks

BASE_URL = os.environ["UPROF_BASE_URL"]
API_KEY = os.environ["UPROF_API_KEY"]
PROFILE_ID = re.compile(r"^uprof_01[0-9A-Za-z]{22}$")
REQUEST_ID = re.compile(r"^req_01[0-9A-Za-z]{22}$")

# how each dialect is reached through the SDK, and the anthropic-beta header that results
DIALECTS = {
    "08-18": ({}, "user-profiles-2026-08-18"),
    "09-04": ({"betas": ["user-profiles-2026-09-04"]}, "user-profiles-2026-09-04,user-profiles-2026-08-18"),
    "03-24": ({"extra_headers": {"anthropic-beta": "user-profiles-2026-03-24"}}, "user-profiles-2026-03-24"),
}


async def settle(value):
    """The SDK's answer, whether the client is sync (a value) or async (an awaitable)."""
    return await value if inspect.isawaitable(value) else value


async def every_item(page):
    """Auto-pagination, as each client offers it: `for` over a sync page, `async for` over an async one."""
    page = await settle(page) if inspect.isawaitable(page) else page
    if hasattr(page, "__aiter__"):
        return [item async for item in page]
    return [item for item in page]


def near(value, expected, what, slack=timedelta(seconds=30)):
    assert abs(value - expected) < slack, f"{what}: {value} is not near {expected}"


def create_fields(dialect, n):
    """A create body in the dialect's own fields (the SDK's params; 03-24's `relationship` through extra_body)."""
    if dialect == "08-18":
        return {
            "name": f"Py {n}", "metadata": {"plan": "pro", "n": str(n)}, "access_type": "passthrough",
            "external_id": f"ext-{n}", "external_user_onboarded_at": "2025-06-01T12:00:00Z",
        }
    if dialect == "09-04":
        return {
            "name": f"Py {n}", "metadata": {"plan": "pro", "n": str(n)}, "access_type": "passthrough",
            "external_user_details": {"country": "DE", "entity_type": "business", "reference_id": f"ext-{n}"},
        }
    return {"name": f"Py {n}", "metadata": {"plan": "pro", "n": str(n)}, "external_id": f"ext-{n}", "extra_body": {"relationship": "resold"}}


def assert_shape(profile, dialect, n):
    assert isinstance(profile, anthropic.types.beta.BetaUserProfile), type(profile)
    assert PROFILE_ID.match(profile.id), profile.id
    assert profile.type == "user_profile"
    assert profile.name == f"Py {n}"
    assert profile.metadata == {"plan": "pro", "n": str(n)}
    assert profile.trust_grants == {}
    extra = profile.model_extra or {}
    if dialect == "08-18":
        assert profile.access_type == "passthrough" and profile.external_id == f"ext-{n}"
        assert profile.external_user_onboarded_at == datetime(2025, 6, 1, 12, tzinfo=timezone.utc)
        assert profile.external_user_details is None and "relationship" not in extra
    elif dialect == "09-04":
        assert profile.access_type == "passthrough" and profile.external_id is None
        details = profile.external_user_details
        assert (details.country, details.entity_type, details.reference_id) == ("DE", "business", f"ext-{n}")
        assert details.onboarded_at is None and details.email_hash is None
    else:
        assert profile.access_type is None and profile.external_id == f"ext-{n}"
        assert extra.get("relationship") == "resold", extra


async def scenario(client, mode, record):
    profiles = client.beta.user_profiles
    counter = iter(range(1, 1000))

    for dialect, (options, beta_header) in DIALECTS.items():
        created = {}

        async def create():
            n = next(counter)
            fields = create_fields(dialect, n)
            profile = await settle(profiles.create(**fields, **options))
            assert_shape(profile, dialect, n)
            near(profile.created_at, datetime.now(timezone.utc), "created_at")
            assert profile.updated_at == profile.created_at
            created.update(profile=profile, n=n)

        async def retrieve():
            profile = await settle(profiles.retrieve(created["profile"].id, **options))
            assert profile == created["profile"], f"{profile} != {created['profile']}"

        async def update():
            profile = created["profile"]
            updated = await settle(profiles.update(profile.id, name="Renamed", metadata={"plan": "", "tier": "gold"}, **options))
            assert updated.name == "Renamed"
            assert updated.metadata == {"n": str(created["n"]), "tier": "gold"}, updated.metadata
            assert updated.updated_at >= profile.updated_at
            unchanged = await settle(profiles.update(profile.id, **options))
            assert unchanged == updated, "an empty update changes nothing"
            cleared = await settle(profiles.update(profile.id, name=None, **options))
            assert cleared.name is None

        async def list_pages():
            ids = []
            for _ in range(3):
                n = next(counter)
                ids.append((await settle(profiles.create(**create_fields(dialect, n), **options))).id)
            first = await settle(profiles.list(limit=2, order="asc", **options))
            assert len(first.data) == 2 and first.next_page, "a first page of two, with a next page"
            items = await every_item(profiles.list(limit=2, order="asc", **options))
            seen = [p.id for p in items]
            assert len(seen) == len(set(seen)), "auto-pagination never repeats a profile"
            assert all(i in seen for i in ids), "auto-pagination reaches every page"
            order = [(p.created_at, p.id) for p in items]
            assert order == sorted(order), "oldest first (ties by id)"
            by_name = await settle(profiles.list(limit=100, order_by="name", order="desc", **options))
            names = [p.name for p in by_name.data if p.name is not None]
            assert names == sorted(names, key=str.lower, reverse=True)

        async def enrollment_url():
            raw = await settle(profiles.with_raw_response.create_enrollment_url(created["profile"].id, **options))
            sent = raw.http_request
            # the habit this leg exists for: a bodyless POST that still says content-type: application/json
            assert sent.headers.get("content-type") == "application/json", sent.headers
            assert sent.content == b"", sent.content
            link = await settle(raw.parse())
            assert isinstance(link, anthropic.types.beta.BetaUserProfileEnrollmentURL)
            assert link.type == "enrollment_url"
            assert link.url.startswith(BASE_URL + "/user-profiles/enrollment/"), link.url
            near(link.expires_at, datetime.now(timezone.utc) + timedelta(minutes=15), "expires_at")

        async def wire():
            raw = await settle(profiles.with_raw_response.retrieve(created["profile"].id, **options))
            sent = raw.http_request
            assert sent.url.path == f"/v1/user_profiles/{created['profile'].id}" and sent.url.query == b"beta=true", sent.url
            assert sent.headers["x-api-key"] == API_KEY and "authorization" not in sent.headers
            assert sent.headers["anthropic-version"] == "2023-06-01"
            assert sent.headers["anthropic-beta"] == beta_header, sent.headers["anthropic-beta"]
            assert REQUEST_ID.match(raw.headers["request-id"])
            assert raw.headers["anthropic-workspace-id"].startswith("wrkspc_01")
            profile = await settle(raw.parse())
            assert profile._request_id == raw.headers["request-id"]

        for name, check in [("create", create), ("retrieve", retrieve), ("update", update), ("list pagination", list_pages),
                            ("enrollment_url", enrollment_url), ("wire habits", wire)]:
            await record(f"{mode} {dialect} {name}", check)

    async def errors():
        try:
            await settle(profiles.retrieve("uprof_01" + "x" * 22))
            raise AssertionError("expected a 404")
        except anthropic.NotFoundError as error:
            assert error.status_code == 404 and error.type == "not_found_error"
            assert error.body["type"] == "error" and error.body["error"]["type"] == "not_found_error"
            assert REQUEST_ID.match(error.request_id) and error.body["request_id"] == error.request_id
        try:
            await settle(profiles.create(metadata={"k": "v" * 513}))
            raise AssertionError("expected a 400")
        except anthropic.BadRequestError as error:
            assert error.type == "invalid_request_error" and "metadata.k" in error.body["error"]["message"]
        try:
            await settle(profiles.create(external_user_details={"country": "DE"}))
            raise AssertionError("expected a 400: external_user_details is not accepted under 08-18")
        except anthropic.BadRequestError as error:
            assert "user-profiles-2026-09-04" in error.body["error"]["message"]

    # the routes the SDK has no method for, through its generic methods (same headers, same habits)
    async def action_url():
        profile = await settle(profiles.create(name="For a link"))
        response = await settle(client.post(
            f"/v1/user_profiles/{profile.id}/action_urls", body={"action": {"type": "enroll_end_user"}}, cast_to=httpx2.Response))
        assert response.request.headers.get("content-type") == "application/json"
        link = response.json()
        assert link["type"] == "user_profile_action_url" and link["url"].startswith(BASE_URL + "/portal/enroll?enrollment_token=")

    async def ga_retrieve():
        profile = await settle(profiles.create(name="Seen through GA"))
        ga = await settle(client.get(f"/v1/user_profiles/{profile.id}", cast_to=object))
        assert ga["programs"] == {"cyber": None, "efs": None} and ga["enforcement_status"] == "unrestricted", ga
        assert "trust_grants" not in ga

    async def delete():
        profile = await settle(profiles.create(name="Short-lived"))
        response = await settle(client.delete(f"/v1/user_profiles/{profile.id}?beta=true", cast_to=httpx2.Response))
        sent = response.request
        assert sent.headers.get("content-type") == "application/json" and sent.content == b"", "a bodyless DELETE with content-type"
        assert response.json() == {"id": profile.id, "type": "user_profile_deleted"}
        try:
            await settle(profiles.retrieve(profile.id))
            raise AssertionError("expected a 404 after the delete")
        except anthropic.NotFoundError:
            pass

    for name, check in [("errors", errors), ("action_urls (generic post)", action_url), ("GA retrieve (generic get)", ga_retrieve),
                        ("delete (generic delete)", delete)]:
        await record(f"{mode} {name}", check)


async def main():
    assert anthropic.__version__ == "1.13.0", f"anthropic {anthropic.__version__}, expected 1.13.0"
    checks = Checks()
    with Anthropic(api_key=API_KEY, base_url=BASE_URL, max_retries=0, _strict_response_validation=True) as client:
        await scenario(client, "sync", checks.record)
    async with AsyncAnthropic(api_key=API_KEY, base_url=BASE_URL, max_retries=0, _strict_response_validation=True) as client:
        await scenario(client, "async", checks.record)
    return checks.report()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
