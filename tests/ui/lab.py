"""Drive JupyterLab in headless Chromium: the generic machinery of nblabel's browser tests.

A plain module (no pytest fixtures here, see ``conftest.py``) so a benchmark script can
use it too::

    import sys; sys.path.insert(0, "tests/ui")
    import lab

    server = lab.start_jupyter_server(Path(tempfile.mkdtemp()))
    with lab.chromium() as browser:
        page = lab.open_page(browser)
        lab.write_notebook(server.root_dir / "nb.ipynb", ["import nblabel", "w = ...; w"])
        lab.open_notebook_in_lab(page, server, "nb.ipynb")
        probe = lab.KernelProbe.for_notebook(server, "nb.ipynb")
        lab.press(page, ".nblabel", "1")
        lab.wait_until(lambda: probe.eval("len(w.labels)") == 1)
    lab.stop_process(server.proc)

Each choice here answers a pitfall of running JupyterLab and Chromium as root, offline, on
a small machine (no phone-home, no sandbox, loopback only). Playwright is imported lazily so
that importing this module (and collecting the test suite) works without it.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

# --------------------------------------------------------------------------
# configuration (environment variables, so CI can tweak without editing code)
# --------------------------------------------------------------------------
REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Flags needed on a root, offline, GPU-less CI box. Playwright adds --headless and
# its own fresh temporary profile for every launch() (never pass --user-data-dir).
CHROMIUM_ARGS = [
    "--no-sandbox",  # required when running as root
    "--disable-gpu",
    "--disable-dev-shm-usage",  # small /dev/shm in containers
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",  # no calls to Google services
    "--disable-component-update",
    "--disable-sync",
    # the browser cannot resolve any host name: only loopback is reachable
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost",
]
SERVER_START_TIMEOUT = float(os.environ.get("JUPYTER_START_TIMEOUT", "60"))
ARTIFACTS = Path(os.environ.get("UI_ARTIFACTS", Path(__file__).parent / "artifacts"))
VIEWPORT = {"width": 1280, "height": 1000}
TIMEOUT_MS = 30_000  # default for every Playwright wait (the slowest step takes ~9 s)

# Flags that keep JupyterLab from reaching out to the internet (news feed, update
# check, the default "pypi" extension manager). ``./dev lab`` uses the same ones.
NO_PHONE_HOME = [
    "--LabApp.news_url=None",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    "--LabApp.extension_manager=readonly",
]
# User settings written into the server's private settings dir: no news/update toast
# (it covers widgets), no virtualised notebook (cells below the fold stay laid out).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "windowingMode": "none",
    },
}


# --------------------------------------------------------------------------
# Jupyter server
# --------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class JupyterServer:
    proc: subprocess.Popen
    port: int
    token: str
    root_dir: Path  # notebooks live here (the server's root_dir)
    runtime_dir: Path  # kernel connection files live here
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, path: str, method: str = "GET", timeout: float = 5) -> Any:
        req = urllib.request.Request(
            f"{self.url}{path}", method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def lab_url(self, notebook: str) -> str:
        # ?reset drops any saved workspace so every page starts from a clean layout
        return f"{self.url}/lab/tree/{notebook}?reset&token={self.token}"

    def notebook7_url(self, notebook: str) -> str:
        # the same server serves Notebook 7 (package ``notebook``) when it is installed
        return f"{self.url}/notebooks/{notebook}?token={self.token}"

    def voila_url(self, notebook: str) -> str:
        # Voila (package ``voila``) is a server extension of the same server: it runs the
        # notebook itself and shows only its outputs
        return f"{self.url}/voila/render/{notebook}?token={self.token}"

    def kernel_id(self, notebook: str) -> str:
        for session in self.api("/api/sessions"):
            if session["path"] == notebook:
                return session["kernel"]["id"]
        raise LookupError(f"no kernel session for {notebook}")

    def kernel_ids(self) -> set[str]:
        return {k["id"] for k in self.api("/api/kernels")}

    def copy_in(self, *names: str, src: Path = NOTEBOOKS) -> list[Path]:
        """Copy files or folders of the repo's ``notebooks/`` (or ``src``) into the
        server's root dir, keeping their names; returns the copies."""
        out = []
        for name in names:
            source, target = src / name, self.root_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, target, dirs_exist_ok=True)
            else:
                shutil.copy2(source, target)
            out.append(target)
        return out

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]


def _wait_until_ready(server: JupyterServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"jupyter exited with {server.proc.returncode}:\n"
                               + server.log_tail())
        try:
            server.api("/api/status", timeout=1)
            return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.2)
    raise TimeoutError(f"jupyter not ready after {timeout}s:\n" + server.log_tail())


