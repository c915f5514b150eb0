"""nblabel: label data where it already is, in a notebook.

The pure core (store, sessions, sampling, agreement, export) imports no widget library;
the widgets (``classify``, ``rate``, ``caption``, ``compare``, ``review``, ``annotate_spans``,
``annotate_images``, ``label_series``, ``label_scatter``, ``label_audio``) load ipywidgets and
anywidget (and bqplot) on first use.

Examples
--------
>>> import nblabel
>>> w = nblabel.classify(df, options=["pos", "neg"], text="review")   # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

from . import agreement, datasets, export, sample
from ._assign import Assignment
from ._consensus import consensus
from ._content import HTML
from ._errors import NblabelError, NblabelWarning, StoreError
from ._keymap import Action
from ._session import Progress
from ._status import status
from ._store import LabelStore
from ._suggest import suggestion_report
from .sample import gold_report

# name -> module that defines it; imported when first asked for (PEP 562)
_LAZY = {
    "LabelWidget": ".widgets._base",
    "ReviewWidget": ".widgets.review",
    "SubmitEvent": ".widgets._base",
    "annotate_spans": ".widgets.spans",
    "annotate_images": ".widgets.images",
    "caption": ".widgets.text",
    "classify": ".widgets.text",
    "compare": ".widgets.compare",
    "rate": ".widgets.text",
    "read_coco": "._read_coco",
    "label_audio": ".widgets.audio",
    "label_scatter": ".widgets.scatter",
    "label_series": ".widgets.series",
    "review": ".widgets.review",
    "review_steps": ".widgets.steps",
    "testing": ".testing",
}

__all__ = [
    "HTML",
    "Action",
    "Assignment",
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
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'nblabel' has no attribute {name!r}")
    module = importlib.import_module(_LAZY[name], __name__)
    value = module if name == "testing" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
