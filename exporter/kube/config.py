"""Where the API is and how to authenticate, loaded by the ``kubernetes`` package's loaders.

Resolution order, as kubectl does it plus in-cluster: ``--kubeconfig``, else
``$KUBECONFIG`` (first file of the list), else the in-cluster service account when
``KUBERNETES_SERVICE_HOST`` is set, else ``~/.kube/config``.

The loaders handle client certificates, bearer tokens, basic auth, exec plugins and
contexts; they put the whole ``Authorization`` header value under
``api_key["BearerToken"]`` and keep a refresh hook that re-runs the exec plugin when its
credential expires or re-reads the projected service-account token every minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from kubernetes import config as kube_config
from kubernetes.client import Configuration

from exporter.errors import yaml_problem
from exporter.kube.errors import ConfigError


@dataclass(frozen=True)
class ApiConfig:
    """A loaded API configuration; ``authorization`` fetches the current header value."""

    host: str
    ssl_context: ssl.SSLContext | None
    tls_server_name: str | None
    namespace: str | None
    source: str
    _configuration: Any = field(repr=False, compare=False)

    def authorization_sync(self) -> str | None:
        """The ``Authorization`` header value, refreshed if its credential expired."""
        try:
            value: str | None = self._configuration.get_api_key_with_prefix("BearerToken")
        except Exception as exc:  # exec plugin or token file failure at run time
            raise ConfigError(f"cannot refresh API credentials: {type(exc).__name__}") from None
        return value

    async def authorization(self) -> str | None:
        """Same as :meth:`authorization_sync`, off the event loop (exec plugins block)."""
        if self._configuration.refresh_api_key_hook is None:
            return self.authorization_sync()
        return await asyncio.to_thread(self.authorization_sync)


def load_api_config(kubeconfig: str | None = None, context: str | None = None) -> ApiConfig:
    """Load the configuration the way the ``--kubeconfig``/``--context`` flags describe.

    Raises :class:`ConfigError` with a one-line reason when it cannot be used.
    """
    explicit = kubeconfig or _first_env_kubeconfig()
    configuration = Configuration()
    namespace: str | None = None
    try:
        if explicit is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
            kube_config.load_incluster_config(
                client_configuration=configuration, try_refresh_token=True
            )
            source = "in-cluster service account"
            namespace = _incluster_namespace()
        else:
            path = explicit or str(Path("~/.kube/config").expanduser())
            _check_kubeconfig_file(path)
            with _loader_errors() as failed:
                kube_config.load_kube_config(
                    config_file=path,
                    context=context,
                    client_configuration=configuration,
                    persist_config=False,
                )
            if failed:
                raise ConfigError(
                    f"kubeconfig {path}: its exec credential plugin failed "
                    "(run kubectl with the same kubeconfig to see why)"
                )
            source = f"kubeconfig {path}"
            namespace = _context_namespace(path, context)
        _check_host(configuration.host, source)
        _check_credential(configuration, source)
        ssl_context = _ssl_context(configuration)
    except ConfigError:
        raise
    except Exception as exc:
        raise ConfigError(f"cannot load Kubernetes configuration: {_describe(exc)}") from None
    return ApiConfig(
        host=configuration.host.rstrip("/"),
        ssl_context=ssl_context,
        tls_server_name=getattr(configuration, "tls_server_name", None) or None,
        namespace=namespace,
        source=source,
        _configuration=configuration,
    )


def _check_kubeconfig_file(path: str) -> None:
    """A readable YAML mapping; messages give a position, never the file's content."""
    file = Path(path)
    if not file.exists():
        raise ConfigError(f"kubeconfig {path} does not exist")
    if not file.is_file():
        raise ConfigError(f"kubeconfig {path} is not a file")
    try:
        loaded = yaml.safe_load(file.read_bytes())
    except OSError as exc:
        raise ConfigError(f"cannot read kubeconfig {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"kubeconfig {path} is not valid YAML: {yaml_problem(exc)}") from None
    if not isinstance(loaded, dict):
        raise ConfigError(f"kubeconfig {path} is not a kubeconfig (a YAML mapping)")


class _Capture(logging.Filter):
    """Takes the loader's ``logging.error`` calls (an exec plugin's stderr, which may hold
    anything) off the root logger, remembering only that they happened."""

    def __init__(self) -> None:
        super().__init__()
        self.errors = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR:
            self.errors += 1
        return False


@contextlib.contextmanager
def _loader_errors() -> Iterator[list[int]]:
    """Yields a list that is non-empty after the block if the loader logged an error."""
    root = logging.getLogger()
    capture, placeholder = _Capture(), logging.NullHandler()
    root.addFilter(capture)
    # logging.error() on an unconfigured root would install a stderr handler for good.
    added = not root.handlers
    if added:
        root.addHandler(placeholder)
    failed: list[int] = []
    try:
        yield failed
    finally:
        root.removeFilter(capture)
        if added:
            root.removeHandler(placeholder)
        if capture.errors:
            failed.append(capture.errors)


def _check_host(host: object, source: str) -> None:
    parts = urlsplit(str(host or ""))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        # The value is not echoed: a server URL may carry a user and password.
        raise ConfigError(f"{source}: the cluster's server is not an http(s) URL with a host")


def _check_credential(configuration: Any, source: str) -> None:
    value = configuration.api_key.get("BearerToken") or ""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in str(value)):
        raise ConfigError(f"{source}: its token contains control characters")


def _first_env_kubeconfig() -> str | None:
    paths = [p for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    return paths[0] if paths else None


def _context_namespace(path: str, context: str | None) -> str | None:
    contexts, current = kube_config.list_kube_config_contexts(config_file=path)
    chosen = next((c for c in contexts if c.get("name") == context), None) if context else current
    ns = ((chosen or {}).get("context") or {}).get("namespace")
    return str(ns) if ns else None


def _incluster_namespace() -> str | None:
    path = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def _ssl_context(configuration: Any) -> ssl.SSLContext | None:
    if not str(configuration.host).startswith("https"):
        return None
    if not configuration.verify_ssl:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        context = ssl.create_default_context(cafile=configuration.ssl_ca_cert)
    if configuration.cert_file:
        context.load_cert_chain(configuration.cert_file, configuration.key_file)
    return context


def _describe(exc: Exception) -> str:
    # The loaders' messages name files and keys, never credentials; keep one line.
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]
