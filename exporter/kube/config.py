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
import os
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubernetes import config as kube_config
from kubernetes.client import Configuration

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
            if not Path(path).is_file():
                raise ConfigError(f"kubeconfig {path} does not exist")
            kube_config.load_kube_config(
                config_file=path,
                context=context,
                client_configuration=configuration,
                persist_config=False,
            )
            source = f"kubeconfig {path}"
            namespace = _context_namespace(path, context)
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
