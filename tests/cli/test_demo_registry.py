"""exporter.cli.demo_registry: the demo's registry speaks the v2 Basic challenge, and the
probe's own decoder and handshake find the demo's revoked login rejected, the other one ok."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import aiohttp
import pytest

from exporter.cli.demo_registry import (
    ACCEPTED_SECRET,
    NAMESPACE,
    REVOKED_SECRET,
    DemoLogin,
    DemoRegistry,
    reports_objects,
)
from exporter.probe.handshake import Endpoint, handshake
from exporter.probe.login import login_for
from exporter.probe.outcomes import Outcome


def _basic(username: str, password: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


@pytest.fixture
async def registry() -> AsyncIterator[DemoRegistry]:
    running = DemoRegistry.with_random_passwords()
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as client:
        yield client


def _secrets(registry: DemoRegistry) -> dict[str, dict[str, object]]:
    return {
        str(obj["metadata"]["name"]): obj  # type: ignore[index]
        for obj in reports_objects(registry)
        if obj["kind"] == "Secret"
    }


async def test_without_a_login_v2_answers_the_basic_challenge(
    registry: DemoRegistry, session: aiohttp.ClientSession
) -> None:
    assert registry.host.startswith("127.0.0.1:")
    for path in ("/v2/", "/v2/reports/api/tags/list"):
        async with session.get(f"http://{registry.host}{path}") as response:
            assert response.status == 401
            assert response.headers["WWW-Authenticate"] == 'Basic realm="demo"'
            assert response.headers["Docker-Distribution-API-Version"] == "registry/2.0"
            assert (await response.json())["errors"][0]["code"] == "UNAUTHORIZED"


@pytest.mark.parametrize(
    ("who", "status"),
    [("accepted", 200), ("revoked", 401), ("wrong user", 401), ("garbage", 401)],
)
async def test_only_the_accepted_login_gets_in(
    registry: DemoRegistry, session: aiohttp.ClientSession, who: str, status: int
) -> None:
    headers = {
        "accepted": _basic(registry.accepted.username, registry.accepted.password),
        "revoked": _basic(registry.revoked.username, registry.revoked.password),
        "wrong user": _basic("someone", registry.accepted.password),
        "garbage": {"Authorization": "Basic !!not-base64"},
    }[who]
    async with session.get(f"http://{registry.host}/v2/", headers=headers) as response:
        assert response.status == status


async def test_tags_of_known_repositories_and_404_for_others(
    registry: DemoRegistry, session: aiohttp.ClientSession
) -> None:
    headers = _basic(registry.accepted.username, registry.accepted.password)
    url = f"http://{registry.host}/v2/reports/api/tags/list"
    async with session.get(url, params={"n": "1"}, headers=headers) as response:
        assert response.status == 200
        assert await response.json() == {"name": "reports/api", "tags": ["2.3.0"]}
    url = f"http://{registry.host}/v2/reports/nope/tags/list"
    async with session.get(url, headers=headers) as response:
        assert response.status == 404


@pytest.mark.parametrize(
    ("secret", "repository", "outcome", "stage"),
    [
        # Basic: /v2/ with the login decides; the repository is checked once it got in.
        (REVOKED_SECRET, "reports/api", Outcome.unauthorized, "login"),
        (ACCEPTED_SECRET, "reports/worker", Outcome.ok, "check"),
        (ACCEPTED_SECRET, "reports/nope", Outcome.not_found, "check"),
        (ACCEPTED_SECRET, None, Outcome.ok, "login"),
    ],
)
async def test_the_probe_handshake_on_the_demo_secrets(
    registry: DemoRegistry,
    session: aiohttp.ClientSession,
    *,
    secret: str,
    repository: str | None,
    outcome: Outcome,
    stage: str,
) -> None:
    login = login_for(_secrets(registry)[secret], registry.host)
    assert login is not None
    endpoint = Endpoint(f"http://{registry.host}", repository, "2.3.0" if repository else None)
    result = await handshake(session, endpoint, login, time_limit=5)
    assert (result.outcome, result.stage) == (outcome, stage)


def test_the_reports_namespace_runs_pods_on_both_secrets(registry: DemoRegistry) -> None:
    registry.host = "127.0.0.1:5000"  # objects only; nothing listens
    objects = reports_objects(registry)
    pods = [obj for obj in objects if obj["kind"] == "Pod"]
    uses = {
        str(pod["metadata"]["name"]): (  # type: ignore[index]
            pod["spec"]["imagePullSecrets"][0]["name"],  # type: ignore[index]
            pod["spec"]["containers"][0]["image"],  # type: ignore[index]
            pod["status"]["phase"],  # type: ignore[index]
        )
        for pod in pods
    }
    assert uses == {
        "reports-api-6b8d9c7f5-q7x2m": (
            REVOKED_SECRET,
            "127.0.0.1:5000/reports/api:2.3.0",
            "Running",
        ),
        "reports-api-6b8d9c7f5-h4k9c": (
            REVOKED_SECRET,
            "127.0.0.1:5000/reports/api:2.3.0",
            "Running",
        ),
        "reports-worker-5c9f7d8b6-t2n8v": (
            ACCEPTED_SECRET,
            "127.0.0.1:5000/reports/worker:1.8.1",
            "Running",
        ),
    }
    assert all(obj["metadata"].get("namespace", NAMESPACE) == NAMESPACE for obj in objects)  # type: ignore[attr-defined]
    # opaque passwords, no expiry annotation: only asking the registry tells them apart
    for secret in _secrets(registry).values():
        assert "annotations" not in secret["metadata"]  # type: ignore[operator]


def test_logins_hide_their_password_and_differ_per_run() -> None:
    first, second = DemoRegistry.with_random_passwords(), DemoRegistry.with_random_passwords()
    assert first.revoked.password not in repr(first.revoked)
    assert first.accepted.password != second.accepted.password
    assert repr(DemoLogin("u", "hunter2")) == "DemoLogin(username='u')"
