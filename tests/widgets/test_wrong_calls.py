"""Every wrong call gets an error that names the parameter, what was given and the fix.

One table of wrong calls, walked by one test: each call must raise the given exception type,
and its message must match the regex, which names the parameter (and, where it matters, the
value given). A new public parameter gets its wrong calls added here.
"""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import nblabel
from nblabel import NblabelError, sample

OPTIONS = ["pos", "neg", "neutral"]


@pytest.fixture
def env(tmp_path) -> SimpleNamespace:
    df = pd.DataFrame(
        {"review": ["good", "bad", "meh", "great"], "stars": [5, 1, 3, 5]},
        index=pd.Index(["a", "b", "c", "d"], name="id"),
    )
    store = nblabel.LabelStore(tmp_path / "labels.db")
    for annotator, labels in {"ann": ["pos", "neg", "pos"], "bob": ["pos", "pos", "neg"]}.items():
        w = nblabel.classify(
            df, OPTIONS, text="review", store=store, annotator=annotator, task="t"
        )
        for label in labels:
            w.submit(label)
    w = nblabel.classify(df, OPTIONS, text="review", store=store, annotator="cy", task="t")
    return SimpleNamespace(df=df, store=store, w=w, tmp=tmp_path)


def classify(e, **kwargs):
    kwargs.setdefault("text", "review")
    kwargs.setdefault("store", e.store)
    return nblabel.classify(e.df, kwargs.pop("options", OPTIONS), **kwargs)


def never_added(event):
    pass


WIDE = pd.DataFrame({"a": ["x", "y"], "b": ["x", "x"]})
VOTES = pd.DataFrame({"item": [1, 1], "annotator": ["a", "b"], "label": ["x", "y"]})

