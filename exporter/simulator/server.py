"""The :class:`Simulator`: an aiohttp server speaking the Kubernetes REST protocol."""

from __future__ import annotations

import asyncio
import hmac
import os
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from exporter.simulator import control, discovery, errors, openapi
from exporter.simulator.chaos import DEFAULT_STALL_SECONDS, RESTART, Chaos
from exporter.simulator.cluster import Cluster
from exporter.simulator.faults import Fault, FaultQueue, fault_name
from exporter.simulator.kubeconfig import kubeconfig, write_kubeconfig
from exporter.simulator.resources import resource_for_kind
from exporter.simulator.routes import handle_api, json_response
from exporter.simulator.scenarios import load_scenario_objects
from exporter.simulator.store import clone
from exporter.simulator.tls import ServingCertificate, self_signed

JSONObject = dict[str, Any]
_ANONYMOUS_PATHS = frozenset({"/version", "/healthz", "/livez", "/readyz"})
_SIMULATOR_MANAGER = "imagepull-simulator"


def _document_handler(
    document: Callable[[web.Request], JSONObject],
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        return json_response(document(request))

    return handler


_OPENAPI_V2 = openapi.openapi_v2_document()
_OPENAPI_V2_PROTOBUF = openapi.openapi_v2_protobuf(_OPENAPI_V2)


async def _openapi_v2(request: web.Request) -> web.StreamResponse:
    """JSON, or gnostic protobuf for the media types client-go's discovery asks for."""
    accept = request.headers.get("Accept", "")
    if not any(t in accept for t in openapi.PROTOBUF_TYPES):
        return json_response(_OPENAPI_V2)
    response = web.Response(body=_OPENAPI_V2_PROTOBUF)
    # kube-openapi answers both spellings with the one Go's mime parser accepts ('@' is not)
    response.headers["Content-Type"] = openapi.PROTOBUF_TYPES[1]
    return response


async def _ok(_: web.Request) -> web.StreamResponse:
    return web.Response(text="ok")


class Simulator:
    """A Kubernetes API server simulator.

    >>> sim = Simulator()
    >>> sim.apply_objects([{"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": "a"}}])
    >>> sim.get("namespaces", None, "a")["status"]["phase"]
    'Active'
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        bookmark_interval: float = 60.0,
        history_limit: int = 10000,
        tls: bool = False,
        chaos_rate: float = 0.0,
        chaos_seed: int | None = None,
        chaos_stall_seconds: float = DEFAULT_STALL_SECONDS,
    ) -> None:
        """``tls=True`` serves HTTPS with a self-signed certificate (kubectl sends a token
        only over TLS); the kubeconfig written by :meth:`write_kubeconfig` trusts it.
        ``chaos_rate`` > 0 injects random faults (see :mod:`exporter.simulator.chaos`);
        a chaotic stall keeps a watch silent for ``chaos_stall_seconds``."""
        self.token = token
        self.tls = tls
        self.certificate: ServingCertificate | None = None
        self.bookmark_interval = bookmark_interval
        self.cluster = Cluster(history_limit)
        self.faults = FaultQueue()
        self.chaos = Chaos(chaos_rate, chaos_seed, stall_seconds=chaos_stall_seconds)
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}})

    @property
    def url(self) -> str:
        """Base URL of the running server (``http://127.0.0.1:PORT``)."""
        if self._url is None:
            raise RuntimeError("the simulator is not running")
        return self._url

    # --- serving -------------------------------------------------------------------

    def make_app(self) -> web.Application:
        """The aiohttp application (start() runs it; tests may mount it elsewhere)."""
        app = web.Application(middlewares=[self._errors_and_auth], client_max_size=16 * 1024**2)
        documents: dict[str, Callable[[web.Request], JSONObject]] = {
            "/version": lambda _: discovery.VERSION,
            "/api": lambda request: discovery.api_versions(request.host),
            "/apis": lambda _: discovery.API_GROUPS,
            "/api/v1": lambda _: discovery.api_resource_list(),
            "/openapi/v3": lambda _: openapi.openapi_v3_root(),
            "/openapi/v3/api/v1": lambda _: openapi.openapi_v3_document(),
        }
        for path, document in documents.items():
            app.router.add_get(path, _document_handler(document))
        app.router.add_get("/openapi/v2", _openapi_v2)
        for probe in ("/healthz", "/livez", "/readyz"):
            app.router.add_get(probe, _ok)
        control.add_routes(app, self)
        app.router.add_route("*", "/api/v1/{tail:.+}", self._handle_api)
        return app

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        return await handle_api(request, self)

    @web.middleware
    async def _errors_and_auth(self, request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            if self.token and request.path not in _ANONYMOUS_PATHS:
                # The scheme is case-insensitive, as the API server's bearer authenticator
                # reads it (client-go's in-cluster config sends "bearer").
                scheme, _, given = request.headers.get("Authorization", "").partition(" ")
                if scheme.lower() != "bearer" or not hmac.compare_digest(
                    given.encode(), self.token.encode()
                ):
                    raise errors.unauthorized()
            response: web.StreamResponse = await handler(request)
            return response
        except errors.ApiError as error:
            response = json_response(error.status(), error.code)
            response.headers.update(error.headers)
            return response
        except web.HTTPNotFound:
            return json_response(
                errors.ApiError(
                    404, "NotFound", "the server could not find the requested resource", {}
                ).status(),
                404,
            )

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (0: any free port) and return the base URL."""
        self._runner = web.AppRunner(
            self.make_app(), handle_signals=False, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        context = None
        if self.tls:
            self.certificate = await asyncio.to_thread(self_signed, host)
            context = self.certificate.server_context()
        site = web.TCPSite(self._runner, host, port, ssl_context=context)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.base_events.Server)
        bound = server.sockets[0].getsockname()
        shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
        self._url = f"{'https' if self.tls else 'http'}://{shown}:{bound[1]}"
        return self._url

    async def stop(self) -> None:
        """End every watch and stop serving."""
        for table in self.cluster.tables.values():
            table.close_watches()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._url = None

    def write_kubeconfig(
        self, path: str | os.PathLike[str], *, namespace: str | None = None
    ) -> None:
        """Write a kubeconfig for this simulator (with its token, if any) to ``path``."""
        authority = self.certificate.cert_pem if self.certificate else None
        config = kubeconfig(self.url, token=self.token, namespace=namespace, authority=authority)
        write_kubeconfig(path, config)

    # --- objects -------------------------------------------------------------------

    def _plural(self, obj: JSONObject) -> str:
        resource = resource_for_kind(str(obj.get("kind")))
        if resource is None or obj.get("apiVersion", "v1") != "v1":
            raise ValueError(
                f"the simulator does not serve {obj.get('apiVersion')}/{obj.get('kind')}"
            )
        return resource.plural

    def create(self, obj: JSONObject) -> JSONObject:
        """Create ``obj`` (its ``kind`` says the resource); raises :class:`ApiError`."""
        plural = self._plural(obj)
        namespace = obj.get("metadata", {}).get("namespace") or "default"
        created = self.cluster.create(plural, namespace, obj, manager=_SIMULATOR_MANAGER)
        result: JSONObject = clone(created)
        return result

    def replace(self, obj: JSONObject) -> JSONObject:
        """Replace ``obj`` (unconditionally unless it carries a resourceVersion)."""
        plural = self._plural(obj)
        meta = obj.get("metadata", {})
        namespace = (
            meta.get("namespace") or "default"
            if self.cluster.table(plural).resource.namespaced
            else ""
        )
        replaced = self.cluster.replace(
            plural, namespace, meta["name"], obj, manager=_SIMULATOR_MANAGER
        )
        result: JSONObject = clone(replaced)
        return result

    def delete(self, resource: str, namespace: str | None, name: str) -> JSONObject:
        """Delete an object; returns it as it was (404 :class:`ApiError` if missing)."""
        result: JSONObject = clone(self.cluster.delete(resource, namespace or "", name))
        return result

    def get(self, resource: str, namespace: str | None, name: str) -> JSONObject:
        """A copy of an object (404 :class:`ApiError` if missing)."""
        obj = self.cluster.get(resource, namespace or "", name)
        return {
            "kind": self.cluster.table(resource).resource.kind,
            "apiVersion": "v1",
            **clone(obj),
        }

    def apply_objects(self, objects: list[JSONObject]) -> None:
        """Create or replace each object; namespaces they live in are created as needed."""
        for obj in objects:
            plural = self._plural(obj)
            meta = obj.setdefault("metadata", {})
            namespaced = self.cluster.table(plural).resource.namespaced
            if namespaced:
                namespace = meta.setdefault("namespace", "default")
                if ("", namespace) not in self.cluster.table("namespaces").objects:
                    self.create(
                        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
                    )
            key = (meta.get("namespace", "") if namespaced else "", meta.get("name", ""))
            manager = _SIMULATOR_MANAGER
            if key in self.cluster.table(plural).objects:
                body = {
                    **obj,
                    "metadata": {k: v for k, v in meta.items() if k != "resourceVersion"},
                }
                self.cluster.replace(plural, key[0], key[1], body, manager=manager)
            else:
                self.cluster.create(plural, key[0], obj, manager=manager)

    def load_scenario(self, name_or_path: str) -> None:
        """Load a scenario (built-in name or YAML path); see :mod:`exporter.simulator.scenarios`."""
        objects = load_scenario_objects(name_or_path)
        for obj in objects:
            if obj.get("kind") == "Event":
                self._link_event(obj)
            else:
                self.apply_objects([obj])
        self.apply_objects([o for o in objects if o.get("kind") == "Event"])

    def _link_event(self, event: JSONObject) -> None:
        """Give a scenario event the uid of the pod it is about (unknown when written)."""
        involved = event.get("involvedObject") or {}
        if involved.get("kind") != "Pod" or involved.get("uid"):
            return
        namespace = involved.get("namespace") or event.get("metadata", {}).get("namespace", "")
        pod = self.cluster.tables["pods"].objects.get((namespace, involved.get("name", "")))
        if pod is not None:
            involved["uid"] = pod["metadata"]["uid"]

    # --- faults --------------------------------------------------------------------

    def inject(self, fault: Fault) -> None:
        """Queue a one-shot fault (see :mod:`exporter.simulator.faults`)."""
        self.faults.add(fault)

    def break_watches(self, resource: str, fault: Fault) -> int:
        """Break every open watch of ``resource`` (a plural) with a fault that ends a stream
        (``Gone``, ``ErrorEvent``, ``Stall``, ``DisconnectMidLine``, ``TruncatedLine``);
        returns how many watches it broke. Long-held watches see no new request to inject
        into: this reaches them where they are."""
        broken = self.cluster.table(resource).break_watches(fault)
        if broken:
            self.faults.fired[fault_name(fault)] += 1
        return broken

    def set_chaos(self, rate: float, seed: int | None = None) -> None:
        """Change the chaos rate at run time (``ValueError`` outside 0-1); 0 turns chaos off
        and ends every stall in progress, so the API behaves from then on."""
        self.chaos.set(rate, seed)
        if rate == 0.0:
            for table in self.cluster.tables.values():
                table.end_stalls()

    def injected(self) -> Counter[str]:
        """Every fault applied so far, by kind: chaos draws plus one-shot faults, broken
        watches and restarts (see :data:`exporter.simulator.chaos.KINDS`)."""
        return self.chaos.injected + self.faults.fired

    def compact(self) -> None:
        """Forget watch history: any resourceVersion older than the current one is 410."""
        self.cluster.forget_history()

    def restart(self) -> None:
        """Act like an API server restart: watches close, history and continue tokens expire."""
        self.faults.fired[RESTART] += 1
        self.cluster.restart()
