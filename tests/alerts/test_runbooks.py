"""Every alert links to a runbook section that exists, and the runbook's links resolve."""

from __future__ import annotations

import re

import pytest

from tests.alerts.conftest import RUNBOOKS, load_alert_rules

HEADING = re.compile(r"^#{1,6} (.+)$", re.MULTILINE)
EXPLICIT_ANCHOR = re.compile(r'<a id="([^"]+)"></a>')
LINK = re.compile(r"\]\(#([^)]+)\)")


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: ``"Preventing credential outages"`` ->
    ``"preventing-credential-outages"``."""
    slug = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return slug.replace(" ", "-")


def anchors() -> set[str]:
    text = RUNBOOKS.read_text()
    return {github_slug(h) for h in HEADING.findall(text)} | set(EXPLICIT_ANCHOR.findall(text))


@pytest.mark.parametrize("rule", load_alert_rules(), ids=lambda rule: str(rule["alert"]))
def test_alert_runbook_section_exists(rule: dict[str, object]) -> None:
    annotations = rule["annotations"]
    assert isinstance(annotations, dict)
    url, _, anchor = str(annotations["runbook_url"]).partition("#")
    assert url.endswith("docs/runbooks.md")
    assert anchor in anchors()
    # a heading named exactly like the alert, so the section reads as its title
    assert f"## {rule['alert']}\n" in RUNBOOKS.read_text()


def test_runbook_internal_links_resolve() -> None:
    broken = sorted(set(LINK.findall(RUNBOOKS.read_text())) - anchors())
    assert broken == []


def test_every_runbook_section_has_the_five_parts() -> None:
    sections = re.split(r"^## ", RUNBOOKS.read_text(), flags=re.MULTILINE)[1:]
    for rule in load_alert_rules():
        body = next(s for s in sections if s.startswith(f"{rule['alert']}\n"))
        for part in ("**Meaning.**", "**Impact.**", "**Confirm.**", "**Fix.**", "**Prevent.**"):
            assert part in body, f"{rule['alert']}: {part} missing"


def test_no_command_puts_a_token_on_its_command_line() -> None:
    """`ps`, the shell history and audit logs show arguments: tokens go through stdin."""
    text = RUNBOOKS.read_text()
    commands = "\n".join(re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL))
    assert "put_pull_secret() {" in commands
    assert not re.search(r"--docker-password[= ]", commands)
    assert not re.search(r"--arg \w+ \"\$(NEW_)?TOKEN\"", commands)
    assert "put_pull_secret" in commands.split("put_pull_secret() {", 1)[1]


def test_the_login_check_finds_the_entry_by_its_normalised_key() -> None:
    """The alert's `registry` is the normalised key: `https://ghcr.io` in the secret is
    `ghcr.io` in the alert, so a plain `.auths[$r]` finds nothing."""
    text = RUNBOOKS.read_text()
    assert ".auths[$r]" not in text
    assert 'sub("^https?://"; "") | sub("/v[12]/?$"; "") | rtrimstr("/") == $r' in text