def _die_with_parent() -> None:
    """Linux: SIGTERM the server if its parent (pytest) dies, so no server outlives a
    killed test run; a no-op elsewhere."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def stop_process(proc: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM the process we started (by PID), then SIGKILL its own process group."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)  # jupyter shuts its kernels down on SIGTERM
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=timeout)
    # start_new_session=True made the server the leader of its own process group,
    # so this reaches only the server and the kernels it spawned.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=5)


def start_jupyter_server(base: Path, extra_args: tuple[str, ...] = (),
                         settings: dict[str, dict] | None = None) -> JupyterServer:
    """Start JupyterLab on 127.0.0.1 (free port, random token) with every Jupyter dir
    under ``base``; returns once ``/api/status`` answers. Stop it with
    ``stop_process(server.proc)``. ``settings``: user settings beside :data:`LAB_SETTINGS`
    (by file, as there), such as the theme."""
    root, runtime, log = base / "root", base / "runtime", base / "server.log"
    settings_dir = base / "lab-settings"
    for d in (root, runtime, base / "config", base / "data", settings_dir, base / "workspaces"):
        d.mkdir(parents=True, exist_ok=True)
    for rel, value in {**LAB_SETTINGS, **(settings or {})}.items():
        f = settings_dir / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(value))

    env = dict(os.environ)
    env.update(
        # Isolate from ~/.jupyter, ~/.local/share/jupyter and saved workspaces.
        # Kernelspecs and labextensions are still found in sys.prefix/share/jupyter.
        JUPYTER_CONFIG_DIR=str(base / "config"),
        JUPYTER_DATA_DIR=str(base / "data"),
        JUPYTER_RUNTIME_DIR=str(runtime),
        JUPYTERLAB_SETTINGS_DIR=str(settings_dir),
        JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"),
        IPYTHONDIR=str(base / "ipython"),
        JUPYTER_PLATFORM_DIRS="1",
        PYDEVD_DISABLE_FILE_VALIDATION="1",
    )
    # the server and its kernels run in ``root``: a relative PYTHONPATH (``PYTHONPATH=src``)
    # would point nowhere there, and the kernels would import another copy of the package
    if env.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.pathsep.join(
            str(Path(entry).resolve()) if entry else entry
            for entry in env["PYTHONPATH"].split(os.pathsep))
    port, token = free_port(), os.urandom(16).hex()
    cmd = [
        sys.executable, "-m", "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.allow_root=True",  # CI runs as root; jupyter refuses otherwise
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        *NO_PHONE_HOME,
        *extra_args,
        *shlex.split(os.environ.get("JUPYTER_EXTRA_ARGS", "")),  # e.g. --config=...
    ]
    with open(log, "w") as logf:
        proc = subprocess.Popen(
            cmd, stdout=logf, stderr=subprocess.STDOUT, env=env, cwd=root,
            start_new_session=True, preexec_fn=_die_with_parent,
        )
    server = JupyterServer(proc, port, token, root, runtime, log)
    try:
        _wait_until_ready(server, SERVER_START_TIMEOUT)
    except BaseException:
        stop_process(proc)
        raise
    return server


# --------------------------------------------------------------------------
# Browser and pages
# --------------------------------------------------------------------------
@contextlib.contextmanager
def chromium(executable: str = CHROMIUM) -> Iterator[Browser]:
    """Debian's Chromium through Playwright (never ``playwright install``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


# Everything a page asks for outside the loopback server is aborted in the browser
# (and recorded in page.blocked).
NOT_LOOPBACK = re.compile(r"^(https?|wss?)://(?!127\.0\.0\.1[:/]|localhost[:/]|\[::1\][:/])")
OPEN_PAGES: list[Page] = []  # open pages, screenshotted by conftest when a test fails


def open_page(browser: Browser, viewport: dict | None = None) -> Page:
    """A page in a fresh browser context; close it with ``close_page(page)``.
    ``page.errors`` collects console errors and uncaught exceptions, ``page.blocked``
    the non-loopback URLs that were refused."""
    ctx = browser.new_context(viewport=viewport or VIEWPORT)
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    page.errors, page.blocked = [], []
    ctx.route(NOT_LOOPBACK, lambda route: (page.blocked.append(route.request.url),
                                           route.abort()))
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda e: page.errors.append(f"pageerror: {e}"))
    OPEN_PAGES.append(page)
    return page


def close_page(page: Page) -> None:
    with contextlib.suppress(ValueError):
        OPEN_PAGES.remove(page)
    page.context.close()


