"""nblabel: label data where it already is, in a notebook.

Examples
--------
>>> import nblabel
>>> w = nblabel.classify(df, options=["pos", "neg"], text="review")   # doctest: +SKIP
"""

from . import agreement, datasets, export, sample, testing
from ._builders import caption, classify, rate
from ._consensus import consensus
from ._content import HTML
from ._errors import NblabelError, NblabelWarning, StoreError
from ._keymap import Action
from ._review import ReviewWidget, review
from ._session import Progress
from ._store import LabelStore
from ._widget import LabelWidget, SubmitEvent
from .sample import gold_report

__all__ = [
    "HTML",
    "Action",
    "LabelStore",
    "LabelWidget",
    "NblabelError",
    "NblabelWarning",
    "Progress",
    "ReviewWidget",
    "StoreError",
    "SubmitEvent",
    "agreement",
    "caption",
    "classify",
    "consensus",
    "datasets",
    "export",
    "gold_report",
    "rate",
    "review",
    "sample",
    "testing",
]
__version__ = "0.1.0"
