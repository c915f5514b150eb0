"""The core is plain Python: the store, session, key map, codec, export, sampling and
agreement must import no widget library, so they run (and are tested) without Jupyter."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import nblabel

WIDGET_LIBRARIES = ["ipywidgets", "anywidget", "traitlets", "IPython", "bqplot", "ipycanvas"]
CORE = [
    "nblabel._checks",
    "nblabel._store",
    "nblabel._sqlite",
    "nblabel._postgres",
    "nblabel._engine",
    "nblabel._assign",
    "nblabel._status",
    "nblabel._session",
    "nblabel._keymap",
    "nblabel._codec",
    "nblabel._fingerprint",
    "nblabel._optional",
    "nblabel._markdown",
    "nblabel._compare",
    "nblabel._suggest",
    "nblabel._steps",
    "nblabel._job",
    "nblabel._content",
    "nblabel._spans",
    "nblabel._edits",
    "nblabel._segments",
    "nblabel._bulk",
    "nblabel._grid",
    "nblabel._thumbnails",
    "nblabel.export",
]
OPTIONAL = ["nblabel.sample", "nblabel.agreement"]  # skipped each where not present
SRC = Path(nblabel.__file__).resolve().parent

# Runs in a fresh interpreter: imports each module in turn and reports, per module, the
# widget libraries that its import brought in (so a failure names the culprit).
_PROBE = """
import importlib, json, sys, types
if {bypass_init}:
    # an empty stand-in for the package: only what the modules import themselves counts
    package = types.ModuleType("nblabel")
    package.__path__ = [{src!r}]
    sys.modules["nblabel"] = package
libraries = {libraries!r}
report = {{}}
for name in {modules!r}:
    before = set(sys.modules)
    importlib.import_module(name)
    report[name] = [lib for lib in libraries if lib in sys.modules and lib not in before]
print(json.dumps(report))
"""


def widget_imports(modules: list[str], *, bypass_init: bool = False) -> dict[str, list[str]]:
    code = _PROBE.format(
        bypass_init=bypass_init, src=str(SRC), libraries=WIDGET_LIBRARIES, modules=modules
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def core_modules() -> list[str]:
    return CORE + [m for m in OPTIONAL if importlib.util.find_spec(m) is not None]


def test_core_modules_import_no_widget_library():
    report = widget_imports(core_modules(), bypass_init=True)
    assert report == {module: [] for module in core_modules()}


def test_importing_core_modules_through_the_package_loads_no_widget_library():
    report = widget_imports(core_modules())
    assert report == {module: [] for module in core_modules()}


def test_import_nblabel_leaves_plots_and_canvas_for_later():
    """bqplot and ipycanvas are imported lazily, by the views that draw with them."""
    loaded = widget_imports(["nblabel"])["nblabel"]
    assert "bqplot" not in loaded and "ipycanvas" not in loaded


def test_the_probe_sees_widget_imports():
    # guards the tests above: a blind probe would let them pass for nothing
    assert {"ipywidgets", "traitlets"} <= set(widget_imports(["ipywidgets"])["ipywidgets"])