def screenshot(page: Page, name: str, locator: Locator | None = None) -> Path:
    """PNG of the page (or of ``locator``) into ``tests/ui/artifacts/<name>.png``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    (locator or page).screenshot(path=str(path))
    return path


def widget_errors(page: Page) -> list[str]:
    """Console errors that mention widgets/models/ESM (Lab logs unrelated ones too)."""
    words = ("widget", "model", "esm", "anywidget", "nblabel")
    return [e for e in page.errors if any(w in e.lower() for w in words)]


# --------------------------------------------------------------------------
# JupyterLab
# --------------------------------------------------------------------------
# Text that widget managers show while a view is pending or has failed.
WIDGET_PENDING_OR_FAILED = ("Loading widget", "Error displaying widget", "Failed to load model")
WIDGET_VIEWS = ".jupyter-widgets, .widget-container"  # ipywidgets' own views
_NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"
_STATUS_IDLE = "#jp-main-statusbar >> text=Idle"


def wait_for_widgets(page: Page, min_views: int = 1, selector: str = WIDGET_VIEWS,
                     timeout: float = 60_000) -> None:
    """Wait until at least ``min_views`` elements match ``selector`` and no output area
    still shows a loading/error placeholder. The default selector finds ipywidgets'
    views; an anywidget view has no such class, so pass the class its ESM gives its root
    (``".nblabel"``)."""
    page.wait_for_function(
        """([minViews, selector, bad]) => {
            const views = document.querySelectorAll(selector);
            const text = document.body.innerText;
            return views.length >= minViews && !bad.some(b => text.includes(b));
        }""",
        arg=[min_views, selector, list(WIDGET_PENDING_OR_FAILED)], timeout=timeout,
    )


def wait_idle(page: Page, timeout: float = 60_000) -> None:
    """Wait until the status bar shows the notebook's kernel as Idle."""
    page.locator(_STATUS_IDLE).wait_for(timeout=timeout)


def code_cells_status(page: Page) -> list[str]:
    """Input prompts of all code cells of the visible notebook, e.g. ['[1]:', '[*]:']
    ('' for collapsed code: to prove that nothing ran, compare
    ``probe.eval("get_ipython().execution_count")`` instead)."""
    return page.eval_on_selector_all(f"{_NOTEBOOK} .jp-CodeCell .jp-InputPrompt",
                                     "els => els.map(e => e.textContent.trim())")


def lab_menu(page: Page, menu: str, item: str) -> None:
    """Click a main-menu entry by its labels, e.g. ``lab_menu(page, "Run", "Run All Cells")``
    (command ids change between Lab versions; labels are what users see)."""
    # Lab's menu bar is #jp-menu-panel, Notebook 7's #menu-panel: the classes are the same
    page.locator(".lm-MenuBar .lm-MenuBar-item", has_text=menu).first.click()
    # match the label alone: an item's accessible name also holds its shortcut
    label = page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$"))
    page.locator(".lm-Menu .lm-Menu-item").filter(has=label).first.click()


def run_all(page: Page, timeout: float = 120_000,
            menu: tuple[str, str] = ("Run", "Run All Cells")) -> None:
    """Run > Run All Cells (or another ``menu`` entry), then wait until every code cell
    shows ``[n]`` and Idle. Collapsed code hides the prompts, so it is expanded meanwhile
    and collapsed again. After ``shutdown_kernel`` use ``menu=("Kernel", "Restart Kernel
    and Run All Cells…")``: Run All Cells alone starts a kernel but runs the first cell
    only; clear the outputs first (Edit > Clear Outputs of All Cells) so that the old
    prompts do not count as run."""
    collapsed = page.locator(f"{_NOTEBOOK} .jp-InputPlaceholder").count() > 0
    if collapsed:
        lab_menu(page, "View", "Expand All Code")
    lab_menu(page, *menu)
    page.wait_for_function(
        f"""() => {{
            const prompts = [...document.querySelectorAll(
                '{_NOTEBOOK} .jp-CodeCell .jp-InputArea .jp-InputPrompt')];
            return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }}""",
        timeout=timeout,
    )
    wait_idle(page, timeout)
    if collapsed:
        lab_menu(page, "View", "Collapse All Code")


def _wait_notebook_loaded(page: Page, timeout: float) -> None:
    page.locator(".jp-NotebookPanel .jp-CodeCell").first.wait_for(timeout=timeout)
    wait_idle(page, timeout)  # the kernel is started and idle


def open_notebook_in_lab(page: Page, server: JupyterServer, notebook: str,
                         min_widget_views: int = 1, widgets: str = WIDGET_VIEWS,
                         compact: bool = True, timeout: float = 120_000) -> dict[str, float]:
    """Open ``notebook`` (a path under ``server.root_dir``) in JupyterLab, run all cells
    through the menu and wait for every cell and for ``min_widget_views`` elements matching
    ``widgets`` (see ``wait_for_widgets``). ``compact`` then collapses all code and the
    left sidebar. Returns seconds since the start for each step."""
    t = {"start": time.perf_counter()}
    page.goto(server.lab_url(notebook))
    _wait_notebook_loaded(page, timeout)
    t["lab_loaded"] = time.perf_counter()
    run_all(page, timeout)
    t["cells_ran"] = time.perf_counter()
    wait_for_widgets(page, min_widget_views, widgets, timeout=timeout)
    t["widgets_rendered"] = time.perf_counter()
    if compact:
        lab_menu(page, "View", "Collapse All Code")
        # clicking the current tab of the left side bar collapses the file browser
        page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").click()
        page.locator("#jp-left-stack").wait_for(state="hidden")
    return {k: round(v - t["start"], 2) for k, v in t.items() if k != "start"}


