"""Every example notebook runs top to bottom in a real kernel (no browser: that is tests/ui)."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def run(path: Path, folder: Path) -> nbformat.NotebookNode:
    """Execute a copy of the notebook at ``path`` in ``folder``; return it with its outputs."""
    copy = folder / path.name
    shutil.copy(path, copy)
    notebook = nbformat.read(copy, as_version=4)
    NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": folder}}
    ).execute()
    return notebook


def outputs(notebook: nbformat.NotebookNode) -> list[dict]:
    return [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path):
    shown = outputs(run(path, tmp_path))
    assert [o for o in shown if o.get("output_type") == "error"] == []
    views = [o for o in shown if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert views, f"{path.name} shows no widget"


def test_the_quickstart_writes_no_export_before_every_item_is_labeled(tmp_path):
    notebook = run(next(p for p in NOTEBOOKS if p.stem == "quickstart"), tmp_path)
    assert not (tmp_path / "sentiment.csv").exists()
    printed = "".join(output.get("text", "") for output in outputs(notebook))
    assert "0 / 48 labeled, 48 to go: nothing written yet" in printed
