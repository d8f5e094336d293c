"""classify never raises and always answers a Cause, whatever the text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.pullerrors import Cause, Classification, classify, pull_failure_event
from exporter.pullerrors.messages import MAX_INSPECTED_CHARS

# Fragments of real messages, so generated text reaches the interesting branches.
FRAGMENTS = st.sampled_from(
    [
        'Failed to pull image "',
        'Back-off pulling image "',
        '": ErrImagePull: ',
        "reading manifest ",
        " in quay.io/",
        "docker://",
        "https://ghcr.io/v2/",
        "/manifests/",
        "short-name ",
        "401 Unauthorized",
        "denied: ",
        "not found",
        "lookup x on y: ",
        '\\"',
        '"',
        ":",
        "@sha256:",
    ]
)
TEXT = st.lists(st.one_of(FRAGMENTS, st.text(max_size=40)), max_size=30).map("".join)
REASONS = st.one_of(
    st.none(), st.sampled_from(["Failed", "BackOff", "ErrImageNeverPull"]), st.text(max_size=20)
)


def _valid(found: Classification) -> bool:
    return isinstance(found.cause, Cause) and (found.image is None or len(found.image) <= 4096)


@settings(max_examples=300, deadline=None)
@given(message=TEXT, reason=REASONS)
def test_classify_answers_for_any_text(message: str, reason: str | None) -> None:
    assert _valid(classify(message, reason=reason))


@settings(max_examples=100, deadline=None)
@given(message=st.text(alphabet=st.characters(codec=None, categories=None), max_size=200))
def test_classify_answers_for_control_characters_and_surrogates(message: str) -> None:
    assert _valid(classify(message))
    assert _valid(classify(message + "\x00\ud800\udfff\x1b[31m\u202e"))


@settings(max_examples=20, deadline=None)
@given(
    reason=st.sampled_from(["Failed", "BackOff", "InspectFailed"]),
    # No ASCII letters: the filler must not spell a cause of its own.
    filler=st.text(alphabet="\x00\x1b\u00e9\u2192\u200b\ud800 .", min_size=1, max_size=3),
)
def test_huge_messages_are_bounded(reason: str, filler: str) -> None:
    message = 'Failed to pull image "nginx": ' + filler * (2_000_000 // len(filler)) + " EOF"
    found = classify(message)
    assert _valid(found)
    assert found.cause is Cause.NETWORK  # the tail is inspected too
    event = pull_failure_event(reason, message)
    assert event is None or _valid(event)


def test_the_inspected_part_is_bounded() -> None:
    message = "denied: " * 1_000_000
    assert classify(message).cause is Cause.DENIED
    assert MAX_INSPECTED_CHARS <= 8192