@contextlib.contextmanager
def _page_with_probe(browser: Browser, server: JupyterServer, notebook: str,
                     cells: list[str] | None, viewport: dict | None,
                     open_it: Callable[[Page], KernelProbe]) -> Iterator[tuple[Page, KernelProbe]]:
    """Write ``notebook`` from ``cells`` (when given), open a page, let ``open_it`` show the
    notebook in it and return a probe on its kernel; close both at the end."""
    if cells is not None:
        write_notebook(server.root_dir / notebook, cells)
    page = open_page(browser, viewport)
    try:
        probe = open_it(page)
        try:
            yield page, probe
        finally:
            probe.close()
    finally:
        close_page(page)


def notebook_in_lab(browser: Browser, server: JupyterServer, notebook: str, *,
                    cells: list[str] | None = None, min_widget_views: int = 1,
                    widgets: str = WIDGET_VIEWS,
                    viewport: dict | None = None) -> contextlib.AbstractContextManager:
    """A page with ``notebook`` opened and run in Lab (written first from ``cells`` when
    given), and a probe on its kernel; both closed at the end. The usual module fixture."""

    def open_it(page: Page) -> KernelProbe:
        timings = open_notebook_in_lab(page, server, notebook,
                                       min_widget_views=min_widget_views, widgets=widgets)
        print(f"\n[lab] {timings}")
        return KernelProbe.for_notebook(server, notebook)

    return _page_with_probe(browser, server, notebook, cells, viewport, open_it)


def open_notebook_in_voila(page: Page, server: JupyterServer, notebook: str,
                           min_widget_views: int = 1, widgets: str = WIDGET_VIEWS,
                           timeout: float = 120_000) -> str:
    """Render ``notebook`` with Voila and wait for its widgets; returns the id of the kernel
    Voila started for the page (Voila kernels have no session: the one new kernel)."""
    before = server.kernel_ids()
    page.goto(server.voila_url(notebook))
    wait_for_widgets(page, min_widget_views, selector=widgets, timeout=timeout)
    new = server.kernel_ids() - before
    assert len(new) == 1, f"expected one new kernel for the Voila page, got {new}"
    return new.pop()


def open_notebook_in_notebook7(page: Page, server: JupyterServer, notebook: str,
                               min_widget_views: int = 1, widgets: str = WIDGET_VIEWS,
                               timeout: float = 120_000) -> dict[str, float]:
    """Open ``notebook`` in Notebook 7 (``/notebooks/<path>``), run all cells through its
    menu bar and wait for every cell and for ``min_widget_views`` elements matching
    ``widgets``. Notebook 7 has no status bar: a cell has run when its prompt shows ``[n]``.
    Returns seconds since the start for each step."""
    t = {"start": time.perf_counter()}
    page.goto(server.notebook7_url(notebook))
    page.locator(".jp-NotebookPanel .jp-CodeCell").first.wait_for(timeout=timeout)
    # the kernel is started (its logo shows) and idle: Run All before that asks for a kernel
    page.locator(".jp-NotebookKernelLogo img[src]").wait_for(timeout=timeout)
    page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').wait_for(timeout=timeout)
    t["notebook_loaded"] = time.perf_counter()
    lab_menu(page, "Run", "Run All Cells")
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll(
                '.jp-NotebookPanel .jp-CodeCell .jp-InputArea .jp-InputPrompt')];
            return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""",
        timeout=timeout,
    )
    t["cells_ran"] = time.perf_counter()
    wait_for_widgets(page, min_widget_views, widgets, timeout=timeout)
    t["widgets_rendered"] = time.perf_counter()
    return {k: round(v - t["start"], 2) for k, v in t.items() if k != "start"}


def notebook_in_notebook7(browser: Browser, server: JupyterServer, notebook: str, *,
                          cells: list[str] | None = None, min_widget_views: int = 1,
                          widgets: str = WIDGET_VIEWS,
                          viewport: dict | None = None) -> contextlib.AbstractContextManager:
    """Like ``notebook_in_lab``, in Notebook 7: a page with ``notebook`` opened and run, and
    a probe on its kernel."""

    def open_it(page: Page) -> KernelProbe:
        timings = open_notebook_in_notebook7(page, server, notebook,
                                             min_widget_views=min_widget_views, widgets=widgets)
        print(f"\n[notebook 7] {timings}")
        return KernelProbe.for_notebook(server, notebook)

    return _page_with_probe(browser, server, notebook, cells, viewport, open_it)


#: The front ends every widget is tested in, as the ``params`` of a module's fixture.
FRONT_ENDS = ["lab", "notebook7"]


def notebook_in_front_end(front_end: str, browser: Browser, server: JupyterServer, name: str,
                          **options: Any) -> contextlib.AbstractContextManager:
    """``notebook_in_lab`` or ``notebook_in_notebook7`` (``front_end``: one of
    :data:`FRONT_ENDS`) of the notebook ``name`` in a folder of its own per front end, so that
    each has its own store."""
    opener = {"lab": notebook_in_lab, "notebook7": notebook_in_notebook7}[front_end]
    return opener(browser, server, f"{Path(name).stem}_{front_end}/{name}", **options)


def notebook_in_voila(browser: Browser, server: JupyterServer, notebook: str, *,
                      cells: list[str] | None = None, min_widget_views: int = 1,
                      widgets: str = WIDGET_VIEWS,
                      viewport: dict | None = None) -> contextlib.AbstractContextManager:
    """Like ``notebook_in_lab``, served by Voila: a page showing only the outputs of
    ``notebook`` (which Voila runs itself), and a probe on the page's kernel."""

    def open_it(page: Page) -> KernelProbe:
        kernel_id = open_notebook_in_voila(page, server, notebook,
                                           min_widget_views=min_widget_views, widgets=widgets)
        return KernelProbe.for_kernel(server, kernel_id)

    return _page_with_probe(browser, server, notebook, cells, viewport, open_it)


