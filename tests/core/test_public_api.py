"""The public surface is pinned: adding or removing a name from ``nblabel`` is a deliberate
change to this list, and everything public says what it does."""

from __future__ import annotations

import inspect
import types

import pytest

import nblabel

PUBLIC = [
    "Action",
    "Assignment",
    "HTML",
    "LabelStore",
    "LabelWidget",
    "NblabelError",
    "NblabelWarning",
    "Progress",
    "ReviewWidget",
    "StoreError",
    "SubmitEvent",
    "agreement",
    "annotate_images",
    "annotate_spans",
    "caption",
    "classify",
    "compare",
    "consensus",
    "datasets",
    "export",
    "gold_report",
    "label_audio",
    "label_scatter",
    "label_series",
    "rate",
    "read_coco",
    "review",
    "review_steps",
    "sample",
    "status",
    "suggestion_report",
    "testing",
]


def test_all_is_pinned():
    assert sorted(nblabel.__all__) == PUBLIC
    assert len(nblabel.__all__) == len(set(nblabel.__all__))


@pytest.mark.parametrize("name", PUBLIC)
def test_each_public_name_resolves_and_is_documented(name):
    value = getattr(nblabel, name)
    assert inspect.getdoc(value), f"nblabel.{name} has no docstring"
    if isinstance(value, types.ModuleType):
        # a public module has a surface of its own, pinned by its __all__
        assert all(hasattr(value, n) for n in getattr(value, "__all__", []))


def undocumented_members(cls: type, *, properties: bool) -> list[str]:
    """Public methods (or properties) that ``cls`` itself defines without a docstring."""
    missing = []
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(member, property):
            if properties and not member.__doc__:
                missing.append(name)
        elif (
            not properties
            and inspect.isfunction(inspect.unwrap(getattr(member, "__func__", member)))
            and not inspect.getdoc(getattr(cls, name))
        ):
            missing.append(name)
    return missing


PUBLIC_CLASSES = [n for n in PUBLIC if inspect.isclass(getattr(nblabel, n))]


@pytest.mark.parametrize("name", PUBLIC_CLASSES)
def test_public_methods_are_documented(name):
    assert undocumented_members(getattr(nblabel, name), properties=False) == []


def test_public_functions_of_public_modules_are_documented():
    missing = [
        f"{module.__name__}.{name}"
        for module in (nblabel.export, nblabel.datasets)
        for name in module.__all__
        if callable(getattr(module, name)) and not inspect.getdoc(getattr(module, name))
    ]
    assert missing == []


def test_public_properties_are_documented():
    missing = {
        name: undocumented_members(getattr(nblabel, name), properties=True)
        for name in PUBLIC_CLASSES
    }
    assert {name: names for name, names in missing.items() if names} == {}


def test_errors_are_catchable_as_builtin_kinds():
    # users catch ValueError for bad input and RuntimeError for storage trouble
    assert issubclass(nblabel.NblabelError, ValueError)
    assert issubclass(nblabel.StoreError, RuntimeError)
    assert issubclass(nblabel.NblabelWarning, UserWarning)


def test_the_docstring_check_finds_gaps():
    # guards the tests above against a check that sees nothing
    class Sample:
        def documented(self):
            """Yes."""

        def bare(self):
            pass

        @property
        def shown(self):
            return 1

    assert undocumented_members(Sample, properties=False) == ["bare"]
    assert undocumented_members(Sample, properties=True) == ["shown"]
