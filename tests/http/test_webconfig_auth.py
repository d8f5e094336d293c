"""Basic auth, headers and the probe listener, through the real app on a test server."""

from __future__ import annotations

import base64
import logging
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import bcrypt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry, Gauge, generate_latest

from exporter.http.app import build_app
from exporter.http.auth import BasicAuth, parse_basic
from exporter.http.probes import build_probe_app
from exporter.http.webconfig import WebConfigError, load_web_config
from exporter.http.webconfig_watcher import WebConfigWatcher

PASSWORD = "CANARY-pw-7f3a9"  # must never show up in a log line or an error
Client = TestClient[web.Request, web.Application]
WATCHER = web.AppKey("watcher", WebConfigWatcher)


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def users_yaml(rounds: int = 4, **passwords: str) -> str:
    lines = [f"  {user}: {bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds)).decode()}"
             for user, pw in passwords.items()]  # fmt: skip
    return "basic_auth_users:\n" + "\n".join(lines) + "\n"


HEADERS = (
    "http_server_config:\n  headers:\n    X-Frame-Options: deny\n"
    "    X-Content-Type-Options: nosniff\n    Content-Security-Policy: \"default-src 'none'\"\n"
)


@pytest.fixture
async def start(tmp_path: Path) -> AsyncIterator[Callable[[str], Awaitable[Client]]]:
    """``await start(yaml)``: the real app behind that web config, on a test server."""
    clients: list[Client] = []
    registry = CollectorRegistry()
    Gauge("imagepull_test_up", "A test gauge.", registry=registry).set(1)

    async def started(text: str) -> Client:
        config = tmp_path / "web.yml"
        config.write_text(text)
        watcher = WebConfigWatcher(config)
        app = build_app(lambda _: generate_latest(registry), ready=lambda: True)
        watcher.install(app)
        app[WATCHER] = watcher  # lets a test reload it
        client: Client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        return client

    yield started
    for client in clients:
        await client.close()


async def test_right_password_200_wrong_or_unknown_401(
    start: Callable[[str], Awaitable[Client]],
) -> None:
    client = await start(users_yaml(prometheus=PASSWORD))
    assert (await client.get("/metrics", headers=basic("prometheus", PASSWORD))).status == 200
    for headers in (
        basic("prometheus", "wrong"),
        basic("nobody", PASSWORD),
        {},
        {"Authorization": "Bearer x"},
        {"Authorization": "Basic !!!"},
    ):
        response = await client.get("/metrics", headers=headers)
        assert response.status == 401, headers
        assert response.headers["WWW-Authenticate"] == 'Basic realm="imagepull-exporter"'
    # The toolkit protects every path; the kubelet uses the plain probe port instead.
    assert (await client.get("/healthz")).status == 401


async def test_excluded_paths_skip_authentication(
    start: Callable[[str], Awaitable[Client]],
) -> None:
    client = await start(users_yaml(prometheus=PASSWORD) + "auth_excluded_paths: [/healthz]\n")
    assert (await client.get("/healthz")).status == 200
    assert (await client.get("/metrics")).status == 401


async def test_configured_headers_on_every_response(
    start: Callable[[str], Awaitable[Client]],
) -> None:
    client = await start(users_yaml(prometheus=PASSWORD) + HEADERS)
    ok = await client.get("/metrics", headers=basic("prometheus", PASSWORD))
    denied = await client.get("/metrics")
    missing = await client.get("/nothing-here", headers=basic("prometheus", PASSWORD))
    assert (ok.status, denied.status, missing.status) == (200, 401, 404)
    for response in (ok, denied, missing):
        assert response.headers["X-Frame-Options"] == "deny"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Security-Policy"] == "default-src 'none'"


async def test_unknown_user_pays_bcrypt_like_a_wrong_password(
    start: Callable[[str], Awaitable[Client]],
) -> None:
    # Cost 8 is ~20 ms here, far above a request's own cost: a skipped check would show.
    client = await start(users_yaml(rounds=8, prometheus=PASSWORD))

    async def median(headers: dict[str, str]) -> float:
        times = []
        for _ in range(10):
            began = time.perf_counter()
            assert (await client.get("/metrics", headers=headers)).status == 401
            times.append(time.perf_counter() - began)
        return statistics.median(times)

    wrong = await median(basic("prometheus", "wrong"))
    unknown = await median(basic("nobody", "wrong"))
    assert unknown >= 0.5 * wrong, (unknown, wrong)
    assert unknown > 0.005  # a bcrypt check of cost 8 happened