def scroll_offsets(page: Page, selector: str) -> list[float]:
    """The window's scrollY and the scrollTop of every element around ``selector``: equal
    before and after a key press when the key scrolled nothing."""
    return page.locator(selector).first.evaluate(
        """el => { const out = [window.scrollY];
                   for (let n = el.parentElement; n; n = n.parentElement) out.push(n.scrollTop);
                   return out; }""")


def save_notebook(page: Page, timeout: float = 30_000) -> None:
    """File > Save Notebook; waits until the tab no longer shows unsaved changes."""
    lab_menu(page, "File", "Save Notebook")
    page.wait_for_function(
        """() => {
            const tab = document.querySelector('.jp-mod-current.lm-TabBar-tab');
            return tab && !tab.classList.contains('jp-mod-dirty');
        }""",
        timeout=timeout,
    )


def reload(page: Page, min_widget_views: int = 1, widgets: str = WIDGET_VIEWS,
           save: bool = True, timeout: float = 120_000) -> float:
    """Reload the browser page (what a user's F5 does) and wait until Lab has reopened
    the notebook on the *same* kernel and ``min_widget_views`` views matching ``widgets``
    are back.

    Widget views come back only from outputs saved in the notebook file, so by default
    the notebook is saved first (an unsaved page would show no widgets after a reload).
    Returns the seconds it took."""
    t0 = time.perf_counter()
    if save:
        save_notebook(page)
    page.reload()
    _wait_notebook_loaded(page, timeout)
    if min_widget_views:
        wait_for_widgets(page, min_widget_views, widgets, timeout=timeout)
    return round(time.perf_counter() - t0, 2)


def restart_kernel(page: Page, timeout: float = 60_000) -> None:
    """Kernel > Restart Kernel…, confirm the dialog, wait until Idle again. The kernel
    keeps its id and connection file, so a ``KernelProbe`` keeps working."""
    lab_menu(page, "Kernel", "Restart Kernel…")
    dialog = page.locator(".jp-Dialog")
    dialog.locator(".jp-Dialog-button.jp-mod-accept", has_text="Restart").click()
    dialog.wait_for(state="detached", timeout=timeout)
    # the status goes Restarting… -> Idle; wait until it is not Idle, then Idle
    with contextlib.suppress(Exception):  # too fast to see on a quick machine
        page.locator(_STATUS_IDLE).wait_for(state="detached", timeout=2_000)
    wait_idle(page, timeout)


def shutdown_kernel(page: Page, timeout: float = 60_000) -> None:
    """Kernel > Shut Down Kernel (no dialog in Lab 4), wait until the status bar shows
    "No Kernel". The server ends the kernel process and deletes the notebook's session;
    running a cell afterwards starts a new kernel with a new id (a new ``KernelProbe``)."""
    lab_menu(page, "Kernel", "Shut Down Kernel")
    page.locator("#jp-main-statusbar >> text=No Kernel").wait_for(timeout=timeout)


def dismiss_dialog(page: Page, button: str = "Ok", timeout: float = 10_000) -> bool:
    """Click ``button`` in a JupyterLab dialog if one shows up within ``timeout`` ms
    (e.g. "Kernel Restarting … appears to have died"). Returns whether one did."""
    dialog = page.locator(".jp-Dialog")
    try:
        dialog.wait_for(timeout=timeout)
    except Exception:
        return False
    dialog.locator(".jp-Dialog-button", has_text=button).first.click()
    dialog.wait_for(state="detached")
    return True


