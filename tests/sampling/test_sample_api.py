"""The public surface of nblabel.sample: pinned names, documented, pure, runnable examples."""

from __future__ import annotations

import doctest
import importlib
import inspect
import subprocess
import sys

import pytest

from nblabel import sample

PUBLIC = [  # classes first, then functions (ruff's __all__ order)
    "ActiveLearning",
    "GoldMixed",
    "disagreement",
    "diverse",
    "gold_report",
    "random",
    "simulate",
    "stratified",
    "uncertainty",
    "unlabeled",
    "weighted",
    "with_gold",
]
MODULES = ["_active", "_basic", "_diverse", "_gold", "_labels", "_simulate", "_uncertainty"]


def test_all_is_pinned_and_sorted():
    assert sample.__all__ == PUBLIC
    assert sorted(sample.__all__, key=lambda name: (name[0].islower(), name)) == sample.__all__


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_has_a_numpy_docstring_with_examples(name):
    doc = inspect.getdoc(getattr(sample, name))
    assert "Examples\n--------" in doc
    assert "Parameters\n----------" in doc


def test_signatures_are_the_contract():
    sig = {name: str(inspect.signature(getattr(sample, name))) for name in PUBLIC}
    assert sig["random"] == "(data: 'Any', n: 'int | None' = None, seed: 'int' = 0) -> 'list'"
    assert sig["stratified"].startswith("(data: 'Any', by: 'Any', n: 'int', seed: 'int' = 0,")
    assert "equal: 'bool' = False" in sig["stratified"]
    assert "replace: 'bool' = False" in sig["weighted"]
    assert "method: 'str' = 'k-center'" in sig["diverse"]
    assert "strategy: 'str' = 'least-confident'" in sig["uncertainty"]
    assert "min_annotators: 'int' = 2" in sig["disagreement"]
    assert sig["unlabeled"] == (
        "(store: 'Any', task: 'str | None', items: 'Any', k: 'int' = 1) -> 'list'"
    )
    assert (
        "(model: 'Any', X: 'Any', *, strategy: 'str' = 'margin', refit_every: 'int' = 25"
        in sig["ActiveLearning"]
    )
    for method in ("start", "observe", "poll", "close", "wait"):
        assert callable(getattr(sample.ActiveLearning, method))


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module):
    mod = importlib.import_module(f"nblabel.sample.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_sampling_imports_no_widget_stack_and_no_sklearn():
    # the parent package is not ours: measure only what importing nblabel.sample adds
    code = (
        "import sys, nblabel; before = set(sys.modules); import nblabel.sample; "
        "added = {m.split('.')[0] for m in set(sys.modules) - before}; "
        "print(sorted(added & {'ipywidgets', 'anywidget', 'traitlets', 'IPython', 'sklearn',"
        " 'bqplot', 'scipy'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
