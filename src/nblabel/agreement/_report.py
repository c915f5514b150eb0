"""One-call agreement report: coefficients with intervals, per annotator, per class."""

from __future__ import annotations

import html
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._checks import check_choice, check_number
from .._errors import NblabelError, NblabelWarning
from .._store import LabelStore
from . import _kernels as k
from ._bootstrap import bootstrap_many
from ._input import Ratings, as_ratings
from ._position import position_bias
from ._tables import coincidence

__all__ = ["AgreementReport", "reading", "report"]

#: Krippendorff (2004, *Content Analysis*, 2nd ed., p. 241): rely on α ≥ .800, draw tentative
#: conclusions from .667 ≤ α < .800, discard data below .667.
RELIABLE, TENTATIVE = 0.8, 0.667


@dataclass(frozen=True)
class AgreementReport:
    """What :func:`report` found. Tables are plain DataFrames; ``.widget()`` draws them."""

    task: str | None
    level: str
    n_items: int
    n_annotators: int
    n_ratings: int
    coefficients: pd.DataFrame
    """Index: coefficient; columns ``estimate, low, high`` (bootstrap interval over items)."""
    annotators: pd.DataFrame
    """Per annotator: items labelled, agreement and mean kappa with the others, alpha without
    them, and accuracy against ``gold`` when given."""
    classes: pd.DataFrame
    """Per label: ratings, specific agreement ``o_cc / n_c`` and kappa of that label vs rest."""
    confused_pairs: pd.DataFrame
    """Label pairs most often given to the same item, with their share of all disagreement."""
    class_confusion: pd.DataFrame = field(repr=False)
    """Krippendorff's coincidence matrix (label × label, pooled over annotator pairs)."""
    reading: str = ""
    """A short plain-language reading using Krippendorff's thresholds."""
    ci: float = 0.95
    pairwise: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    """Annotator × annotator: share of the items both labeled on which they agree
    (NaN where they share no item)."""
    position_bias: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    """For a compare task read from a store: how often the candidate shown at each place wins,
    per annotator (:func:`~nblabel.agreement.position_bias`); empty otherwise."""

    def __repr__(self) -> str:  # cheap: never renders tables
        return (f"AgreementReport(task={self.task!r}, n_items={self.n_items}, "
                f"n_annotators={self.n_annotators}, reading={self.reading!r})")

    def _repr_html_(self) -> str:
        parts = [f"<div class='nblabel'><p>{html.escape(self.reading)}</p>"]
        for title, table in (("Coefficients", self.coefficients), ("Annotators", self.annotators),
                             ("Labels", self.classes), ("Most confused", self.confused_pairs),
                             ("Annotator pairs: share agreeing", self.pairwise),
                             ("Position bias: share won by the place shown", self.position_bias)):
            if title.startswith("Position") and self.position_bias.empty:
                continue
            parts.append(f"<h4>{title}</h4>")
            parts.append(table.to_html(escape=True, float_format=lambda v: f"{v:.3f}"))
        parts.append("</div>")
        return "".join(parts)

    def widget(self) -> Any:
        """An ipywidgets ``VBox``: an HTML summary and a bqplot heat map of label confusion.

        Needs the ``plots`` extra (bqplot); imported only when called.
        """
        from ._view import report_widget

        return report_widget(self)


def reading(alpha: float, low: float = np.nan, high: float = np.nan) -> str:
    """Plain-language reading of Krippendorff's alpha (and its interval, when known).

    Examples
    --------
    >>> reading(0.85)
    "Krippendorff's α = 0.850: reliable (α ≥ 0.8)."
    """
    alpha = check_number(alpha, "alpha", "0.8", finite=False)
    low = check_number(low, "low", "0.7", finite=False)
    high = check_number(high, "high", "0.9", finite=False)
    if np.isnan(alpha):
        return "Krippendorff's α is undefined for these data, so agreement cannot be judged."
    interval = "" if np.isnan(low) else f" (interval {low:.3f} to {high:.3f})"
    if alpha >= RELIABLE:
        verdict = "reliable (α ≥ 0.8)"
    elif alpha >= TENTATIVE:
        verdict = "tentative conclusions only (0.667 ≤ α < 0.8)"
    else:
        verdict = "unreliable (α < 0.667): revise the guidelines or retrain before using labels"
    text = f"Krippendorff's α = {alpha:.3f}{interval}: {verdict}."
    if not np.isnan(low) and low < TENTATIVE <= alpha:
        text += " The interval reaches below 0.667, so this is uncertain: label more items."
    return text