_SAFE_POINT_JS = """el => {
    // A point of el whose click lands on el itself or on a non-interactive child, so
    // that focusing cannot press an option button by accident. null if none.
    const r = el.getBoundingClientRect();
    const interactive =
        'button, input, select, textarea, a, label, [role=button], [contenteditable]';
    for (let fy = 0.02; fy < 1; fy += 0.06) {
        for (let fx = 0.02; fx < 1; fx += 0.06) {
            const x = r.left + fx * r.width, y = r.top + fy * r.height;
            const hit = document.elementFromPoint(x, y);
            if (!hit || !el.contains(hit)) continue;
            const control = hit.closest(interactive);
            if (!control || !el.contains(control) || control === el)
                return { x: x - r.left, y: y - r.top };
        }
    }
    return null;
}"""


def focus(page: Page, selector: str) -> None:
    """Give the element at ``selector`` the keyboard focus the way a user does: a click
    on a spot of it that holds no button/input (nothing gets pressed by accident); the
    click is skipped when it already has focus. Falls back to ``element.focus()``."""
    el = page.locator(selector).first
    if el.evaluate("e => e === document.activeElement"):
        return
    el.scroll_into_view_if_needed()
    point = el.evaluate(_SAFE_POINT_JS)
    if point is not None:
        el.click(position=point)
    if not el.evaluate("e => e === document.activeElement"):
        el.focus()



def lasso_rectangle(page: Page, left: float, top: float, right: float, bottom: float,
                    steps: int = 8) -> None:
    """Press the mouse at (left, top) and drag it round the rectangle back to the start, as a
    hand draws a lasso; the button stays down (the caller releases it with
    ``page.mouse.up()``, after a screenshot or a timer armed on the release)."""
    page.mouse.move(left, top)
    page.mouse.down()
    for x, y in [(right, top), (right, bottom), (left, bottom), (left, top + 1)]:
        page.mouse.move(x, y, steps=steps)


def press(page: Page, selector: str, key: str) -> None:
    """``focus(page, selector)``, then press ``key`` as a real key event (Playwright
    names: "1", "Enter", "Backspace", "ArrowLeft", "Shift+Enter", ...)."""
    focus(page, selector)
    page.keyboard.press(key)


def wait_attr(page: Page, selector: str, name: str, value: str,
              timeout: float = 10_000) -> None:
    """Wait until the first element at ``selector`` (any Playwright selector, so
    ``".nblabel-classify >> nth=1"`` works) has the attribute ``name`` equal to ``value``."""
    from playwright.sync_api import expect

    expect(page.locator(selector).first).to_have_attribute(name, value, timeout=timeout)



def wait_saved(page: Page, scope: str = ".nblabel", timeout: float = 10_000) -> None:
    """Wait until the widget at ``scope`` has no label pending: the kernel confirmed all."""
    wait_attr(page, f"{scope} >> .nblabel-status", "data-pending", "0", timeout=timeout)

def notebook_cells(page: Page) -> list[str]:
    """The type of each cell of the visible notebook, in order: ``["code", "markdown"]``
    (to prove that a key press added, deleted or retyped no cell)."""
    return page.eval_on_selector_all(
        f"{_NOTEBOOK} .jp-Cell",
        """els => els.map(e => e.classList.contains('jp-CodeCell') ? 'code'
                     : e.classList.contains('jp-MarkdownCell') ? 'markdown' : 'raw')""",
    )


def local_storage(page: Page, prefix: str = "") -> dict[str, Any]:
    """The page's ``localStorage`` entries whose key starts with ``prefix`` (values parsed
    as JSON when they are JSON)."""
    return page.evaluate(
        """prefix => Object.fromEntries(Object.keys(localStorage)
               .filter(k => k.startsWith(prefix))
               .map(k => { const v = localStorage.getItem(k);
                           try { return [k, JSON.parse(v)]; } catch { return [k, v]; } }))""",
        prefix,
    )


def wait_until(predicate: Callable[[], Any], timeout: float = 30, interval: float = 0.1) -> Any:
    """Poll ``predicate()`` (e.g. a KernelProbe check) until it is truthy; return it."""
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout}s")
        time.sleep(interval)
    return result


