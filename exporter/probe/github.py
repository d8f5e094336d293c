"""When a GitHub token expires, asked of GitHub's REST API: the ``source="probe"`` expiry.

GitHub sends ``GitHub-Authentication-Token-Expiration`` on REST API responses to requests
made with a token that expires (GitHub changelog 2021-07-26, "Expiration options for
personal access tokens"; google/go-github#2031 reads it from any API response). Nothing
shows ghcr.io sending it, so the probe asks the API itself, as tweag/credential-helper
does (``authenticate/github/github.go``): ``GET /rate_limit``, which does not consume the
primary REST rate limit (GitHub's "Rate limit" endpoint docs).

Only a credential probed at ghcr.io whose password is a GitHub token (``ghp_``,
``github_pat_``, ``gho_``, ``ghu_``, ``ghs_``, ``ghr_``) is sent, only there, only after the
registry accepted it, and only when ``--registry-probe-github-api`` is not empty. No
registry's answer can set an expiry: a misconfigured or hostile one could otherwise page
``ImagePullCredentialExpired`` with a date in the past.

Fine-grained PATs have been seen to get the current time in this header instead of their
expiry (google/go-github#3708). The API just accepted the token, so it has not expired: an
expiry less than :data:`MIN_LEAD_SECONDS` ahead is not believed.
"""

from __future__ import annotations

import asyncio
import datetime

import aiohttp
from yarl import URL

from exporter.credentials.kinds import Kind, prefix_kind

DEFAULT_GITHUB_API = "https://api.github.com"
EXPIRY_HEADER = "github-authentication-token-expiration"
#: Registry hosts served by GitHub, whose logins are GitHub tokens.
GITHUB_REGISTRY_HOSTS = frozenset({"ghcr.io"})
GITHUB_TOKEN_KINDS = frozenset({Kind.github_pat, Kind.github_fine_grained_pat, Kind.github_token})
MIN_LEAD_SECONDS = 3600.0


def parse_github_expiry(value: str | None) -> float | None:
    """GitHub's token expiry header as Unix time.

    >>> parse_github_expiry("2026-09-27 03:07:38 UTC")
    1790478458.0
    >>> parse_github_expiry("2026-09-27 05:07:38 +0200")
    1790478458.0
    >>> parse_github_expiry("never") is None
    True
    """
    if not value:
        return None
    text = value.strip()
    if text.endswith(" UTC"):
        text = text[:-4] + " +0000"
    try:
        parsed = datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S %z")
    except ValueError:
        return None
    return parsed.timestamp()


def asks_github(host: str, password: str, api_url: str) -> bool:
    """Whether a login probed at registry ``host`` goes to GitHub's API for its expiry.

    >>> asks_github("ghcr.io", "ghp_" + "x" * 36, DEFAULT_GITHUB_API)
    True
    >>> asks_github("ghcr.io", "hunter2", DEFAULT_GITHUB_API)  # not a GitHub token
    False
    >>> asks_github("quay.io", "ghp_" + "x" * 36, DEFAULT_GITHUB_API)
    False
    >>> asks_github("ghcr.io", "ghp_" + "x" * 36, "")  # --registry-probe-github-api=""
    False
    """
    return (
        bool(api_url)
        and host.lower() in GITHUB_REGISTRY_HOSTS
        and prefix_kind(password) in GITHUB_TOKEN_KINDS
    )


async def github_token_expiry(
    session: aiohttp.ClientSession, api_url: str, token: str, *, now: float, time_limit: float
) -> float | None:
    """The expiry GitHub's API reports for ``token``; ``None`` when it reports none (a
    token without expiry), refuses the token, cannot be reached, or reports an implausible
    one. Never raises, except on cancellation; never logs."""
    url = URL(api_url.rstrip("/") + "/rate_limit")
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"}
    try:
        async with (
            asyncio.timeout(time_limit),
            session.get(url, headers=headers, allow_redirects=False) as response,
        ):
            if response.status != 200:
                return None
            expiry = parse_github_expiry(response.headers.get(EXPIRY_HEADER))
    except Exception:  # an expiry is extra information: its absence is not an outcome
        return None
    if expiry is None or expiry < now + MIN_LEAD_SECONDS:
        return None
    return expiry
