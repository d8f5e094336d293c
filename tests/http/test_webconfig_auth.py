"""Basic auth, headers and the probe listener, through the real app on a test server."""

from __future__ import annotations

import asyncio
import base64
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import bcrypt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry, Gauge, generate_latest

from exporter.http.app import build_app
from exporter.http.auth import BasicAuth, Protection, TooManyChecks, parse_basic, protect_app
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


def _hash(password: str, rounds: int) -> bytes:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds))


@pytest.fixture
def checked_costs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The cost of every hash bcrypt.checkpw is called with, in call order."""
    costs: list[int] = []
    real = bcrypt.checkpw

    def recording(password: bytes, hashed_password: bytes) -> bool:
        costs.append(int(hashed_password[4:6]))
        return real(password, hashed_password)

    monkeypatch.setattr(bcrypt, "checkpw", recording)
    return costs


async def test_every_user_known_or_not_pays_the_same_bcrypt_costs(
    start: Callable[[str], Awaitable[Client]], checked_costs: list[int]
) -> None:
    """With users at cost 4 and 6, a wrong password for either, an unknown user and a
    non-UTF-8 user each pay exactly one check at 4 and one at 6: response times cannot
    tell who exists (the old code paid only the user's own cost, 4 for a cheap user)."""
    text = (
        "basic_auth_users:\n"
        f"  alice: {_hash(PASSWORD, 4).decode()}\n"
        f"  prometheus: {_hash(PASSWORD, 6).decode()}\n"
    )
    client = await start(text)
    non_utf8 = {"Authorization": "Basic " + base64.b64encode(b"\xff:wrong").decode()}
    for headers in (
        basic("alice", "wrong"),
        basic("prometheus", "wrong"),
        basic("nobody", "wrong"),
        non_utf8,
        basic("alice", "x" * 100),
    ):
        checked_costs.clear()
        assert (await client.get("/metrics", headers=headers)).status == 401
        assert sorted(checked_costs) == [4, 6], headers
    for user in ("alice", "prometheus"):
        checked_costs.clear()
        assert (await client.get("/metrics", headers=basic(user, PASSWORD))).status == 200
        assert sorted(checked_costs) == [4, 6], user


def test_mixed_costs_are_warned_about_once_at_load(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = tmp_path / "web.yml"
    config.write_text(
        "basic_auth_users:\n"
        f"  a: {_hash(PASSWORD, 4).decode()}\n  b: {_hash(PASSWORD, 5).decode()}\n"
    )
    with caplog.at_level(logging.WARNING):
        WebConfigWatcher(config)
    (warning,) = [r.getMessage() for r in caplog.records if "bcrypt costs" in r.getMessage()]
    assert "04, 05" in warning
    caplog.clear()
    config.write_text(users_yaml(a=PASSWORD, b=PASSWORD))  # one cost: nothing to say
    with caplog.at_level(logging.WARNING):
        WebConfigWatcher(config)
    assert "bcrypt costs" not in caplog.text


class HeldBcrypt:
    """bcrypt.checkpw replaced: password ``hold`` blocks until :meth:`release`; every
    call's password is recorded in order."""

    def __init__(self) -> None:
        self.calls: list[bytes] = []
        self.entered = threading.Event()
        self._go = threading.Event()
        self._real = bcrypt.checkpw

    def __call__(self, password: bytes, hashed_password: bytes) -> bool:
        self.calls.append(password)
        if password == b"hold":
            self.entered.set()
            self._go.wait(timeout=30)
        return self._real(password, hashed_password)

    def release(self) -> None:
        self._go.set()


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldBcrypt]:
    fake = HeldBcrypt()
    monkeypatch.setattr(bcrypt, "checkpw", fake)
    yield fake
    fake.release()  # never leave a worker thread blocked


async def _holding(auth: BasicAuth, held: HeldBcrypt) -> asyncio.Task[bool]:
    """A check that holds the bcrypt slot until ``held.release()``."""
    task = asyncio.create_task(auth.check(basic("prometheus", "hold")["Authorization"]))
    await asyncio.to_thread(held.entered.wait, 30)
    return task


async def test_a_flood_beyond_the_queue_is_refused_not_queued(held: HeldBcrypt) -> None:
    auth = BasicAuth({"prometheus": _hash(PASSWORD, 4)}, max_waiting=2)
    holder = await _holding(auth, held)
    wrong = basic("prometheus", "wrong")["Authorization"]
    queued = [asyncio.create_task(auth.check(wrong)) for _ in range(2)]
    await asyncio.sleep(0)  # let both reach the queue
    with pytest.raises(TooManyChecks):
        await auth.check(wrong)
    with pytest.raises(TooManyChecks):
        await auth.check(basic("nobody", "wrong")["Authorization"])
    held.release()
    assert await asyncio.gather(holder, *queued) == [False, False, False]
    assert await auth.check(basic("prometheus", PASSWORD)["Authorization"])  # the slot is free


async def test_a_credential_that_verified_before_goes_first(held: HeldBcrypt) -> None:
    now = [0.0]
    auth = BasicAuth(
        {"prometheus": _hash(PASSWORD, 4)}, cache_seconds=60, clock=lambda: now[0], max_waiting=2
    )
    right = basic("prometheus", PASSWORD)["Authorization"]
    assert await auth.check(right)
    now[0] = 61  # expired: the next check pays bcrypt again
    held.calls.clear()
    holder = await _holding(auth, held)
    queued = [
        asyncio.create_task(auth.check(basic("prometheus", f"wrong{i}")["Authorization"]))
        for i in range(2)
    ]
    await asyncio.sleep(0)
    scrape = asyncio.create_task(auth.check(right))  # the queue for others is full
    await asyncio.sleep(0)
    held.release()
    assert await asyncio.gather(holder, *queued, scrape) == [False, False, False, True]
    assert held.calls == [b"hold", PASSWORD.encode(), b"wrong0", b"wrong1"]


async def test_a_cancelled_waiter_does_not_leak_the_slot(held: HeldBcrypt) -> None:
    auth = BasicAuth({"prometheus": _hash(PASSWORD, 4)}, max_waiting=1)
    holder = await _holding(auth, held)
    waiter = asyncio.create_task(auth.check(basic("prometheus", "wrong")["Authorization"]))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    # Its place in the queue is free again, and the slot is handed on after the holder.
    second = asyncio.create_task(auth.check(basic("prometheus", "wrong")["Authorization"]))
    await asyncio.sleep(0)
    held.release()
    assert list(await asyncio.gather(holder, second)) == [False, False]
    assert await auth.check(basic("prometheus", PASSWORD)["Authorization"])


async def test_the_app_answers_429_while_the_queue_is_full(held: HeldBcrypt) -> None:
    auth = BasicAuth({"prometheus": _hash(PASSWORD, 4)}, max_waiting=0)
    app = build_app(lambda _: b"", ready=lambda: True)
    protect_app(app, lambda: Protection(basic_auth=auth))
    client: Client = TestClient(TestServer(app))
    await client.start_server()
    try:
        holder = await _holding(auth, held)
        refused = await client.get("/metrics", headers=basic("nobody", "x"))
        assert refused.status == 429
        assert refused.headers["Retry-After"] == "1"
        assert "WWW-Authenticate" not in refused.headers
        held.release()
        assert not await holder
        assert (await client.get("/metrics", headers=basic("nobody", "x"))).status == 401
    finally:
        await client.close()


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
