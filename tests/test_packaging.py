"""The declared dependency ranges are the tested ones: ``requirements-lower.txt`` pins exactly
the lower bound of every dependency and user-facing extra in ``pyproject.toml``, and
``./dev compat`` (run by ``./dev test``) runs the suite on them."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
USER_EXTRAS = ["images", "plots", "learn", "parquet", "spans", "llm", "postgres"]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the oldest Python the project allows
    tomllib = pytest.importorskip("tomli")


def lower_bounds() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = list(project["dependencies"])
    for extra in USER_EXTRAS:
        declared += project["optional-dependencies"][extra]
    bounds = {}
    for requirement in declared:
        # "name[extra]>=1.2": the pin names the package, without the extra
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[a-z,]+\])?>=([0-9.]+)", requirement)
        assert match, f"{requirement!r}: declare a lower bound as name>=version"
        bounds[match.group(1).lower()] = match.group(2)
    return bounds


def pinned() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements-lower.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower()] = version
    return pins


def same_version(declared: str, pinned: str) -> bool:
    # "1.3" and "1.3.0" are the same release
    def parts(v: str) -> list[int]:
        return [int(p) for p in v.split(".")] + [0] * (3 - len(v.split(".")))

    return parts(declared) == parts(pinned)


def test_every_lower_bound_is_pinned_for_the_lower_bound_run():
    bounds, pins = lower_bounds(), pinned()
    missing = sorted(set(bounds) - set(pins))
    assert not missing, f"requirements-lower.txt lacks {missing}"
    differ = {n: (bounds[n], pins[n]) for n in bounds if not same_version(bounds[n], pins[n])}
    assert not differ, f"declared vs pinned lower bounds differ: {differ}"


def test_the_test_command_runs_the_lower_and_newest_matrix():
    dev = (ROOT / "dev").read_text()
    assert "requirements-lower.txt" in dev and "cmd_compat" in dev
    body = dev[dev.index("cmd_test()") :]
    assert "cmd_compat" in body[: body.index("\n}\n")], "./dev test no longer runs ./dev compat"
