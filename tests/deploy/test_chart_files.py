"""The chart's copies of alerts/*.rules.yml and grafana/*.json equal their sources.

The first test runs on whatever the repository holds now (zero or more files); the others
prove on a scratch tree that a missing, stale or orphaned copy is caught and fixed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

CHART_FILES = Path("deploy/helm/imagepull-exporter/files")


@pytest.fixture(scope="module")
def sync(deploy_script: Callable[[str], ModuleType]) -> ModuleType:
    return deploy_script("sync")


def test_chart_copies_are_current(sync: ModuleType) -> None:
    stale = [str(d) for d in sync.differences()]
    assert stale == [], "run: python deploy/render.py (it syncs, then renders the manifests)"


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_an_empty_tree_is_in_sync(sync: ModuleType, tmp_path: Path) -> None:
    assert sync.differences(tmp_path) == []


def test_missing_stale_and_extra_copies_are_caught_then_fixed(
    sync: ModuleType, tmp_path: Path
) -> None:
    root = _tree(
        tmp_path,
        {
            "alerts/a.rules.yml": "groups: []\n",
            "alerts/config.yaml": "not a rules file\n",
            "grafana/pulls.json": '{"title": "new"}\n',
            f"{CHART_FILES}/dashboards/pulls.json": '{"title": "old"}\n',
            f"{CHART_FILES}/dashboards/removed.json": "{}\n",
            f"{CHART_FILES}/alerts/.gitkeep": "",
        },
    )
    found = {(str(d.copy), d.problem) for d in sync.differences(root)}
    assert found == {
        (f"{CHART_FILES}/alerts/a.rules.yml", "missing"),
        (f"{CHART_FILES}/dashboards/pulls.json", "stale"),
        (f"{CHART_FILES}/dashboards/removed.json", "extra"),
    }
    assert len(sync.sync(root)) == 3
    assert sync.differences(root) == []
    assert (root / CHART_FILES / "dashboards/pulls.json").read_text() == '{"title": "new"}\n'
    assert not (root / CHART_FILES / "dashboards/removed.json").exists()
    assert (root / CHART_FILES / "alerts/.gitkeep").exists()


def test_a_one_byte_change_is_stale(sync: ModuleType, tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {"alerts/a.rules.yml": "groups: []\n", f"{CHART_FILES}/alerts/a.rules.yml": "groups: []"},
    )
    assert [d.problem for d in sync.differences(root)] == ["stale"]


def test_check_mode_exits_nonzero_when_stale(sync: ModuleType, tmp_path: Path) -> None:
    root = _tree(tmp_path, {"grafana/x.json": "{}\n"})
    assert sync.main(["--check"], root) == 1
    assert not (root / CHART_FILES / "dashboards/x.json").exists()
