"""Server TLS from ``tls_server_config``, and a listener context whose certificates can change.

asyncio hands the listening socket's ``SSLContext`` to every accepted connection and
offers no way to replace it, so :class:`SwitchableServerContext` gives the listener one
context whose SNI callback (OpenSSL calls it for every ClientHello, with or without a
server name) moves the new connection onto the current context: its certificate, key and
client CA store. Building a whole new context and switching to it, rather than calling
``load_cert_chain`` on the live one, means a reload never leaves a half-loaded context
(a new certificate with the old key) and a rotated client CA really replaces the old one
(a context's CA store only grows).
"""

from __future__ import annotations

import contextlib
import os
import ssl
import tempfile
from collections.abc import Iterator
from pathlib import Path

from exporter.http.webconfig import ClientAuth, Pem, TlsServerConfig, WebConfigError

VERIFY_MODES = {
    ClientAuth.NO_CLIENT_CERT: ssl.CERT_NONE,
    ClientAuth.REQUEST_CLIENT_CERT: ssl.CERT_NONE,
    ClientAuth.VERIFY_CLIENT_CERT_IF_GIVEN: ssl.CERT_OPTIONAL,
    ClientAuth.REQUIRE_AND_VERIFY_CLIENT_CERT: ssl.CERT_REQUIRED,
}


def build_server_context(tls: TlsServerConfig) -> ssl.SSLContext:
    """A server context for ``tls``; raises :class:`WebConfigError` naming the file at fault."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = tls.min_version
    context.maximum_version = tls.max_version
    try:
        with _pem_path(tls.cert) as cert, _pem_path(tls.key) as key:
            context.load_cert_chain(cert, key)
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        raise WebConfigError(
            f"tls_server_config: cannot load the certificate ({tls.cert.describe()}) "
            f"with its key ({tls.key.describe()}): {_ssl_reason(exc)}"
        ) from None
    if tls.client_ca is not None:
        try:
            if tls.client_ca.path is not None:
                context.load_verify_locations(cafile=tls.client_ca.path)
            else:
                context.load_verify_locations(cadata=tls.client_ca.data.decode())
        except (OSError, ValueError) as exc:
            raise WebConfigError(
                f"tls_server_config: cannot load the client CA ({tls.client_ca.describe()}): "
                f"{_ssl_reason(exc)}"
            ) from None
    context.verify_mode = VERIFY_MODES[tls.client_auth]
    return context


class SwitchableServerContext:
    """Give :attr:`listener` to the server once; :meth:`switch_to` changes new handshakes.

    Example::

        switchable = SwitchableServerContext(build_server_context(tls))
        site = web.TCPSite(runner, host, port, ssl_context=switchable.listener)
        switchable.switch_to(build_server_context(rotated))  # the next handshake: new cert
    """

    def __init__(self, listener: ssl.SSLContext) -> None:
        self.listener = listener
        self._current = listener
        listener.sni_callback = self._on_client_hello

    def switch_to(self, context: ssl.SSLContext) -> None:
        """Serve new connections from ``context``; established ones keep their session."""
        # OpenSSL copies the protocol versions and the verify mode from the listener's
        # context when a connection starts, before the SNI callback: set them there too.
        self.listener.minimum_version = context.minimum_version
        self.listener.maximum_version = context.maximum_version
        self.listener.verify_mode = context.verify_mode
        self._current = context

    def _on_client_hello(
        self, connection: ssl.SSLObject, _server_name: str | None, _listener: ssl.SSLContext
    ) -> None:
        # Certificate, key and the store that verifies client certificates follow the switch.
        connection.context = self._current


@contextlib.contextmanager
def _pem_path(pem: Pem) -> Iterator[str]:
    """A path OpenSSL can read ``pem`` from; inline PEM never touches a disk where possible."""
    if pem.path is not None:
        yield str(pem.path)
        return
    if hasattr(os, "memfd_create"):
        descriptor = os.memfd_create("web-config-pem", os.MFD_CLOEXEC)
        try:
            os.write(descriptor, pem.data)
            yield f"/proc/self/fd/{descriptor}"
        finally:
            os.close(descriptor)
        return
    with tempfile.TemporaryDirectory() as directory:  # mode 0700, removed on exit
        path = Path(directory) / "pem"
        path.write_bytes(pem.data)
        yield str(path)


def _ssl_reason(exc: OSError | ValueError) -> str:
    if isinstance(exc, ssl.SSLError):
        # e.g. KEY_VALUES_MISMATCH, NO_START_LINE: OpenSSL's reason, without its file/line.
        return exc.reason or "invalid PEM"
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return "invalid PEM"