def write_notebook(path: Path, cells: list[str]) -> Path:
    """Write a python3 notebook whose code cells are ``cells``."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


_PIXEL_JS = """([sel, x, y]) => {
    const el = document.querySelector(sel);
    const canvas = el && (el.tagName === 'CANVAS' ? el : el.querySelector('canvas'));
    return canvas ? [...canvas.getContext('2d').getImageData(x, y, 1, 1).data] : null;
}"""


def canvas_pixel(page: Page, selector: str, x: int, y: int) -> list[int] | None:
    """RGBA of pixel (x, y) of the <canvas> at/inside ``selector``: proves that something
    was drawn, which a DOM check cannot."""
    return page.evaluate(_PIXEL_JS, [selector, x, y])


# the value of a bqplot figure's first axis under a page pixel, read off two of its drawn ticks
# (d3 binds each tick's value to its element) and where they are: bqplot pads the scale's range
# inside the plot area, so the area's own box is no guide
_AXIS_VALUE_JS = """([scope, x]) => {
    const ticks = [...document.querySelector(scope + ' g.tick').parentNode.children]
        .filter(t => t.matches('g.tick'));
    const at = t => t.querySelector('line').getBoundingClientRect().x;
    const [a, b] = [ticks[0], ticks[ticks.length - 1]];
    const per = (b.__data__ - a.__data__) / (at(b) - at(a));
    return [a.__data__ + (x - at(a)) * per, per];
}"""


def axis_value_at(page: Page, scope: str, x: float) -> tuple[float, float]:
    """The value of the first axis (the time axis of ``label_series``/``label_audio``) of the
    bqplot figure in the first element at ``scope`` under the page's pixel column ``x``, and
    the value one pixel spans."""
    value, per_pixel = page.evaluate(_AXIS_VALUE_JS, [scope, x])
    return value, per_pixel


_BAND_TAGS_JS = """scope => [...document.querySelector(scope)
    .querySelectorAll('g.object_grp > text.label')].filter(t => t.textContent).map(t => {
  const tag = t.parentNode.querySelector('rect.nblabel-series-tag');
  const a = t.getBoundingClientRect(), b = tag?.getBoundingClientRect();
  return {text: t.textContent, fill: getComputedStyle(t).fill, band: t.style.fill,
          tag: tag ? getComputedStyle(tag).fill : null,
          covers: !!b && b.left <= a.left && b.right >= a.right && b.top <= a.top
                  && b.bottom >= a.bottom};
})"""


def brush_plot(page: Page, scope: str, probe: KernelProbe, start: float = 0.25,
               end: float = 0.5) -> tuple[float, float]:
    """Brush, with the mouse, the ``label_series``/``label_audio`` plot in the first element at
    ``scope`` from ``start`` to ``end`` (fractions of its width), wait until the kernel has the
    range (``w.brushed``) and give the widget the keys; the page's x of both ends."""
    area = page.locator(f"{scope} rect.overlay").first
    area.wait_for(state="attached")
    box = area.bounding_box()
    y = box["y"] + box["height"] / 2
    x0, x1 = box["x"] + start * box["width"], box["x"] + end * box["width"]
    page.mouse.move(x0, y)
    page.mouse.down()
    page.mouse.move(x1, y, steps=12)
    page.mouse.up()
    wait_until(lambda: probe.eval("w.brushed"))
    if not page.evaluate(f"document.querySelector('{scope}').contains(document.activeElement)"):
        page.locator(scope).first.evaluate("e => e.focus()")
    return x0, x1


def band_tags(page: Page, scope: str) -> list[dict]:
    """Each band's class drawn on the ``label_series``/``label_audio`` plot in the first element
    at ``scope``: its ``text``, the text's drawn ``fill``, the ``band``'s colour, the ``tag``
    behind it's fill (None without a tag) and whether the tag ``covers`` the text."""
    return page.evaluate(_BAND_TAGS_JS, scope)


# --------------------------------------------------------------------------
# Reading Python-side state from the running kernel
# --------------------------------------------------------------------------
class KernelProbe:
    """A second client on the notebook's kernel (via its connection file) to evaluate
    expressions without adding cells to the notebook: ``probe.eval("w.progress")``."""

    def __init__(self, connection_file: Path):
        from jupyter_client import BlockingKernelClient

        self.kc = BlockingKernelClient()
        self.kc.load_connection_file(str(connection_file))
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=30)

    @classmethod
    def for_kernel(cls, server: JupyterServer, kernel_id: str) -> KernelProbe:
        return cls(server.runtime_dir / f"kernel-{kernel_id}.json")

    @classmethod
    def for_notebook(cls, server: JupyterServer, notebook: str) -> KernelProbe:
        return cls.for_kernel(server, server.kernel_id(notebook))

    def _request(self, code: str, expressions: dict[str, str], timeout: float) -> dict:
        msg_id = self.kc.execute(code, silent=True, store_history=False,
                                 user_expressions=expressions)
        deadline = time.monotonic() + timeout
        while True:
            reply = self.kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        content = reply["content"]
        if content["status"] != "ok":
            raise RuntimeError(f"{code!r} failed: {content.get('ename')}: "
                               f"{content.get('evalue')}")
        return content

    def eval(self, expr: str, timeout: float = 10) -> Any:
        """Evaluate ``expr`` in the kernel; its value must be JSON-serialisable
        (``probe.eval("w.labels.to_dict()")``, not a DataFrame)."""
        content = self._request("", {"v": f"__import__('json').dumps({expr})"}, timeout)
        value = content["user_expressions"]["v"]
        if value["status"] != "ok":
            raise RuntimeError(f"{expr!r} failed: {value.get('ename')}: {value.get('evalue')}")
        return json.loads(ast.literal_eval(value["data"]["text/plain"]))  # repr(str) -> str

    def run(self, code: str, timeout: float = 10) -> None:
        """Execute statements silently (no cell, no output), raise if they fail."""
        self._request(code, {}, timeout)

    def close(self) -> None:
        self.kc.stop_channels()


