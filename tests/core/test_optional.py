"""An optional dependency that is missing and one that is installed but broken get
different errors, each with its own fix (libraries such as pandas call both "missing")."""

from __future__ import annotations

import sys

import pytest

from nblabel import NblabelError
from nblabel._optional import require


def test_a_missing_module_says_how_to_install_it():
    with pytest.raises(NblabelError, match=r"not installed: pip install 'nblabel\[parquet\]'"):
        require("nblabel_no_such_module", extra="parquet", purpose="writing Parquet")


def test_an_installed_module_that_fails_to_import_is_not_called_missing(tmp_path, monkeypatch):
    package = tmp_path / "brokenlib"
    package.mkdir()
    (package / "__init__.py").write_text(
        "raise ImportError('numpy.core.multiarray failed to import')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "brokenlib", raising=False)
    with pytest.raises(NblabelError) as caught:
        require("brokenlib", extra="parquet", purpose="writing Parquet")
    message = str(caught.value)
    assert "is installed but cannot be imported" in message
    assert "numpy.core.multiarray failed to import" in message
    assert "not installed" not in message and "pip install --upgrade brokenlib" in message


def test_an_importable_module_is_returned():
    assert require("json", extra="x", purpose="y").__name__ == "json"


@pytest.fixture
def broken(tmp_path, monkeypatch):
    """Shadow an installed package with one that fails to import, as a build for another
    numpy does."""

    def make(name: str) -> None:
        package = tmp_path / name
        package.mkdir()
        (package / "__init__.py").write_text(f"raise ImportError('{name} built for numpy 1')\n")
        monkeypatch.syspath_prepend(str(tmp_path))
        for loaded in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
            monkeypatch.delitem(sys.modules, loaded)

    return make


def test_the_report_widget_names_a_broken_bqplot(broken):
    pytest.importorskip("bqplot")
    import pandas as pd

    import nblabel

    wide = pd.DataFrame({"a": ["x", "y", "x"], "b": ["x", "y", "y"]})
    report = nblabel.agreement.report(wide)
    broken("bqplot")
    with pytest.raises(NblabelError, match=r"bqplot .* is installed but cannot be imported"):
        report.widget()


def test_simulate_names_a_broken_scikit_learn(broken):
    pytest.importorskip("sklearn")
    import nblabel

    broken("sklearn")
    with pytest.raises(NblabelError, match=r"scikit-learn .* is installed but cannot be imported"):
        nblabel.sample.simulate(strategies=["random"])
