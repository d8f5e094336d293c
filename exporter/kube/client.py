"""HTTP access to the Kubernetes API over one aiohttp session.

Two calls serve every resource: :meth:`KubeClient.get_json` for LIST pages and
:meth:`KubeClient.watch` for watch streams. Both return plain dicts decoded by
:mod:`exporter.kube.decoding` (only the fields the exporter reads), never the
``kubernetes`` package's typed models: decoding into those costs 20 times the rest of
the exporter together at 150,000 pods (``bench/RESULTS.md``).
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp

from exporter import __version__
from exporter.kube.config import ApiConfig
from exporter.kube.decoding import Decoder, Malformed, loads_object
from exporter.kube.errors import ApiError, KubeError, StreamError, error_for_status

MAX_LINE_BYTES = 16 * 1024 * 1024  # etcd caps objects at ~1.5 MiB; a longer line is garbage
MAX_RETRY_AFTER_SECONDS = 300.0
JSON = "application/json"
# Metadata only, as client-go's metadata informers ask: which objects exist, not their data.
METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
METADATA = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One line of a watch stream; ``object`` is decoded by the watch's decoder (one of
    :mod:`exporter.kube.types`)."""

    type: str
    object: Any


class KubeClient:
    """A thin client: URL building, auth header, status → exception, JSON decoding."""

    def __init__(
        self,
        config: ApiConfig,
        *,
        connect_timeout: float = 10.0,
        request_timeout: float = 60.0,
    ) -> None:
        self._config = config
        self._request_timeout = request_timeout
        self._connect_timeout = connect_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def host(self) -> str:
        return self._config.host

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                ssl=self._config.ssl_context if self._config.ssl_context else False,
                limit=32,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": f"imagepull-exporter/{__version__}"},
                auto_decompress=True,
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _headers(self, accept: str) -> dict[str, str]:
        headers = {"Accept": accept}
        authorization = await self._config.authorization()
        if authorization:
            headers["Authorization"] = authorization
        return headers

    async def get_json(
        self,
        path: str,
        params: Mapping[str, str],
        *,
        accept: str = JSON,
        decode: Callable[[bytes], T] = loads_object,  # type: ignore[assignment]
    ) -> T:
        """GET ``path`` and decode the JSON body; raises an ``ApiError`` subclass on errors.

        ``decode`` is a :class:`~exporter.kube.decoding.Decoder` method (``page`` for LISTs)
        or, by default, every field as a dict.
        """
        session = self._ensure_session()
        timeout = aiohttp.ClientTimeout(
            total=self._request_timeout, sock_connect=self._connect_timeout
        )
        try:
            async with session.get(
                self.host + path,
                params=params,
                headers=await self._headers(accept),
                timeout=timeout,
                server_hostname=self._config.tls_server_name,
            ) as response:
                if response.status != 200:
                    raise await _api_error(response)
                # Not response.read(), which keeps the body on the response: aiohttp's
                # response objects sit in reference cycles, and a page each (2 MiB of
                # pods) would wait for the cyclic collector.
                body = await response.content.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise StreamError("unreachable", _describe(exc)) from None
        try:
            return decode(body)
        except Malformed:
            raise StreamError("malformed", f"response to {path} is not a JSON object") from None

    async def watch(
        self,
        path: str,
        params: Mapping[str, str],
        *,
        inactivity_timeout: float,
        accept: str = JSON,
        decoder: Decoder[Any],
    ) -> AsyncIterator[WatchEvent]:
        """Yield the events of one watch request until the server ends it.

        ERROR events raise the matching ``ApiError`` (410 → ``Gone``); a stream that sends
        nothing for ``inactivity_timeout`` seconds raises ``StreamError("stalled")``.
        """
        session = self._ensure_session()
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=self._connect_timeout, sock_read=inactivity_timeout
        )
        try:
            async with session.get(
                self.host + path,
                params={**params, "watch": "true"},
                headers=await self._headers(accept),
                timeout=timeout,
                server_hostname=self._config.tls_server_name,
            ) as response:
                if response.status != 200:
                    raise await _api_error(response)
                async for line in _lines(response.content):
                    yield _decode_event(decoder, line)
                    # An idle watch must not keep the last object (a secret's data) alive.
                    del line
        except TimeoutError:
            raise StreamError("stalled", f"no data for {inactivity_timeout:g}s") from None
        except aiohttp.ClientPayloadError as exc:
            raise StreamError("disconnected", _describe(exc)) from None
        except aiohttp.ClientError as exc:
            raise StreamError("unreachable", _describe(exc)) from None


async def _lines(content: aiohttp.StreamReader) -> AsyncIterator[bytes]:
    """Split a chunked body into lines without aiohttp's 64 KiB line limit."""
    buffer = bytearray()
    async for chunk in content.iter_any():
        buffer += chunk
        del chunk  # see watch(): nothing raw outlives its event
        start = 0
        while (end := buffer.find(b"\n", start)) >= 0:
            if end > start:
                yield bytes(buffer[start:end])
            start = end + 1
        del buffer[:start]
        if len(buffer) > MAX_LINE_BYTES:
            raise StreamError("malformed", f"watch line longer than {MAX_LINE_BYTES} bytes")
    if buffer.strip():
        # The server closed the stream in the middle of a line: the event is lost.
        raise StreamError("disconnected", "stream ended in the middle of an event")


def _decode_event(decoder: Decoder[Any], line: bytes) -> WatchEvent:
    try:
        event_type, obj = decoder.event(line)
    except Malformed:
        raise StreamError("malformed", "watch line is not an event") from None
    if event_type == "ERROR":
        raise error_for_status(
            _int(obj.get("code"), 500), str(obj.get("reason", "")), _short(obj.get("message"))
        )
    if event_type not in ("ADDED", "MODIFIED", "DELETED", "BOOKMARK"):
        raise StreamError("malformed", "unknown watch event type")
    return WatchEvent(event_type, obj)


async def _api_error(response: aiohttp.ClientResponse) -> ApiError:
    reason, message = "", ""
    try:
        status = json.loads(await response.read())
        if isinstance(status, dict):
            reason, message = str(status.get("reason", "")), _short(status.get("message"))
    except (ValueError, RecursionError, aiohttp.ClientError):
        pass
    retry_after = _retry_after(response.headers.get("Retry-After"))
    return error_for_status(response.status, reason, message, retry_after)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), capped."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def _int(value: object, default: int) -> int:
    return value if isinstance(value, int) else default


def _short(value: object) -> str:
    return " ".join(str(value or "").split())[:300]


def _describe(exc: BaseException) -> str:
    # aiohttp's messages name the host and port; request headers are not in str(exc).
    return _short(str(exc)) or type(exc).__name__


__all__ = ["ApiError", "KubeClient", "KubeError", "WatchEvent"]
