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
