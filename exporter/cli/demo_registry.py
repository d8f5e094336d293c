"""A tiny Docker Registry v2 for ``imagepull-exporter demo``, and the namespace that uses it.

:class:`DemoRegistry` listens on 127.0.0.1 (a free port, plain HTTP) and answers what the
registry probe asks: ``GET /v2/`` (without, then with the login) and
``GET /v2/<repository>/tags/list``, ``401`` with
``WWW-Authenticate: Basic realm="demo"`` unless the request carries a login it accepts.
It knows two users: one whose password the cluster holds (accepted), and one whose
password was changed after the cluster's secret was written (revoked): only asking the
registry tells the two apart. It serves no images.

:func:`reports_objects` is the namespace ``reports`` of the demo cluster: running pods
that pull from the registry with the revoked login (their next pull will fail), and one
pod with the accepted login. The passwords are random per run and never printed.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.typedefs import Handler

REALM = "demo"
NAMESPACE = "reports"
REVOKED_SECRET = "api-pull"
ACCEPTED_SECRET = "worker-pull"
# repository -> tags the registry lists
REPOSITORIES = {"reports/api": ("2.3.0", "2.2.1"), "reports/worker": ("1.8.1",)}

JSONObject = dict[str, object]


@dataclass(frozen=True, slots=True)
class DemoLogin:
    """A user name and password; ``repr()`` hides the password."""

    username: str
    password: str = field(repr=False)

    @classmethod
    def random(cls, username: str) -> DemoLogin:
        return cls(username, secrets.token_urlsafe(18))


def dockerconfigjson(registry: str, login: DemoLogin) -> str:
    """base64 of a ``.dockerconfigjson`` holding ``login`` for ``registry``, as
    ``kubectl create secret docker-registry`` writes it."""
    auth = base64.b64encode(f"{login.username}:{login.password}".encode()).decode()
    entry = {"username": login.username, "password": login.password, "auth": auth}
    config = json.dumps({"auths": {registry: entry}}, separators=(",", ":"))
    return base64.b64encode(config.encode()).decode()


def _errors(code: str, message: str) -> str:
    return json.dumps({"errors": [{"code": code, "message": message, "detail": None}]})


class DemoRegistry:
    """The registry: ``accepted`` logs in; ``revoked``'s user exists with another password.

    >>> registry = DemoRegistry(DemoLogin("ci", "a"), DemoLogin("deployer", "old"))
    >>> registry.accepts("Basic " + base64.b64encode(b"ci:a").decode())
    True
    >>> registry.accepts("Basic " + base64.b64encode(b"deployer:old").decode())
    False
    """

    def __init__(self, accepted: DemoLogin, revoked: DemoLogin) -> None:
        self.accepted = accepted
        self.revoked = revoked
        # The revoked user's password was changed at the registry: a new, unknown one.
        self._users = {
            accepted.username: accepted.password,
            revoked.username: secrets.token_urlsafe(18),
        }
        self._runner: web.AppRunner | None = None
        self.host = ""
        """``127.0.0.1:PORT`` once started: the registry key and image prefix."""

    @classmethod
    def with_random_passwords(cls) -> DemoRegistry:
        return cls(DemoLogin.random("reports-worker"), DemoLogin.random("reports-deployer"))

    def accepts(self, authorization: str | None) -> bool:
        """Whether an ``Authorization`` header carries a login this registry accepts."""
        scheme, _, encoded = (authorization or "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        username, colon, password = decoded.partition(":")
        expected = self._users.get(username)
        return bool(colon) and expected is not None and hmac.compare_digest(expected, password)

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._authenticate])
        app.router.add_get("/v2/", self._ping)
        app.router.add_get("/v2/{repository:.+}/tags/list", self._tags)
        return app

    @web.middleware
    async def _authenticate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        headers = {"Docker-Distribution-API-Version": "registry/2.0"}
        if not self.accepts(request.headers.get("Authorization")):
            headers["WWW-Authenticate"] = f'Basic realm="{REALM}"'
            return web.Response(
                status=401,
                text=_errors("UNAUTHORIZED", "authentication required"),
                content_type="application/json",
                headers=headers,
            )
        response = await handler(request)
        response.headers.update(headers)
        return response

    async def _ping(self, _: web.Request) -> web.StreamResponse:
        return web.json_response({})

    async def _tags(self, request: web.Request) -> web.StreamResponse:
        repository = request.match_info["repository"]
        tags = REPOSITORIES.get(repository)
        if tags is None:
            return web.Response(
                status=404,
                text=_errors("NAME_UNKNOWN", "repository name not known to registry"),
                content_type="application/json",
            )
        count = request.query.get("n", "")
        listed = list(tags[: int(count)] if count.isdigit() else tags)
        return web.json_response({"name": repository, "tags": listed})

    async def start(self) -> str:
        """Listen on a free 127.0.0.1 port; returns ``127.0.0.1:PORT``."""
        self._runner = web.AppRunner(self.make_app(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.host = f"127.0.0.1:{self._runner.addresses[0][1]}"
        return self.host

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def _stamp(seconds_ago: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - seconds_ago))


def _secret(name: str, registry: str, login: DemoLogin) -> JSONObject:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": dockerconfigjson(registry, login)},
    }


def _running_pod(name: str, app: str, image: str, secret: str, node: int) -> JSONObject:
    """A pod whose container pulled ``image`` with ``secret`` two days ago and runs."""
    started = _stamp(2 * 86400)
    ready = {"status": "True", "lastTransitionTime": started}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": {"app": app}},
        "spec": {
            "nodeName": f"ip-10-0-{node}-23.eu-west-1.compute.internal",
            "imagePullSecrets": [{"name": secret}],
            "containers": [{"name": app, "image": image}],
        },
        "status": {
            "phase": "Running",
            "startTime": started,
            "conditions": [
                {"type": kind, **ready}
                for kind in ("Initialized", "Ready", "ContainersReady", "PodScheduled")
            ],
            "containerStatuses": [
                {
                    "name": app,
                    "image": image,
                    "imageID": f"{image.rsplit(':', 1)[0]}@sha256:{'5e' * 32}",
                    "ready": True,
                    "started": True,
                    "restartCount": 0,
                    "state": {"running": {"startedAt": started}},
                    "lastState": {},
                }
            ],
        },
    }


def reports_objects(registry: DemoRegistry) -> list[JSONObject]:
    """Namespace ``reports``: two pods of reports-api pulling with ``api-pull`` (the revoked
    login), one reports-worker pod with ``worker-pull`` (the accepted one). All running."""
    host = registry.host
    return [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": NAMESPACE, "labels": {"team": "reports"}},
        },
        _secret(REVOKED_SECRET, host, registry.revoked),
        _secret(ACCEPTED_SECRET, host, registry.accepted),
        *(
            _running_pod(
                f"reports-api-6b8d9c7f5-{suffix}",
                "reports-api",
                f"{host}/reports/api:2.3.0",
                REVOKED_SECRET,
                node,
            )
            for node, suffix in ((1, "q7x2m"), (2, "h4k9c"))
        ),
        _running_pod(
            "reports-worker-5c9f7d8b6-t2n8v",
            "reports-worker",
            f"{host}/reports/worker:1.8.1",
            ACCEPTED_SECRET,
            1,
        ),
    ]