# (what is wrong, the call, the exception, a regex the message must match: it names the parameter)
WRONG_CALLS = [
    # -- builders: options / scale ------------------------------------------------------------
    ("options is a dict", lambda e: classify(e, options={"p": "pos"}), NblabelError, r"options="),
    ("options holds ''", lambda e: classify(e, options=["", "pos"]), NblabelError, r"options=.*''"),
    ("options holds a blank", lambda e: classify(e, options=["pos", "  "]), NblabelError,
     r"options="),
    ("options is a string", lambda e: classify(e, options="pos"), NblabelError, r"options="),
    ("options is None", lambda e: classify(e, options=None), NblabelError, r"options="),
    ("options is a number", lambda e: classify(e, options=3), NblabelError, r"options="),
    ("options is empty", lambda e: classify(e, options=[]), NblabelError, r"options="),
    ("options repeats", lambda e: classify(e, options=["a", "a"]), NblabelError, r"options="),
    ("scale is a number", lambda e: nblabel.rate(e.df, 5, store=e.store), NblabelError,
     r"scale="),
    ("scale holds ''", lambda e: nblabel.rate(e.df, ["", "ok"], store=e.store), NblabelError,
     r"scale="),
    # -- builders: flags -------------------------------------------------------------------------
    ("multi is a string", lambda e: classify(e, multi="false"), NblabelError, r"multi=.*'false'"),
    ("multi is a number", lambda e: classify(e, multi=1), NblabelError, r"multi="),
    ("multi is None", lambda e: classify(e, multi=None), NblabelError, r"multi="),
    ("rationale is a string", lambda e: classify(e, rationale="no"), NblabelError,
     r"rationale=.*'no'"),
    ("rate rationale", lambda e: nblabel.rate(e.df, store=e.store, rationale="yes"),
     NblabelError, r"rationale="),
    ("caption rationale", lambda e: nblabel.caption(e.df, store=e.store, rationale=0),
     NblabelError, r"rationale="),
    # -- builders: keys --------------------------------------------------------------------------
    ("keys repeat a key", lambda e: classify(e, keys=["a", "b", "a"]), NblabelError,
     r"keys=.*'a'"),
    ("keys string repeats", lambda e: classify(e, keys="aba"), NblabelError, r"keys=.*'a'"),
    ("keys names no key", lambda e: classify(e, keys={"ab": "pos"}), NblabelError,
     r"keys=.*'ab'"),
    ("keys list item not a key", lambda e: classify(e, keys=["a", "sd", "f"]), NblabelError,
     r"keys=.*'sd'"),
    ("keys is a number", lambda e: classify(e, keys=5), NblabelError, r"keys=.*5"),
    ("keys key is empty", lambda e: classify(e, keys={"": "pos"}), NblabelError, r"keys="),
    ("keys key is a number", lambda e: classify(e, keys={1: "pos"}), NblabelError, r"keys="),
    ("keys too few", lambda e: classify(e, keys=["a", "b"]), NblabelError, r"keys="),
    ("keys to no option", lambda e: classify(e, keys={"p": "nope"}), NblabelError, r"keys="),
    ("keys leave an option keyless", lambda e: classify(e, keys={"1": "neg"}), NblabelError,
     r"keys=.*'pos'"),
    # -- builders: order -------------------------------------------------------------------------
    ("order is a string", lambda e: classify(e, order="abc"), NblabelError, r"order=.*'abc'"),
    ("order is a dict", lambda e: classify(e, order={"a": 1, "b": 2}), NblabelError,
     r"order="),
    ("order is a set", lambda e: classify(e, order={"a", "b"}), NblabelError, r"order="),
    ("order is a number", lambda e: classify(e, order=5), NblabelError, r"order=.*5"),
    ("order is empty", lambda e: classify(e, order=[]), NblabelError, r"order="),
    ("order names unknown ids", lambda e: classify(e, order=["a", "zz"]), NblabelError,
     r"order=.*'zz'"),
    ("order repeats", lambda e: classify(e, order=["a", "a"]), NblabelError, r"order="),
    # -- builders: store -------------------------------------------------------------------------
    ("store is bytes", lambda e: classify(e, store=b"labels.db"), NblabelError,
     r"store=.*b'labels.db'"),
    ("store is a one-slash URL", lambda e: classify(e, store="sqlite:/labels.db"), NblabelError,
     r"store=.*sqlite:///"),
    ("store is a number", lambda e: classify(e, store=123), NblabelError, r"store=.*123"),
    ("store is a folder", lambda e: classify(e, store=e.tmp), NblabelError, r"store="),
    ("store folder missing", lambda e: classify(e, store=e.tmp / "no" / "x.db"), NblabelError,
     r"store="),
    ("store is an empty string", lambda e: classify(e, store=""), NblabelError, r"store="),
    # -- builders: names, columns, data ----------------------------------------------------------
    ("annotator is empty", lambda e: classify(e, annotator=" "), NblabelError, r"annotator="),
    ("annotator is a number", lambda e: classify(e, annotator=7), NblabelError, r"annotator="),
    ("task is empty", lambda e: classify(e, task=""), NblabelError, r"task="),
    ("task is a list", lambda e: classify(e, task=["t"]), NblabelError, r"task="),
    ("text names no column", lambda e: classify(e, text="body"), NblabelError, r"text=.*'body'"),
    ("text is a list", lambda e: classify(e, text=["review", "stars"]), NblabelError,
     r"text=.*display="),
    ("review text is a list", lambda e: nblabel.review(e.store, "t", data=e.df, text=["review"]),
     NblabelError, r"text="),
    ("display is not callable", lambda e: classify(e, text=None, display="review"),
     NblabelError, r"display="),
    ("fingerprint names no column", lambda e: classify(e, fingerprint="nope"), NblabelError,
     r"fingerprint=.*'nope'"),
    ("data is a number", lambda e: nblabel.classify(5, OPTIONS, store=e.store), NblabelError,
     r"\bdata\b"),
    ("data is empty", lambda e: nblabel.classify([], OPTIONS, store=e.store), NblabelError,
     r"\bdata\b"),
    ("data has repeated ids",
     lambda e: nblabel.classify(pd.Series(["x", "y"], index=[1, 1]), OPTIONS, store=e.store),
     NblabelError, r"\bdata\b.*\[1\]"),
    # -- builders: gold --------------------------------------------------------------------------
    ("gold is a list", lambda e: classify(e, gold=["a", "b"]), NblabelError,
     r"gold=.*\{item id: known label\}"),
    ("gold is empty", lambda e: classify(e, gold={}), NblabelError, r"gold="),
    ("gold names unknown ids", lambda e: classify(e, gold={"zz": "pos"}), NblabelError,
     r"gold=.*'zz'"),
    ("gold label not an option", lambda e: classify(e, gold={"a": "meh"}), NblabelError,
     r"gold=.*'meh'"),
    ("gold_rate out of range", lambda e: classify(e, gold={"a": "pos"}, gold_rate=1.5),
     NblabelError, r"gold_rate=.*1\.5"),
    ("gold_rate is a string", lambda e: classify(e, gold={"a": "pos"}, gold_rate="5%"),
     NblabelError, r"gold_rate="),
    ("seed is a float", lambda e: classify(e, gold={"a": "pos"}, seed=1.5), NblabelError,
     r"seed="),
    # -- review ----------------------------------------------------------------------------------
    ("review store is a number", lambda e: nblabel.review(123, "t"), NblabelError, r"store="),
    ("review task is a number", lambda e: nblabel.review(e.store, 5), NblabelError, r"task="),
    ("review task unknown", lambda e: nblabel.review(e.store, "nope"), NblabelError,
     r"task=.*'nope'"),
    ("review min_annotators 0", lambda e: nblabel.review(e.store, "t", min_annotators=0),
     NblabelError, r"min_annotators="),
    ("review min_annotators str", lambda e: nblabel.review(e.store, "t", min_annotators="2"),
     NblabelError, r"min_annotators="),
    ("review include_agreed str", lambda e: nblabel.review(e.store, "t", include_agreed="yes"),
     NblabelError, r"include_agreed="),
    ("review rationale str", lambda e: nblabel.review(e.store, "t", rationale="no"),
     NblabelError, r"rationale="),
    ("review options blank", lambda e: nblabel.review(e.store, "t", options=["", "pos"]),
     NblabelError, r"options="),
    ("review reviewer empty", lambda e: nblabel.review(e.store, "t", reviewer=""),
     NblabelError, r"reviewer="),
    ("review keys repeat", lambda e: nblabel.review(e.store, "t", options=["pos", "neg"],
                                                    keys=["a", "a"]),
     NblabelError, r"keys="),
    # -- the widget's Python twins ---------------------------------------------------------------
    ("press a number", lambda e: e.w.press(1), NblabelError, r"key=.*1.*'1'"),
    ("press None", lambda e: e.w.press(None), NblabelError, r"key=.*None"),
    ("press ''", lambda e: e.w.press(""), NblabelError, r"key="),
    ("press an unbound key", lambda e: e.w.press("z"), NblabelError, r"key.*'z'"),
    ("goto a list", lambda e: e.w.goto(["a"]), NblabelError, r"item=.*\['a'\]"),
    ("goto an unknown id", lambda e: e.w.goto("zz"), NblabelError, r"item=.*'zz'"),
    ("on_submit a string", lambda e: e.w.on_submit("print"), NblabelError,
     r"callback=.*'print'"),
    ("on_submit remove never added", lambda e: e.w.on_submit(never_added, remove=True),
     NblabelError, r"callback=.*never_added"),
    ("on_submit remove is a string", lambda e: e.w.on_submit(never_added, remove="yes"),
     NblabelError, r"remove="),
    # -- LabelStore ------------------------------------------------------------------------------
    ("store path bytes", lambda e: nblabel.LabelStore(b"labels.db"), NblabelError,
     r"path_or_url=.*b'labels.db'"),
    ("store path number", lambda e: nblabel.LabelStore(123), NblabelError, r"path_or_url=.*123"),
    ("store one-slash URL", lambda e: nblabel.LabelStore("sqlite:/x.db"), NblabelError,
     r"path_or_url=.*sqlite:///"),
    ("store path folder", lambda e: nblabel.LabelStore(e.tmp), NblabelError, r"path_or_url="),
    ("store path folder missing", lambda e: nblabel.LabelStore(e.tmp / "no" / "x.db"),
     NblabelError, r"path_or_url="),
    ("store durability", lambda e: nblabel.LabelStore(e.tmp / "x.db", durability="fast"),
     NblabelError, r"durability=.*'fast'"),
    ("store clock", lambda e: nblabel.LabelStore(e.tmp / "x.db", clock=5), NblabelError,
     r"clock="),
    # -- gold_report -----------------------------------------------------------------------------
    ("gold_report gold empty", lambda e: nblabel.gold_report(e.store, "t", {}), NblabelError,
     r"gold="),
    ("gold_report gold a list", lambda e: nblabel.gold_report(e.store, "t", ["a"]),
     NblabelError, r"\bgold\b.*\{item id: label\}.*\['a'\]"),
    ("gold_report task unknown", lambda e: nblabel.gold_report(e.store, "nope", {"a": "pos"}),
     NblabelError, r"task=.*'nope'"),
    ("gold_report store a number", lambda e: nblabel.gold_report(5, "t", {"a": "pos"}),
     NblabelError, r"store=.*5"),
    # -- consensus -------------------------------------------------------------------------------
    ("consensus empty table", lambda e: nblabel.consensus(pd.DataFrame()), NblabelError,
     r"data="),
    ("consensus all missing",
     lambda e: nblabel.consensus(pd.DataFrame({"a": [None, None], "b": [np.nan, None]})),
     NblabelError, r"data="),
    ("consensus data a number", lambda e: nblabel.consensus(5), NblabelError, r"data="),
    # -- agreement ---------------------------------------------------------------------------------
    ("report seed a string",
     lambda e: nblabel.agreement.report(pd.DataFrame({"a": [1, 2], "b": [1, 2]}), seed="1"),
     NblabelError, r"seed="),
    ("agreement unknown annotator",
     lambda e: nblabel.agreement.cohen_kappa(pd.DataFrame({"a": [1, 2], "b": [1, 2]}),
                                             annotators=["a", "zz"]),
     NblabelError, r"annotators="),
    ("agreement data a list", lambda e: nblabel.agreement.fleiss_kappa([[1, 2], [1, 2]]),
     NblabelError, r"data="),
    ("bootstrap seed negative",
     lambda e: nblabel.agreement.bootstrap(
         nblabel.agreement.percent_agreement, pd.DataFrame({"a": [1, 2], "b": [1, 1]}), seed=-1),
     NblabelError, r"seed="),
    ("consensus method", lambda e: nblabel.consensus(WIDE, method="vote"), NblabelError,
     r"method=.*'vote'"),
    ("consensus tie", lambda e: nblabel.consensus(WIDE, tie="last"), NblabelError,
     r"tie=.*'last'"),
    ("consensus seed", lambda e: nblabel.consensus(WIDE, tie="random", seed="1"), NblabelError,
     r"seed="),
    ("consensus use_review", lambda e: nblabel.consensus(WIDE, use_review="no"), NblabelError,
     r"use_review="),
    ("consensus labels string", lambda e: nblabel.consensus(WIDE, labels="xy"), NblabelError,
     r"labels="),
    ("consensus annotators unknown", lambda e: nblabel.consensus(WIDE, annotators=["zz"]),
     NblabelError, r"annotators=.*'zz'"),
    ("consensus task unknown", lambda e: nblabel.consensus(e.store, "nope"), NblabelError,
     r"task=.*'nope'"),
    ("consensus long table task unknown",
     lambda e: nblabel.consensus(VOTES.assign(task="t"), "nope"), NblabelError,
     r"task=.*'nope'"),
    # -- export.table ----------------------------------------------------------------------------
    ("export to a missing folder", lambda e: nblabel.export.table(e.store, "t",
                                                                   e.tmp / "no" / "x.csv"),
     NblabelError, r"path="),
    ("export to a folder", lambda e: nblabel.export.table(e.store, "t", e.tmp), NblabelError,
     r"path=.*folder"),
    ("export to a StringIO", lambda e: nblabel.export.table(e.store, "t", io.StringIO()),
     NblabelError, r"path=.*StringIO"),
    ("export to .txt", lambda e: nblabel.export.table(e.store, "t", e.tmp / "x.txt"),
     NblabelError, r"path=.*\.csv"),
    ("export store a path", lambda e: nblabel.export.table(str(e.store.path), "t",
                                                            e.tmp / "x.csv"),
     NblabelError, r"store="),
    ("export task unknown", lambda e: nblabel.export.table(e.store, "nope", e.tmp / "x.csv"),
     NblabelError, r"task=.*'nope'"),
    ("export history str", lambda e: nblabel.export.table(e.store, "t", e.tmp / "x.csv",
                                                           history="yes"),
     NblabelError, r"history="),
    ("export annotator number", lambda e: nblabel.export.table(e.store, "t", e.tmp / "x.csv",
                                                                annotator=5),
     NblabelError, r"annotator="),
    # -- sample ----------------------------------------------------------------------------------
    ("random n a string", lambda e: sample.random(e.df, n="2"), NblabelError, r"\bn\b.*'2'"),
    ("random n too large", lambda e: sample.random(e.df, n=10), NblabelError, r"\bn=10"),
    ("random seed a float", lambda e: sample.random(e.df, seed=0.5), NblabelError, r"seed"),
    ("random data a number", lambda e: sample.random(5), NblabelError, r"data"),
    ("stratified by unknown", lambda e: sample.stratified(e.df, "nope", 2), NblabelError,
     r"by=?.*'nope'"),
    ("stratified equal str", lambda e: sample.stratified(e.df, "stars", 2, equal="yes"),
     NblabelError, r"equal="),
    ("weighted replace str", lambda e: sample.weighted(e.df, "stars", 2, replace="no"),
     NblabelError, r"replace="),
    ("weighted unknown column", lambda e: sample.weighted(e.df, "nope", 2), NblabelError,
     r"weights=?.*'nope'"),
    ("with_gold rate", lambda e: sample.with_gold(["a"], ["b"], rate=1.5), NblabelError,
     r"rate=?.*1\.5"),
    ("with_gold gold_items str", lambda e: sample.with_gold(["a"], "b", rate=0.1),
     NblabelError, r"gold_items"),
    ("diverse method", lambda e: sample.diverse(np.eye(3), 2, method="far"), NblabelError,
     r"method=?.*'far'"),
    ("unlabeled k 0", lambda e: sample.unlabeled(e.store, "t", ["a"], k=0), NblabelError,
     r"\bk=?"),
    ("unlabeled items str", lambda e: sample.unlabeled(e.store, "t", "abc"), NblabelError,
     r"items"),
    ("unlabeled store number", lambda e: sample.unlabeled(5, "t", ["a"]), NblabelError,
     r"store=.*5"),
    ("disagreement store number", lambda e: sample.disagreement(5, "t"), NblabelError,
     r"store_or_long_frame=.*5"),
    ("disagreement task a number", lambda e: sample.disagreement(e.store, 5), NblabelError,
     r"task=.*5"),
    ("disagreement min_annotators", lambda e: sample.disagreement(e.store, "t", 0),
     NblabelError, r"min_annotators=?"),
    ("disagreement task unknown", lambda e: sample.disagreement(e.store, "nope"), NblabelError,
     r"task=.*'nope'"),
    ("diverse seed None", lambda e: sample.diverse(np.eye(3), 2, seed=None), NblabelError,
     r"seed.*None"),
    ("diverse n a string", lambda e: sample.diverse(np.eye(3), "2"), NblabelError, r"\bn\b"),
    ("with_gold order a string", lambda e: sample.with_gold("abc", ["x"], 0.1), NblabelError,
     r"order.*'abc'"),
    ("unlabeled k a string", lambda e: sample.unlabeled(VOTES, None, [1], k="1"), NblabelError,
     r"\bk\b.*'1'"),
    ("uncertainty n a string", lambda e: sample.uncertainty(np.eye(2), n="1"), NblabelError,
     r"\bn\b"),
    ("uncertainty strategy", lambda e: sample.uncertainty(np.eye(2), strategy="max"),
     NblabelError, r"strategy=?.*'max'"),
]


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [pytest.param(call, error, pattern, id=what) for what, call, error, pattern in WRONG_CALLS],
)
def test_wrong_call_names_the_parameter(env, call, error, pattern):
    with pytest.raises(error) as raised:
        call(env)
    assert raised.type is error or issubclass(raised.type, error)
    message = str(raised.value)
    assert re.search(pattern, message, re.S), f"{message!r} does not match {pattern!r}"
