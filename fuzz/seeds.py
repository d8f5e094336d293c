"""Write the seed corpus: ``python fuzz/seeds.py`` (re)creates ``fuzz/corpus/*/seed-*``.

Seeds are real-world shapes (kubectl-made secrets, ECR and ACR tokens, kubelet messages)
and the hostile ones the issue names, so a short fuzz run starts from deep paths.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from fuzz_input import SEPARATOR

CORPUS = Path(__file__).parent / "corpus"
NONE_JWT = b"eyJhbGciOiJub25lIn0.eyJleHAiOjE3ODAwMDM2MDAsImlhdCI6MTc4MDAwMDAwMH0."
ECR = base64.b64encode(b'{"payload":"x","datakey":"y","version":"2","type":"DATA_KEY",'
                       b'"expiration":1780043200}')  # fmt: skip


def _join(*parts: bytes) -> bytes:
    return SEPARATOR.join(parts)


def _pull_secret() -> dict[str, bytes]:
    entry = {"username": "bot", "password": "ghp_" + "a" * 36, "auth": "Ym90OnB3"}
    kubectl = json.dumps({"auths": {"https://index.docker.io/v1/": entry}}).encode()
    return {
        "kubectl": bytes([0]) + kubectl,
        "dockercfg": bytes([1]) + b'{"ghcr.io": {"auth": "dTpw", "email": "a@b"}}',
        "not-base64": bytes([4]) + b"%%% not base64 \xff",
        "entry-json": bytes([8]) + b'{"username": "AWS", "password": "' + ECR + b'"}',
        "acr-jwt": bytes([8]) + b'{"username": "00000000-0000-0000-0000-000000000000", '
        b'"password": "' + NONE_JWT + b'"}',
        "password": bytes([12]) + b"x" * 40 + b"\xff\xfe",
        "annotation": _join(bytes([0]) + kubectl, b"2030-01-01T00:00:00Z"),
        "nested": bytes([0]) + b"[" * 5000 + b"]" * 5000,
        "alg-none-nested": bytes([8])
        + b'{"password": "eyJhbGciOiJub25lIn0.'
        + base64.urlsafe_b64encode(b"[" * 3000).rstrip(b"=")
        + b'."}',
        "huge-exp": bytes([8])
        + b'{"password": "eyJhbGciOiJub25lIn0.'
        + base64.urlsafe_b64encode(b'{"exp": 1' + b"0" * 400 + b"}").rstrip(b"=")
        + b'."}',
    }


def _events() -> dict[str, bytes]:
    return {
        "auth": bytes([0]) + b'Failed to pull image "ghcr.io/acme/api:v1": rpc error: code = '
        b"Unknown desc = failed to authorize: 401 Unauthorized",
        "backoff": bytes([1]) + b'Back-off pulling image "nginx:1.27"',
        "rate-limit": bytes([0]) + b'Failed to pull image "nginx": toomanyrequests: You have '
        b"reached your pull rate limit.",
        "crio": bytes([0]) + b"reading manifest v1 in quay.io/acme/api: manifest unknown",
        "url": bytes([0]) + b'Get "https://registry-1.docker.io/v2/": net/http: TLS handshake',
        "control": bytes([16]) + b"x\x00\x1b[2J\r\n\xed\xa0\x80\xff" * 200,
        "long": bytes([16]) + b"ghcr.io/" * 2000 + b'"',
        "count": _join(bytes([0]) + b'Failed to pull image "a": denied', b"a:1", b"9" * 500),
    }


def _exposition() -> dict[str, bytes]:
    return {
        "plain": _join(
            bytes([0]) + b"ns",
            b"p",
            b"ghcr.io/a:1",
            b"denied",
            b"s",
            b"ghcr.io",
            b'{"metadata": {"name": "x"}}',
        ),
        "escapes": _join(
            bytes([1]) + b'n"s', b"p\\\n", b'i"\n\\', b"m\r\n", b"s}", b"r\x00", b"[]"
        ),
        "surrogates": _join(
            bytes([2]) + b"\xed\xa0\x80",
            b"\xff",
            b"\xc3(",
            b"",
            b"",
            b"\xfe",
            b'{"metadata": {"name": "\\ud800"}, "count": 1e400}',
        ),
        "long": _join(
            bytes([3]) + b"n" * 300,
            b"p" * 300,
            b"r.io/" + b"i" * 600,
            b"m" * 9000,
            b"s" * 300,
            b"k" * 1100,
            b"{}",
        ),
    }


def main() -> None:
    for target, seeds in (("pull_secret", _pull_secret()), ("events", _events()),
                          ("exposition", _exposition())):  # fmt: skip
        directory = CORPUS / target
        directory.mkdir(parents=True, exist_ok=True)
        for name, data in seeds.items():
            (directory / f"seed-{name}").write_bytes(data)


if __name__ == "__main__":
    main()
