"""Agreement between annotators: coefficients, bootstrap intervals and a report.

Every function takes a wide DataFrame (rows = items, columns = annotators, NaN = missing), a
long DataFrame with columns ``item, annotator, label`` or a ``LabelStore`` with ``task=``;
:func:`spans` compares text spans (exact and overlap F1 per pair of annotators).

Examples
--------
>>> import pandas as pd
>>> from nblabel import agreement
>>> wide = pd.DataFrame({"alice": [1, 2, 3, 3], "bob": [1, 2, 3, 2]})
>>> round(agreement.krippendorff_alpha(wide, level="interval"), 3)
0.821
"""

from .._steps import step_labels
from ._bootstrap import BootstrapResult, bootstrap
from ._coefficients import (
    brennan_prediger,
    cohen_kappa,
    conger_kappa,
    fleiss_kappa,
    gwet_ac1,
    gwet_ac2,
    krippendorff_alpha,
    percent_agreement,
    scott_pi,
)
from ._position import position_bias
from ._report import AgreementReport, reading, report
from ._shapes import ShapeAgreement, shapes
from ._spans import spans
from ._tables import confusion_matrices, pairwise_confusion, per_item_agreement

__all__ = [
    "AgreementReport",
    "BootstrapResult",
    "ShapeAgreement",
    "bootstrap",
    "brennan_prediger",
    "cohen_kappa",
    "confusion_matrices",
    "conger_kappa",
    "fleiss_kappa",
    "gwet_ac1",
    "gwet_ac2",
    "krippendorff_alpha",
    "pairwise_confusion",
    "per_item_agreement",
    "percent_agreement",
    "position_bias",
    "reading",
    "report",
    "scott_pi",
    "shapes",
    "spans",
    "step_labels",
]