def _quiet(kernel: Any, ratings: Ratings, **options: Any) -> float:
    try:
        return kernel(ratings, **options)
    except k.Undefined:
        return float("nan")


def _annotator_table(ratings: Ratings, level: str, weights: Any,
                     gold: pd.Series | None) -> pd.DataFrame:
    codes, counts = ratings.codes, ratings.counts()
    m = counts.sum(axis=1)
    rows = []
    for j, name in enumerate(ratings.annotators):
        mine = codes[:, j] >= 0
        paired = mine & (m >= 2)
        same = counts[paired, codes[paired, j]] - 1  # other annotators who gave my label
        others = m[paired] - 1
        kappas = [
            _quiet(k.cohen_kernel, ratings.columns([name, other]), weights=weights)
            for other in ratings.annotators if other != name
        ]
        rest = [a for a in ratings.annotators if a != name]
        row = {
            "n_items": int(mine.sum()),
            "agreement": same.sum() / others.sum() if others.sum() else np.nan,
            "mean_kappa": np.nanmean(kappas) if np.isfinite(kappas).any() else np.nan,
            "alpha_without": _quiet(k.krippendorff_kernel, ratings.columns(rest), level=level)
            if rest else np.nan,
        }
        if gold is not None:
            truth = ratings.categories.get_indexer(gold.to_numpy(dtype=object))
            judged = mine & gold.notna().to_numpy()
            row["n_gold"] = int(judged.sum())
            row["accuracy"] = (codes[judged, j] == truth[judged]).mean() if judged.any() else np.nan
        rows.append(row)
    return pd.DataFrame(rows, index=ratings.annotators)


def _class_table(ratings: Ratings, table: pd.DataFrame) -> pd.DataFrame:
    present = ratings.codes >= 0
    n_c = np.bincount(ratings.codes[present], minlength=ratings.n_categories)
    o = table.to_numpy()
    pairable = o.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        specific = np.diag(o) / pairable
    kappas = []
    for c in range(ratings.n_categories):  # loops over labels, vectorised over items
        binary = np.where(present, (ratings.codes != c).astype(np.int64), -1)
        kappas.append(_quiet(k.fleiss_kernel, Ratings(binary, pd.Index([True, False]),
                                                      ratings.items, ratings.annotators)))
    return pd.DataFrame(
        {"n_ratings": n_c, "specific_agreement": specific, "kappa_vs_rest": kappas},
        index=pd.Index(ratings.categories, name="label"),
    )