async def test_a_success_is_cached_and_expires() -> None:
    now = [0.0]
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4))
    auth = BasicAuth({"prometheus": hashed}, cache_seconds=60, clock=lambda: now[0])
    header = basic("prometheus", PASSWORD)["Authorization"]
    calls = []
    real = bcrypt.checkpw

    def counting(password: bytes, hashed_password: bytes) -> bool:
        calls.append(1)
        return real(password, hashed_password)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bcrypt, "checkpw", counting)
        assert await auth.check(header)
        assert await auth.check(header)
        assert len(calls) == 1  # the second scrape did not pay bcrypt
        assert not await auth.check(basic("prometheus", "wrong")["Authorization"])
        assert len(calls) == 2  # failures are never cached
        now[0] = 61
        assert await auth.check(header)
        assert len(calls) == 3


async def test_passwords_too_long_for_bcrypt_are_refused() -> None:
    hashed = bcrypt.hashpw(b"x" * 72, bcrypt.gensalt(4))
    auth = BasicAuth({"prometheus": hashed})
    assert await auth.check(basic("prometheus", "x" * 72)["Authorization"])
    # bcrypt would read only the first 72 bytes; we do not let it pretend to match.
    assert not await auth.check(basic("prometheus", "x" * 73)["Authorization"])


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Basic " + base64.b64encode(b"user:pa:ss").decode(), ("user", b"pa:ss")),
        ("basic " + base64.b64encode(b":").decode(), ("", b"")),
        ("Basic " + base64.b64encode(b"\xff:pw").decode(), (None, b"pw")),
        ("Basic " + base64.b64encode(b"no-colon").decode(), None),
        ("Basic not base64", None),
        ("Digest username=x", None),
        (None, None),
    ],
)
def test_parse_basic(header: str | None, expected: tuple[str | None, bytes] | None) -> None:
    assert parse_basic(header) == expected


async def test_users_change_on_reload(
    start: Callable[[str], Awaitable[Client]], tmp_path: Path
) -> None:
    client = await start(users_yaml(prometheus=PASSWORD))
    watcher: WebConfigWatcher = client.app[WATCHER]
    (tmp_path / "web.yml").write_text(users_yaml(grafana=PASSWORD))
    assert await watcher.reload()
    assert (await client.get("/metrics", headers=basic("prometheus", PASSWORD))).status == 401
    assert (await client.get("/metrics", headers=basic("grafana", PASSWORD))).status == 200


async def test_passwords_never_reach_logs_or_errors(
    start: Callable[[str], Awaitable[Client]],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    text = users_yaml(prometheus=PASSWORD)
    hashed = text.split(": ", 1)[1].strip()
    client = await start(text)
    watcher: WebConfigWatcher = client.app[WATCHER]
    for password in (PASSWORD, PASSWORD + "x"):
        await client.get("/metrics", headers=basic("prometheus", password))
        await client.get("/metrics", headers=basic("nobody", password))
    # A bad reload names the user, never the hash it could not read.
    (tmp_path / "web.yml").write_text(f"basic_auth_users:\n  prometheus: {PASSWORD}{hashed}\n")
    assert not await watcher.reload()
    with pytest.raises(WebConfigError) as caught:
        load_web_config(tmp_path / "web.yml")
    for text_out in (caplog.text, str(caught.value)):
        assert PASSWORD not in text_out
        assert hashed not in text_out
    assert "basic_auth_users.prometheus: not a bcrypt hash" in str(caught.value)


async def test_probe_app_serves_only_probes() -> None:
    ready = [False]
    client: Client = TestClient(TestServer(build_probe_app(lambda: ready[0])))
    await client.start_server()
    try:
        assert (await client.get("/healthz")).status == 200
        assert (await client.get("/readyz")).status == 503
        ready[0] = True
        assert (await client.get("/readyz")).status == 200
        assert (await client.get("/metrics")).status == 404
        assert (await client.get("/")).status == 404
    finally:
        await client.close()
