"""Fixtures of the browser tests (real JupyterLab + headless Chromium); the machinery
itself is in ``lab.py``. Every test under ``tests/ui`` gets the ``browser`` marker, so
``pytest -m "not browser"`` runs the fast tiers only.

Without Chromium the browser tests are skipped, unless ``NBLABEL_REQUIRE_BROWSER=1``
(set by ``./dev test``, hence CI), where a missing browser is an error."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # ``import lab`` whatever pytest's --import-mode
    sys.path.insert(0, str(HERE))

import lab  # noqa: E402


def pytest_collection_modifyitems(config, items):
    # this hook sees the whole session's items: mark only ours
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """On a failing browser test, screenshot every open page and dump its console
    errors into ``artifacts/FAILED-<test>-<n>.png/.txt`` (what CI keeps)."""
    report = yield
    if report.failed and lab.OPEN_PAGES and HERE in item.path.resolve().parents:
        name = "FAILED-" + "".join(c if c.isalnum() else "_" for c in item.name)[:80]
        for n, page in enumerate(list(lab.OPEN_PAGES)):
            try:
                path = lab.screenshot(page, f"{name}-{n}")
                path.with_suffix(".txt").write_text(
                    "errors:\n" + "\n".join(page.errors)
                    + "\n\nblocked:\n" + "\n".join(page.blocked) + "\n")
                report.sections.append(("browser", f"screenshot: {path}"))
            except Exception as e:  # a crashed page must not hide the real failure
                report.sections.append(("browser", f"no screenshot of page {n}: {e}"))
    return report


@pytest.fixture(scope="session", autouse=True)
def _fresh_latency_log():
    (lab.ARTIFACTS / "latency.jsonl").unlink(missing_ok=True)


@pytest.fixture(scope="session")
def jupyter_server(tmp_path_factory, request):
    """One JupyterLab for the session; tests put their notebooks into
    ``jupyter_server.root_dir`` (``write_notebook`` or ``jupyter_server.copy_in``)."""
    t0 = time.perf_counter()
    server = lab.start_jupyter_server(tmp_path_factory.mktemp("jupyter"))
    print(f"\n[jupyter] ready on {server.url} (pid {server.proc.pid}) "
          f"in {time.perf_counter() - t0:.1f}s")
    yield server
    lab.stop_process(server.proc)
    if request.session.testsfailed:
        print(f"\n[jupyter] server log tail ({server.log_path}):\n{server.log_tail(4000)}")


@pytest.fixture(scope="session")
def browser():
    if not Path(lab.CHROMIUM).exists():
        msg = f"{lab.CHROMIUM} not found (apt-get install -y chromium, or set $CHROMIUM)"
        if os.environ.get("NBLABEL_REQUIRE_BROWSER") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    pytest.importorskip("playwright.sync_api")
    with lab.chromium() as b:
        yield b


@pytest.fixture
def page(browser):
    """A fresh page for one test (prefer one module-scoped page per notebook: loading
    Lab and running a notebook costs seconds, interactions cost milliseconds)."""
    p = lab.open_page(browser)
    yield p
    lab.close_page(p)