def kill_kernel_process(probe: KernelProbe, timeout: float = 30) -> int:
    """``kill -9`` the kernel process (its pid read through ``probe``), as a crash or
    the OOM killer would; returns that pid once the process is gone.

    The server then restarts the kernel by itself (same id, same ports, empty
    namespace) and JupyterLab shows a "Kernel Restarting" dialog: close it with
    ``dismiss_dialog(page)`` and ``wait_idle(page)``; the widgets on the page are then
    stale until the cells run again (``run_all(page)``). ``probe`` keeps working on the
    new process."""
    pid = probe.eval("__import__('os').getpid()")
    os.kill(pid, signal.SIGKILL)
    wait_process_gone(pid, timeout=timeout)
    return pid


def wait_process_gone(pid: int, timeout: float = 30) -> None:
    """Wait until process ``pid`` has exited (a zombie counts as gone: the server reaps
    it when it notices), e.g. a kernel after ``kill_kernel_process`` or ``shutdown_kernel``
    (its pid read first: ``probe.eval("__import__('os').getpid()")``)."""

    def gone() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        with contextlib.suppress(OSError):
            return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] == "Z"
        return False

    wait_until(gone, timeout=timeout, interval=0.05)


# --------------------------------------------------------------------------
# Latency of "user input -> Python -> DOM"
# --------------------------------------------------------------------------
_LATENCY_JS = """
() => {
  if (window.__latency) return;
  window.__latency = { t0: null, pending: null };
  // Trusted input events start the clock (capture phase: before any widget handler,
  // and even if a widget stops propagation).
  for (const type of ['mousedown', 'keydown']) {
    document.addEventListener(type, () => {
      if (window.__latency.t0 === null) window.__latency.t0 = performance.now();
    }, true);
  }
}
"""

_ARM_JS = """
([selector, expected, attr]) => {
  const L = window.__latency;
  L.t0 = null;
  const el = document.querySelector(selector);
  if (!el) throw new Error('no element ' + selector);
  const done = () => attr === null ? el.textContent.includes(expected)
                                   : el.getAttribute(attr) === expected;
  L.pending = new Promise((resolve) => {
    const obs = new MutationObserver(() => {
      if (L.t0 !== null && done()) {
        obs.disconnect();
        resolve(performance.now() - L.t0);
      }
    });
    obs.observe(el, { subtree: true, childList: true, characterData: true,
                      attributes: attr !== null });
  });
}
"""


def install_latency_probe(page: Page) -> None:
    """Install the input-event clock in the page (once per page load)."""
    page.evaluate(_LATENCY_JS)


def measure_latency(page: Page, action: Callable[[], Any], selector: str, expected: str,
                    attr: str | None = None, timeout: float = 10) -> tuple[float, float]:
    """Run ``action()`` (a real Playwright click/key press) and wait until the element
    at ``selector`` contains the text ``expected`` (or, with ``attr``, until that
    attribute equals ``expected``, e.g. ``attr="data-saved"``). Returns (in-page ms from
    the input event to the DOM change, driver ms from calling ``action()`` to seeing it)."""
    page.evaluate(_ARM_JS, [selector, expected, attr])
    t0 = time.perf_counter()
    action()
    in_page_ms = page.evaluate(
        """([expected, ms]) => Promise.race([window.__latency.pending, new Promise((_, reject) =>
               setTimeout(() => reject(new Error('timeout waiting for ' + expected)), ms))])""",
        [expected, timeout * 1000],
    )
    return in_page_ms, (time.perf_counter() - t0) * 1000


@dataclass
class LatencyStats:
    name: str
    samples: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        s = sorted(self.samples)
        p95 = s[min(len(s) - 1, round(0.95 * (len(s) - 1)))]
        return {"name": self.name, "n": len(s), "median_ms": round(statistics.median(s), 1),
                "p95_ms": round(p95, 1), "max_ms": round(s[-1], 1)}


def record_latency(name: str, in_page: LatencyStats, driver: LatencyStats) -> dict[str, Any]:
    """Append the summary to ``artifacts/latency.jsonl`` and return it."""
    out = {"name": name, "in_page": in_page.summary(), "driver": driver.summary()}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACTS / "latency.jsonl", "a") as f:
        f.write(json.dumps(out) + "\n")
    print(f"\n[latency] {json.dumps(out)}")
    return out
