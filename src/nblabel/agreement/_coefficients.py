"""Public agreement coefficients: input normalisation, then a numpy kernel.

Every function takes, as ``data``: a wide DataFrame (rows = items, columns = annotators,
NaN / None = not labelled), a long DataFrame with columns ``item, annotator, label`` (as
:meth:`LabelStore.annotations` returns; only ``source == "annotator"`` rows count), or a
``LabelStore`` with ``task=``. Undefined results are NaN with an :class:`NblabelWarning`.

Rank-based options (``weights=``, ``level="ordinal"``) take the label order from ``labels=``,
else from an ordered pandas ``Categorical``, else from numeric labels; unordered text labels
raise an error saying how to declare the order.

``weights=`` gives partial credit for near labels: ``None`` (unweighted); one of Gwet's named
weights ``"linear"``, ``"quadratic"``, ``"ordinal"``, ``"radical"``, ``"ratio"``,
``"circular"``, ``"bipolar"`` (Gwet 2014, *Handbook of Inter-Rater Reliability*, 4th ed.,
ch. 3; on the ranks 1..q of the labels in their declared order); or a q × q matrix of
agreement weights (1 on the diagonal), rows and columns in the order of ``labels``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from .._errors import NblabelWarning
from . import _kernels as k
from ._input import Ratings, as_ratings

__all__ = [
    "KERNELS",
    "brennan_prediger",
    "call_kernel",
    "cohen_kappa",
    "conger_kappa",
    "fleiss_kappa",
    "gwet_ac1",
    "gwet_ac2",
    "krippendorff_alpha",
    "percent_agreement",
    "scott_pi",
]

Labels = Sequence[Any] | None
Annotators = Sequence[Hashable] | None
#: ``None``, a name in ``WEIGHTS`` or a square matrix (array-like) of agreement weights.
Weights = Any



def call_kernel(kernel: Callable[..., float], ratings: Ratings, name: str, **options: Any) -> float:
    """Run a kernel; an undefined result becomes NaN with a warning that says why."""
    try:
        return kernel(ratings, **options)
    except k.Undefined as why:
        warnings.warn(f"{name} is undefined (NaN): {why}", NblabelWarning, stacklevel=3)
        return float("nan")


def percent_agreement(
    data: Any,
    task: str | None = None,
    *,
    weights: Weights = None,
    labels: Labels = None,
    annotators: Annotators = None,
) -> float:
    """Observed agreement: the share of agreeing pairs of ratings, averaged over items.

    Items with fewer than two ratings are skipped. For two annotators this is the share of
    items both labelled alike. Not corrected for chance.

    Parameters
    ----------
    data
        Wide DataFrame, long DataFrame or ``LabelStore`` (see the module docstring).
    task
        The task to read from a store or a long frame with a ``task`` column.
    weights
        ``None``, a named weight or a q × q matrix (see the module docstring).
    labels
        Every label in order; ranks for ``weights`` come from this order.
    annotators
        Only use these annotators (columns).

    Examples
    --------
    >>> import pandas as pd
    >>> wide = pd.DataFrame({"alice": ["a", "b", "a"], "bob": ["a", "b", "b"]})
    >>> round(percent_agreement(wide), 3)
    0.667
    """
    ratings = as_ratings(data, task, labels, annotators)
    return call_kernel(k.percent_kernel, ratings, "percent agreement", weights=weights)


def cohen_kappa(
    data: Any,
    task: str | None = None,
    *,
    weights: Weights = None,
    labels: Labels = None,
    annotators: Annotators = None,
) -> float:
    """Cohen's kappa between exactly two annotators, on the items both labelled.

    ``weights="linear"`` or ``"quadratic"`` gives weighted kappa, on the rank of each label in
    ``labels``, or of an ordered Categorical's categories, or of numeric labels; text labels
    with no declared order are refused rather than ranked alphabetically. Same values as
    ``sklearn.metrics.cohen_kappa_score``.

    Parameters
    ----------
    data
        Wide DataFrame with two columns, long DataFrame or ``LabelStore``.
    task
        The task to read from a store or a long frame with a ``task`` column.
    weights
        ``None``, a named weight or a q × q matrix (see the module docstring).
    labels
        Every label in order (needed for weights on text labels).
    annotators
        The two annotators to compare, when the data has more.

    Examples
    --------
    >>> import pandas as pd
    >>> wide = pd.DataFrame({"alice": ["low", "mid", "high", "mid"],
    ...                      "bob": ["low", "high", "high", "mid"]})
    >>> round(cohen_kappa(wide, weights="quadratic", labels=["low", "mid", "high"]), 3)
    0.8
    """
    ratings = as_ratings(data, task, labels, annotators)
    return call_kernel(k.cohen_kernel, ratings, "Cohen's kappa", weights=weights)


def scott_pi(
    data: Any,
    task: str | None = None,
    *,
    weights: Weights = None,
    labels: Labels = None,
    annotators: Annotators = None,
) -> float:
    """Scott's pi between two annotators: chance agreement from their pooled label shares.

    Parameters
    ----------
    data
        Wide DataFrame with two columns, long DataFrame or ``LabelStore``.
    task
        The task to read from a store or a long frame with a ``task`` column.
    weights
        ``None``, a named weight or a q × q matrix (see the module docstring).
    labels
        Every label in order.
    annotators
        The two annotators to compare, when the data has more.

    Examples
    --------
    >>> import pandas as pd
    >>> wide = pd.DataFrame({"alice": ["a", "a", "b", "b"], "bob": ["a", "b", "b", "b"]})
    >>> round(scott_pi(wide), 3)
    0.467
    """
    ratings = as_ratings(data, task, labels, annotators)
    return call_kernel(k.scott_kernel, ratings, "Scott's pi", weights=weights)


def fleiss_kappa(
    data: Any,
    task: str | None = None,
    *,
    weights: Weights = None,
    labels: Labels = None,
    annotators: Annotators = None,
) -> float:
    """Fleiss' kappa for any number of annotators, with missing ratings (Gwet's rule).

    Observed agreement averages over items with at least two ratings; each label's share
    ``π_k`` averages ``r_ik / r_i`` over items with at least one rating, so an item counts
    with the ratings it has (Gwet 2014, *Handbook of Inter-Rater Reliability*, 4th ed.). With
    complete data this equals ``statsmodels.stats.inter_rater.fleiss_kappa``. ``weights``
    gives Gwet's weighted generalisation.

    Parameters
    ----------
    data
        Wide DataFrame, long DataFrame or ``LabelStore``.
    task
        The task to read from a store or a long frame with a ``task`` column.
    weights
        ``None``, a named weight or a q × q matrix (see the module docstring).
    labels
        Every label in order.
    annotators
        Only use these annotators.

    Examples
    --------
    >>> import pandas as pd
    >>> wide = pd.DataFrame({"a": [1, 2, 3, 1], "b": [1, 2, 3, 2], "c": [1, 2, 2, 1]})
    >>> round(fleiss_kappa(wide), 3)
    0.467
    """
    ratings = as_ratings(data, task, labels, annotators)
    return call_kernel(k.fleiss_kernel, ratings, "Fleiss' kappa", weights=weights)


def gwet_ac1(
    data: Any,
    task: str | None = None,
    *,
    weights: Weights = None,
    labels: Labels = None,
    annotators: Annotators = None,
) -> float:
    """Gwet's AC1 (AC2 when ``weights`` is given), for any number of annotators.

    Chance agreement uses the number of categories ``q``: pass ``labels=`` to include
    categories nobody used. Missing ratings follow the same rule as :func:`fleiss_kappa`.

    Parameters
    ----------
    data
        Wide DataFrame, long DataFrame or ``LabelStore``.
    task
        The task to read from a store or a long frame with a ``task`` column.
    weights
        ``None``, a named weight or a q × q matrix (see the module docstring).
    labels
        Every category in order (sets ``q`` and the ranks used by ``weights``).
    annotators
        Only use these annotators.

    Examples
    --------
    >>> import pandas as pd
    >>> wide = pd.DataFrame({"a": [1, 2, 3, 1], "b": [1, 2, 3, 2], "c": [1, 2, 2, 1]})
    >>> round(gwet_ac1(wide), 3)
    0.515
    """
    ratings = as_ratings(data, task, labels, annotators)
    return call_kernel(k.gwet_kernel, ratings, "Gwet's AC1", weights=weights)


def krippendorff_alpha(
    data: Any,
    task: str | None = None,
    *,
    level: str = "nominal",
    weights: Weights = None,
    labels: Labels = None,
    annotators: Annotators = None,
) -> float:
    """Krippendorff's alpha for any number of annotators, with missing ratings.

    Parameters
    ----------
    data
        Wide DataFrame, long DataFrame or ``LabelStore``.
    task
        The task to read from a store or a long frame with a ``task`` column.
    level
        ``"nominal"``, ``"ordinal"``, ``"interval"`` or ``"ratio"``. Ordinal text labels are
        ranked in their declared order; interval and ratio need numeric labels.
    weights
        Instead of ``level``: Gwet's weighted alpha with ``None``, a named weight or a q × q
        matrix (see the module docstring), as irrCAC's ``krippen.alpha.raw`` computes it.
    labels
        Every label in order.
    annotators
        Only use these annotators.

    Examples
    --------
    >>> import pandas as pd
    >>> wide = pd.DataFrame({"a": ["low", "mid", "high", None], "b": ["low", "high", "high",
    ...                      "mid"], "c": ["mid", "mid", "high", "mid"]})
    >>> round(krippendorff_alpha(wide, level="ordinal", labels=["low", "mid", "high"]), 3)
    0.687
    """
    ratings = as_ratings(data, task, labels, annotators)
    return call_kernel(k.krippendorff_kernel, ratings, "Krippendorff's alpha", level=level,
                       weights=weights)


def gwet_ac2(
    data: Any,
    task: str | None = None,
    *,
    weights: Weights = "quadratic",
    labels: Labels = None,
    annotators: Annotators = None,
) -> float:
    """Gwet's AC2: AC1 with agreement weights (quadratic unless ``weights`` says otherwise).

    The same coefficient as ``gwet_ac1(data, weights=...)``, under the name it is known by.

    Parameters
    ----------
    data
        Wide DataFrame, long DataFrame or ``LabelStore``.
    task
        The task to read from a store or a long frame with a ``task`` column.
    weights
        A named weight or a q × q matrix (see the module docstring).
    labels
        Every category in order.
    annotators
        Only use these annotators.

    Examples
    --------
    >>> import pandas as pd
    >>> wide = pd.DataFrame({"a": [1, 2, 3, 1], "b": [1, 2, 3, 2], "c": [1, 2, 2, 1]})
    >>> round(gwet_ac2(wide), 3)
    0.778
    """
    ratings = as_ratings(data, task, labels, annotators)
    return call_kernel(k.gwet_kernel, ratings, "Gwet's AC2", weights=weights)


def conger_kappa(
    data: Any,
    task: str | None = None,
    *,
    weights: Weights = None,
    labels: Labels = None,
    annotators: Annotators = None,
) -> float:
    """Conger's kappa: Cohen's kappa for any number of annotators.

    Chance agreement comes from each annotator's own label shares (not pooled as in Fleiss'
    kappa); with two annotators who labelled the same items it equals Cohen's kappa. Missing
    ratings follow the same rule as :func:`fleiss_kappa` (Gwet 2014, ch. 2).

    Parameters
    ----------
    data
        Wide DataFrame, long DataFrame or ``LabelStore``.
    task
        The task to read from a store or a long frame with a ``task`` column.
    weights
        ``None``, a named weight or a q × q matrix (see the module docstring).
    labels
        Every label in order.
    annotators
        Only use these annotators.

    Examples
    --------
    >>> import pandas as pd
    >>> wide = pd.DataFrame({"a": [1, 2, 3, 1], "b": [1, 2, 3, 2], "c": [1, 2, 2, 1]})
    >>> round(conger_kappa(wide), 3)
    0.484
    """
    ratings = as_ratings(data, task, labels, annotators)
    return call_kernel(k.conger_kernel, ratings, "Conger's kappa", weights=weights)


def brennan_prediger(
    data: Any,
    task: str | None = None,
    *,
    weights: Weights = None,
    labels: Labels = None,
    annotators: Annotators = None,
) -> float:
    """Brennan and Prediger's coefficient (free-marginal kappa), any number of annotators.

    Chance agreement assumes every one of the ``q`` categories equally likely, ``1 / q``
    unweighted: pass ``labels=`` to include categories nobody used. With two annotators this is
    the Brennan–Prediger kappa; with more, its multi-rater form (Gwet 2014, ch. 4).

    Parameters
    ----------
    data
        Wide DataFrame, long DataFrame or ``LabelStore``.
    task
        The task to read from a store or a long frame with a ``task`` column.
    weights
        ``None``, a named weight or a q × q matrix (see the module docstring).
    labels
        Every category in order (sets ``q``).
    annotators
        Only use these annotators.

    Examples
    --------
    >>> import pandas as pd
    >>> wide = pd.DataFrame({"a": [1, 2, 3, 1], "b": [1, 2, 3, 2], "c": [1, 2, 2, 1]})
    >>> round(brennan_prediger(wide), 3)
    0.5
    """
    ratings = as_ratings(data, task, labels, annotators)
    return call_kernel(k.brennan_prediger_kernel, ratings, "Brennan-Prediger", weights=weights)


#: Public coefficient → (kernel, option names it takes); the bootstrap reuses the kernels.
KERNELS: dict[Callable[..., float], tuple[Callable[..., float], tuple[str, ...]]] = {
    percent_agreement: (k.percent_kernel, ("weights",)),
    cohen_kappa: (k.cohen_kernel, ("weights",)),
    scott_pi: (k.scott_kernel, ("weights",)),
    fleiss_kappa: (k.fleiss_kernel, ("weights",)),
    gwet_ac1: (k.gwet_kernel, ("weights",)),
    krippendorff_alpha: (k.krippendorff_kernel, ("level", "weights")),
    gwet_ac2: (k.gwet_kernel, ("weights",)),
    conger_kappa: (k.conger_kernel, ("weights",)),
    brennan_prediger: (k.brennan_prediger_kernel, ("weights",)),
}
