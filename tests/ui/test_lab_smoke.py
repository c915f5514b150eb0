"""Smoke test of the browser machinery (no nblabel code): a tiny inline anywidget in
JupyterLab, driven by real clicks and key presses, checked through the kernel; then the
helpers that the nblabel tests lean on (reload, kernel restart, kernel crash)."""

from __future__ import annotations

import pytest
from lab import (
    dismiss_dialog,
    install_latency_probe,
    kill_kernel_process,
    measure_latency,
    notebook_in_lab,
    press,
    reload,
    restart_kernel,
    screenshot,
    wait_idle,
    wait_until,
    widget_errors,
)

RUNS = "get_ipython().execution_count"  # cells run so far (probes do not count)
NOTEBOOK = "smoke/smoke.ipynb"

WIDGET = '''\
import anywidget
import traitlets


class Smoke(anywidget.AnyWidget):
    _esm = """
    function render({ model, el }) {
      const root = document.createElement("div");
      root.className = "smoke";
      root.tabIndex = 0;
      const button = document.createElement("button");
      button.className = "smoke-button";
      button.textContent = "click";
      const echo = document.createElement("span");
      echo.className = "smoke-echo";
      const show = () => { echo.textContent = model.get("echo"); };
      button.addEventListener("click", () => model.send({ kind: "click" }));
      root.addEventListener("keydown", (e) => {
        if (!["1", "2", "Enter"].includes(e.key)) return;  // not ours: Lab keeps it
        e.preventDefault();
        e.stopPropagation();  // keep JupyterLab's command-mode shortcuts out
        model.send({ kind: "key", key: e.key });
      });
      model.on("change:echo", show);
      show();
      root.append(button, echo);
      el.appendChild(root);
    }
    export default { render };
    """
    echo = traitlets.Unicode("ready").tag(sync=True)

    def __init__(self):
        super().__init__()
        self.events = []
        self.on_msg(self._on_msg)

    def _on_msg(self, _, content, buffers):
        self.events.append(content.get("key", content["kind"]))
        self.echo = f"#{len(self.events)} {self.events[-1]}"
'''

SHOW = "w = Smoke()\nw"


@pytest.fixture(scope="module")
def smoke(jupyter_server, browser):
    with notebook_in_lab(browser, jupyter_server, NOTEBOOK, cells=[WIDGET, SHOW],
                         widgets=".smoke") as (page, probe):
        yield page, probe


def test_click_and_keys_reach_python(smoke):
    page, probe = smoke
    page.locator(".smoke-echo", has_text="ready").wait_for()
    assert not widget_errors(page), page.errors
    assert not page.blocked, page.blocked  # JupyterLab asked for nothing off-box

    install_latency_probe(page)
    ms, _ = measure_latency(page, page.locator(".smoke-button").click, ".smoke-echo",
                            "#1 click")
    runs = probe.eval(RUNS)
    for i, key in enumerate(["1", "2", "Enter", "1"], start=2):
        measure_latency(page, lambda key=key: press(page, ".smoke", key), ".smoke-echo",
                        f"#{i} {key}")
    assert probe.eval("w.events") == ["click", "1", "2", "Enter", "1"]
    # the keys did not leak into JupyterLab: Enter did not enter edit mode, focus kept
    assert probe.eval(RUNS) == runs
    assert page.evaluate("document.activeElement.classList.contains('smoke')")
    print(f"\n[latency] click -> Python -> DOM {ms:.0f} ms")
    screenshot(page, "smoke-01-keys")


def test_reload_restart_and_kill(smoke, jupyter_server):
    page, probe = smoke
    # reload: same kernel, widget view restored from the saved output + kernel state
    seconds = reload(page, widgets=".smoke")
    page.locator(".smoke-echo", has_text="#5 1").wait_for()
    press(page, ".smoke", "2")
    page.locator(".smoke-echo", has_text="#6 2").wait_for()
    assert probe.eval("len(w.events)") == 6
    print(f"\n[reload] {seconds}s")

    # restart through the menu: the namespace is gone, the probe still talks to it
    restart_kernel(page)
    assert probe.eval("'w' in globals()") is False

    # kill -9: the server restarts the kernel, Lab says so in a dialog
    probe.run("x = 1")
    pid = kill_kernel_process(probe)
    assert dismiss_dialog(page)
    wait_idle(page)
    wait_until(lambda: probe.eval("__import__('os').getpid()") != pid)
    assert probe.eval("'x' in globals()") is False
    screenshot(page, "smoke-02-after-kill")