def _confused_pairs(table: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    o = table.to_numpy()
    first, second = np.triu_indices(len(o), k=1)
    amount = o[first, second] + o[second, first]
    total = amount.sum()
    order = np.argsort(-amount, kind="stable")
    order = order[amount[order] > 0][:top]
    labels = np.asarray(table.index, dtype=object)
    return pd.DataFrame({
        "label": labels[first[order]],
        "other": labels[second[order]],
        "coincidences": amount[order],
        "share": amount[order] / total if total else amount[order],
    })


def _pairwise_agreement(ratings: Any) -> pd.DataFrame:
    """Share of shared items on which each pair of annotators gives the same label."""
    codes = ratings.codes
    m = codes.shape[1]
    out = np.full((m, m), np.nan)
    for a in range(m):  # annotators: a handful; items stay vectorised
        for b in range(a, m):
            both = (codes[:, a] >= 0) & (codes[:, b] >= 0)
            shared = int(both.sum())
            if shared:
                out[a, b] = out[b, a] = float((codes[both, a] == codes[both, b]).mean())
    names = [str(a) for a in ratings.annotators]
    return pd.DataFrame(out, index=pd.Index(names, name="annotator"), columns=names)


def report(
    data: Any,
    task: str | None = None,
    *,
    gold: pd.Series | None = None,
    labels: Sequence[Any] | None = None,
    level: str = "nominal",
    weights: Any = None,
    ci: float = 0.95,
    n_boot: int = 1000,
    seed: int = 0,
    annotators: Sequence[Hashable] | None = None,
) -> AgreementReport:
    """Agreement report: coefficients with bootstrap intervals, per annotator, per label.

    Parameters
    ----------
    data
        Wide DataFrame, long DataFrame or ``LabelStore``.
    task
        The task to read from a store or a long frame with a ``task`` column.
    gold
        Optional true labels, a Series indexed by item: adds per-annotator ``accuracy``.
    labels
        Every label in order.
    level
        Level of measurement for Krippendorff's alpha.
    weights
        Agreement weights for the kappa-type coefficients: ``None``, a name
        (``"linear"``, ``"quadratic"``, ...; see :func:`~nblabel.agreement.cohen_kappa`) or a
        square matrix in the order of ``labels``.
    ci, n_boot, seed
        Bootstrap over items: coverage, resamples, seed (the same seed gives the same report).
    annotators
        Only use these annotators.

    Examples
    --------
    >>> import pandas as pd
    >>> wide = pd.DataFrame({"a": [1, 2, 3, 1, 2], "b": [1, 2, 3, 1, 3], "c": [1, 2, 3, 2, 2]})
    >>> rep = report(wide, n_boot=100)
    >>> list(rep.coefficients.index)
    ['percent_agreement', 'krippendorff_alpha', 'fleiss_kappa', 'gwet_ac1']
    """
    check_choice(level, "level", k.LEVELS)
    ratings = as_ratings(data, task, labels, annotators)
    if gold is not None and not isinstance(gold, pd.Series):
        raise NblabelError("gold= must be a pandas Series of true labels indexed by item")
    kernels: dict[str, tuple[Any, dict[str, Any]]] = {
        "percent_agreement": (k.percent_kernel, {"weights": weights}),
        "krippendorff_alpha": (k.krippendorff_kernel, {"level": level}),
        "fleiss_kappa": (k.fleiss_kernel, {"weights": weights}),
        "gwet_ac1": (k.gwet_kernel, {"weights": weights}),
    }
    if len(ratings.annotators) == 2:
        kernels["cohen_kappa"] = (k.cohen_kernel, {"weights": weights})
        kernels["scott_pi"] = (k.scott_kernel, {"weights": weights})
    coefficients = bootstrap_many(ratings, kernels, ci=ci, n_boot=n_boot, seed=seed)
    gold_aligned = None
    if gold is not None:
        gold_aligned = gold.reindex(pd.Index(ratings.items, dtype=object))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NblabelWarning)
        per_annotator = _annotator_table(ratings, level, weights, gold_aligned)
    confusion = coincidence(ratings)
    pairs = _confused_pairs(confusion)
    alpha = coefficients.loc["krippendorff_alpha"]
    text = reading(alpha["estimate"], alpha["low"], alpha["high"])
    if len(pairs):
        top = pairs.iloc[0]
        text += (f" Most confused: {top['label']!r} vs {top['other']!r} "
                 f"({top['share']:.0%} of disagreements).")
    if len(per_annotator) > 2 and per_annotator["agreement"].notna().any():
        low_name = per_annotator["agreement"].idxmin()
        text += (f" Lowest agreement with the others: {low_name!r} "
                 f"({per_annotator.loc[low_name, 'agreement']:.0%} of pairs).")
    present = ratings.codes >= 0
    bias = pd.DataFrame()
    if isinstance(data, LabelStore) and task is not None and (
        (data.task_info(task) or {}).get("kind") == "compare"
    ):
        bias = position_bias(data, task)
        first = bias.loc["all"] if "all" in bias.index else bias.iloc[0]
        if first["p_value"] < 0.05:
            text += (f" The candidate shown first won {first['won_at_1']:.0%} of comparisons "
                     f"(without bias: {first['expected']:.0%}): position bias.")
    return AgreementReport(
        position_bias=bias,
        pairwise=_pairwise_agreement(ratings),
        task=task, level=level, n_items=int(present.any(axis=1).sum()),
        n_annotators=len(ratings.annotators), n_ratings=int(present.sum()),
        coefficients=coefficients, annotators=per_annotator,
        classes=_class_table(ratings, confusion), confused_pairs=pairs,
        class_confusion=confusion, reading=text, ci=ci,
    )
