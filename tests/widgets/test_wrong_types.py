"""Every parameter of the public functions, given values of the wrong type, one at a time.

``test_wrong_calls`` lists the wrong calls users make, each with the message it must get. This
sweep is blunter and wider: a table holds one valid call of each public function and method,
and each of its arguments in turn is replaced by each of a set of hostile values (an object, a
complex number, NaN, a huge number, a DataFrame, a 2-D array, ...). The call may still work (a
string where any text will do), or raise :class:`NblabelError` naming the parameter; an error
about the data a function works on may name what the data lacks instead. Anything else (a
``TypeError`` from pandas' hash table, "the truth value of a DataFrame is ambiguous", an
``OverflowError``) fails: the user would get a traceback from deep inside a library instead of
what to fix.

The same holds for each public method of each widget, and for the messages a page sends: each
field each message handler reads, given each kind of JSON value, leaves the widget working and
its acknowledgements what the page sent.
"""

from __future__ import annotations

import inspect
import re
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import anywidget
import numpy as np
import pandas as pd
import pytest
from PIL import Image

import nblabel
from nblabel import NblabelError, agreement, export, sample
from nblabel.testing import recording_comms
from nblabel.widgets.audio import tone_wav

pytest.importorskip("bqplot")

HOSTILE = {
    "an object": object(),
    "a complex number": 1 + 2j,
    "NaN": float("nan"),
    "infinity": float("inf"),
    "-1": -1,
    "a huge number": 10**30,
    "a string": "zz",
    "an empty string": "",
    "an empty list": [],
    "a dict": {"a": 1},
    "True": True,
    "a DataFrame": pd.DataFrame({"a": [1, 2]}),
    "bytes": b"x",
    "a fraction": 2.5,
    "a 2-D array": np.zeros((2, 2)),
    "a list of lists": [[1], [2]],
}

#: Parameters left out of the sweep, and why.
NOT_SWEPT = {
    "clock",  # a test hook of LabelStore: any callable returning seconds
}


class Model:
    """The least a model needs for active learning: fit and predict_proba."""

    def fit(self, X: Any, y: Any) -> Model:
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        return np.full((len(X), 2), 0.5)


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> SimpleNamespace:
    tmp = tmp_path_factory.mktemp("wrong_types")
    df = pd.DataFrame(
        {
            "review": ["good", "bad", "meh", "great"],
            "stars": [5, 1, 3, 5],
            "x": [0.0, 1.0, 2.0, 3.0],
            "y": [1.0, 0.0, 1.0, 0.0],
            "prompt": ["q1", "q2", "q3", "q4"],
            "a": ["yes", "no", "maybe", "yes"],
            "b": ["no", "yes", "maybe", "no"],
            "steps": [["s1", "s2"], ["s1"], ["s1", "s2", "s3"], ["s1"]],
        },
        index=pd.Index(["r1", "r2", "r3", "r4"], name="id"),
    )
    paths = []
    for i in range(2):
        path = tmp / f"scene{i}.png"
        Image.new("RGB", (64, 48), (60 * i, 120, 200)).save(path)
        paths.append(str(path))
    images = pd.DataFrame({"path": paths}, index=pd.Index(["i1", "i2"], name="id"))
    (tmp / "tone.wav").write_bytes(tone_wav(0.5, 440, rate=8000))
    clips = pd.DataFrame({"path": ["tone.wav"]}, index=pd.Index(["c1"], name="id"))
    store = nblabel.LabelStore(tmp / "labels.db")
    with recording_comms():
        for annotator, labels in {"ann": ["pos", "neg", "pos", "pos"],
                                  "bob": ["pos", "pos", "neg", "pos"]}.items():  # fmt: skip
            w = nblabel.classify(df, ["pos", "neg", "neutral"], text="review", store=store,
                                 annotator=annotator, task="t")  # fmt: skip
            for label in labels:
                w.submit(label)
            w.close()
        for annotator in ("ann", "bob"):  # two of each: agreement compares them
            w = nblabel.annotate_images(images, image="path", classes=["sky"], store=store,
                                        annotator=annotator, task="boxes")  # fmt: skip
            w.submit([{"type": "box", "x": 1, "y": 1, "width": 10, "height": 10,
                       "label": "sky"}])  # fmt: skip
            w.close()
            w = nblabel.annotate_spans(df, text="review", classes=["A"], store=store,
                                       annotator=annotator, task="spans")  # fmt: skip
            w.submit([{"start": 0, "end": 3, "label": "A"}])
            w.close()
        w = nblabel.compare(df, prompt="prompt", candidates=["a", "b"], store=store,
                            annotator="ann", task="pref")  # fmt: skip
        w.press("1")
        w.close()
        w = nblabel.classify(df.assign(guess="pos"), ["pos", "neg"], text="review",
                             suggest="guess", store=store, annotator="ann",
                             task="suggested")  # fmt: skip
        w.press("Enter")  # the suggestion accepted
        w.close()
        w = nblabel.review_steps(df, question="prompt", steps="steps", store=store,
                                 annotator="ann", task="steps")  # fmt: skip
        w.submit(["correct", "correct"])  # one label per step of r1
        w.close()
    export.coco(store, "boxes", images=images, image="path", path=tmp / "boxes.json",
                annotator="ann")  # fmt: skip
    return SimpleNamespace(
        df=df,
        images=images,
        clips=clips,
        store=store,
        tmp=tmp,
        votes=store.annotations(task="t"),
        embeddings=np.random.default_rng(0).normal(size=(4, 2)),
        proba=np.array([[0.9, 0.1], [0.6, 0.4], [0.5, 0.5], [0.2, 0.8]]),
        signals=pd.DataFrame(
            {"t": np.arange(40) / 10, "v": np.sin(np.arange(40)), "rec": ["a"] * 20 + ["b"] * 20}
        ),
    )


def widget(e: SimpleNamespace):
    """A classify widget of its own task, for the sweep of the widgets' methods."""
    return nblabel.classify(e.df, ["pos", "neg"], text="review", store=e.store,
                            annotator="cy", task="methods")  # fmt: skip


def _undo_of_a_new_label(path: Path) -> Callable:
    """``store.undo`` with the parameters it has, of a label given just before it when no
    ``event_id`` is given: each call of the sweep has a label to undo."""
    store = nblabel.LabelStore(path)

    def undo(event_id: int | None = None, *, annotator: str = "ann") -> int:
        if event_id is None:
            event_id = store.append(task="t", item="r1", annotator="ann", label="pos")
        return store.undo(event_id, annotator=annotator)

    return undo


# name: (the function, its valid positional arguments, its valid keyword arguments), each
# built from the fixture; ``clock`` and the like are in NOT_SWEPT.
CALLS: dict[str, Callable[[SimpleNamespace], tuple[Callable, tuple, dict]]] = {
    "classify": lambda e: (
        nblabel.classify,
        (e.df, ["pos", "neg"]),
        dict(text="review", store=e.store, task="c1"),
    ),
    "classify(grid=)": lambda e: (
        nblabel.classify,
        (e.images, ["sky", "sea"]),
        dict(image="path", grid=4, store=e.store, task="c2"),
    ),
    "rate": lambda e: (nblabel.rate, (e.df,), dict(text="review", store=e.store, task="c3")),
    "caption": lambda e: (nblabel.caption, (e.df,), dict(text="review", store=e.store, task="c4")),
    "annotate_spans": lambda e: (
        nblabel.annotate_spans,
        (e.df,),
        dict(text="review", classes=["A"], store=e.store, task="c5"),
    ),
    "annotate_images": lambda e: (
        nblabel.annotate_images,
        (e.images,),
        dict(image="path", classes=["sky"], store=e.store, task="c6"),
    ),
    "compare": lambda e: (
        nblabel.compare,
        (e.df,),
        dict(prompt="prompt", candidates=["a", "b"], store=e.store, task="c7"),
    ),
    "review_steps": lambda e: (
        nblabel.review_steps,
        (e.df,),
        dict(question="prompt", steps="steps", store=e.store, task="c8"),
    ),
    "label_series": lambda e: (
        nblabel.label_series,
        (e.signals,),
        dict(time="t", value="v", by="rec", classes=["up"], store=e.store, task="c9"),
    ),
    "label_audio": lambda e: (
        nblabel.label_audio,
        (e.clips,),
        dict(audio="path", classes=["speech"], folder=e.tmp, store=e.store, task="c11"),
    ),
    "label_scatter": lambda e: (
        nblabel.label_scatter,
        (e.df,),
        dict(x="x", y="y", options=["p", "q"], store=e.store, task="c10"),
    ),
    "review": lambda e: (
        nblabel.review,
        (e.store, "t"),
        dict(data=e.df, text="review", reviewer="rev"),
    ),
    "status": lambda e: (nblabel.status, (e.store, "t"), {}),
    "consensus": lambda e: (nblabel.consensus, (e.store, "t"), {}),
    "gold_report": lambda e: (nblabel.gold_report, (e.store, "t", pd.Series({"r1": "pos"})), {}),
    "LabelStore": lambda e: (nblabel.LabelStore, (e.tmp / "other.db",), {}),
    "LabelStore.annotations": lambda e: (e.store.annotations, (), dict(task="t")),
    # a store of its own: the sweep's labels (of task "zz", say) stay out of the others' store
    "LabelStore.append": lambda e: (
        nblabel.LabelStore(e.tmp / "appended.db").append,
        (),
        dict(task="t", item="r1", annotator="dee", label="pos"),
    ),
    "LabelStore.undo": lambda e: (
        _undo_of_a_new_label(e.tmp / "undone.db"),
        (),
        dict(annotator="ann"),
    ),
    "LabelStore.backup": lambda e: (e.store.backup, (e.tmp / "copy.db",), dict(overwrite=True)),
    "LabelStore.current_label": lambda e: (e.store.current_label, ("t", "r1", "ann"), {}),
    "LabelStore.event_meta": lambda e: (e.store.event_meta, ([1, 2],), {}),
    "LabelStore.item_of": lambda e: (e.store.item_of, (1,), {}),
    "Assignment": lambda e: (nblabel.Assignment, (), {}),
    "Assignment.claim": lambda e: (
        nblabel.Assignment(overlap=2).claim,
        (e.store, "t", "ann"),
        dict(items=list(e.df.index)),
    ),
    "widget.submit": lambda e: (widget(e).submit, ("pos",), {}),
    "widget.goto": lambda e: (widget(e).goto, ("r2",), {}),
    "widget.press": lambda e: (widget(e).press, ("1",), {}),
    "export.table": lambda e: (export.table, (e.store, "t", e.tmp / "out.parquet"), {}),
    "export.spans": lambda e: (
        export.spans,
        (e.store, "spans", e.df),
        dict(text="review", path=e.tmp / "spans.jsonl"),
    ),
    "export.preferences": lambda e: (
        export.preferences,
        (e.store, "pref", e.df, e.tmp / "pref.jsonl"),
        {},
    ),
    "export.coco": lambda e: (
        export.coco,
        (e.store, "boxes"),
        dict(images=e.images, image="path", path=e.tmp / "coco.json", annotator="ann"),
    ),
    "export.yolo": lambda e: (
        export.yolo,
        (e.store, "boxes"),
        dict(images=e.images, image="path", folder=e.tmp / "yolo", annotator="ann"),
    ),
    "agreement.report": lambda e: (agreement.report, (e.store, "t"), dict(n_boot=20)),
    "agreement.krippendorff_alpha": lambda e: (agreement.krippendorff_alpha, (e.votes,), {}),
    "agreement.cohen_kappa": lambda e: (agreement.cohen_kappa, (e.votes,), {}),
    "agreement.scott_pi": lambda e: (agreement.scott_pi, (e.votes,), {}),
    "agreement.percent_agreement": lambda e: (agreement.percent_agreement, (e.votes,), {}),
    "agreement.gwet_ac1": lambda e: (agreement.gwet_ac1, (e.votes,), {}),
    "agreement.brennan_prediger": lambda e: (agreement.brennan_prediger, (e.votes,), {}),
    "agreement.conger_kappa": lambda e: (agreement.conger_kappa, (e.votes,), {}),
    "agreement.fleiss_kappa": lambda e: (agreement.fleiss_kappa, (e.votes,), {}),
    "agreement.gwet_ac2": lambda e: (
        agreement.gwet_ac2,
        (e.votes,),
        dict(labels=["neg", "neutral", "pos"]),
    ),
    "agreement.bootstrap": lambda e: (
        agreement.bootstrap,
        (agreement.krippendorff_alpha, e.votes),
        dict(n_boot=20),
    ),
    "agreement.per_item_agreement": lambda e: (agreement.per_item_agreement, (e.votes,), {}),
    "agreement.confusion_matrices": lambda e: (agreement.confusion_matrices, (e.votes,), {}),
    "agreement.pairwise_confusion": lambda e: (
        agreement.pairwise_confusion,
        (e.votes, "ann", "bob"),
        {},
    ),
    "agreement.reading": lambda e: (agreement.reading, (0.5,), {}),
    "agreement.shapes": lambda e: (agreement.shapes, (e.store, "boxes"), {}),
    "agreement.spans": lambda e: (agreement.spans, (e.store, "spans"), {}),
    "agreement.position_bias": lambda e: (agreement.position_bias, (e.store, "pref"), {}),
    "agreement.step_labels": lambda e: (agreement.step_labels, (e.store, "steps"), {}),
    "suggestion_report": lambda e: (nblabel.suggestion_report, (e.store, "suggested"), {}),
    "read_coco": lambda e: (
        nblabel.read_coco,
        (e.tmp / "boxes.json",),
        dict(images=e.images, image="path"),
    ),
    "sample.random": lambda e: (sample.random, (e.df,), dict(n=2)),
    "sample.stratified": lambda e: (sample.stratified, (e.df, "stars", 2), {}),
    "sample.weighted": lambda e: (sample.weighted, (e.df, "stars", 2), {}),
    "sample.uncertainty": lambda e: (sample.uncertainty, (e.proba,), dict(n=2)),
    "sample.diverse": lambda e: (sample.diverse, (e.embeddings, 2), {}),
    "sample.disagreement": lambda e: (sample.disagreement, (e.store, "t"), {}),
    "sample.unlabeled": lambda e: (sample.unlabeled, (e.store, "t", list(e.df.index)), {}),
    "sample.with_gold": lambda e: (sample.with_gold, (list(e.df.index), ["r1"], 0.5), {}),
    "sample.GoldMixed": lambda e: (sample.GoldMixed, (list(e.df.index), ["r1"], 0.5), {}),
    "sample.ActiveLearning": lambda e: (sample.ActiveLearning, (Model(), e.embeddings), {}),
}


def sweep(fn: Callable, args: tuple, kwargs: dict) -> list[str]:
    """Each argument of ``fn`` replaced in turn by each hostile value; the problems found."""
    problems = []
    parameters = list(inspect.signature(fn).parameters.values())
    # the first parameter is what the function works on (its data, model or value): its errors
    # may say what it lacks ("has no column 'item'", "is not one of the options") instead
    subject = parameters[0].name if parameters else None
    for position, parameter in enumerate(parameters):
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD) or (
            parameter.name in NOT_SWEPT
        ):
            continue
        for what, value in HOSTILE.items():
            call_args, call_kwargs = list(args), dict(kwargs)
            if position < len(call_args) and parameter.kind != parameter.KEYWORD_ONLY:
                call_args[position] = value
            else:
                call_kwargs[parameter.name] = value
            problem = _try(fn, call_args, call_kwargs, parameter.name,
                           named=parameter.name != subject)  # fmt: skip
            if problem:
                problems.append(f"{parameter.name}={what}: {problem}")
    return problems


def _try(fn: Callable, args: list, kwargs: dict, name: str, named: bool) -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = fn(*args, **kwargs)
        if hasattr(result, "close") and hasattr(result, "comm"):
            result.close()
    except NblabelError as exc:
        # "the data" names data= as well as "data=" does
        if named and f"{name}=" not in str(exc) and not (name == "data" and "the data" in str(exc)):
            return f"NblabelError that does not name {name}=: {exc}"
    except Exception as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return (f"{type(exc).__name__}: {str(exc)[:150]} (raised at "
                f"{Path(where.filename).name}:{where.lineno})")  # fmt: skip
    return None


@pytest.mark.parametrize("name", list(CALLS))
def test_each_argument_of_the_wrong_type_is_refused_naming_it(env, name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a path of the sweep ("zz") is written here, if anywhere
    with recording_comms():
        fn, args, kwargs = CALLS[name](env)
        made = fn(*args, **kwargs)  # the valid call works: the sweep starts from it
        if hasattr(made, "close") and hasattr(made, "comm"):
            made.close()
        assert sweep(fn, args, kwargs) == []


def test_every_public_function_is_in_the_sweep():
    called = {name.split("(")[0].split(".")[-1] for name in CALLS}
    public = [n for n in nblabel.__all__ if inspect.isfunction(getattr(nblabel, n))]
    for module in (agreement, export, sample):
        public += [n for n in module.__all__ if inspect.isfunction(getattr(module, n))]
    # simulate fits a model per strategy, seed and size (seconds a call): its wrong calls
    # are in tests/sampling/test_sample_simulate.py
    left_out = {"simulate"}
    assert sorted(set(public) - called - left_out) == []


def test_the_sweep_finds_a_parameter_nothing_checks():
    # guards the sweep against seeing nothing: a function that hands its arguments to pandas
    def unchecked(data: pd.DataFrame, column: str = "a") -> float:
        return float(data[column].sum())

    problems = sweep(unchecked, (pd.DataFrame({"a": [1.0]}),), {})
    assert any(p.startswith("column=a list of lists: ") for p in problems)
    assert any("TypeError" in p or "KeyError" in p for p in problems)


# -- messages from the page ---------------------------------------------------------------------
#: What a page could send in a field of a message: JSON values of every kind.
FROM_THE_PAGE = {
    "null": None,
    "a text": "zz",
    "an empty text": "",
    "a number": 7,
    "a negative number": -3,
    "a huge number": 10**30,
    "a fraction": 2.5,
    "true": True,
    "a list": [1, "x"],
    "an object": {"a": 1},
}
ENVELOPE = ["kind", "client", "seq", "item", "rationale", "elapsed_ms", "resent"]


def fields_read_by(handler: Callable) -> list[str]:
    """The fields of a message a handler reads (``content["x"]``, ``content.get("x")``)."""
    source = inspect.getsource(handler)
    return sorted(set(re.findall(r"""content(?:\.get\(|\[)\s*["'](\w+)["']""", source)))


def widgets_made(e: SimpleNamespace) -> dict[str, Any]:
    """One widget of each kind the sweep builds, by the name of its call."""
    made = {}
    for name, make in CALLS.items():
        fn, args, kwargs = make(e)
        if name.split(".")[0] in ("LabelStore", "Assignment", "widget") or not (
            inspect.isfunction(fn) and fn.__module__.startswith("nblabel.widgets")
        ):
            continue
        made[name] = fn(*args, **kwargs)
    return made


def test_a_message_of_the_wrong_shape_from_the_page_is_left_alone_and_says_so(env):
    with recording_comms():
        made = widgets_made(env)
        assert len(made) >= 10  # every kind of widget: classify, rate, ..., label_scatter
        problems, sent = [], 0
        for name, w in made.items():
            seq = 0
            for kind, handler in w._handlers.items():
                for field in ENVELOPE + fields_read_by(handler):
                    for what, value in FROM_THE_PAGE.items():
                        seq += 1
                        message = {"kind": kind, "client": "page", "seq": seq, field: value}
                        try:
                            w._handle_message(w, message, [])
                        except Exception as exc:
                            problems.append(f"{name}, {kind}, {field}={what}: {exc!r:.120}")
            # the acknowledgements the page reads stay what it sent: texts and whole numbers
            assert all(type(k) is str and type(v) is int for k, v in w.acks.items()), name
            sent += seq
            w.close()
    assert problems == []
    assert sent > 2000  # each kind of message of each widget, each field it reads
    # nothing of it was stored as a label: every label there is one a call gave
    labels = env.store.annotations(task="t")
    assert set(labels["annotator"]) <= {"ann", "bob", "dee"}


def test_a_message_naming_no_item_it_can_read_labels_nothing(env):
    with recording_comms():
        w = nblabel.classify(env.df, ["pos", "neg"], text="review", store=env.store,
                             annotator="eve", task="page")  # fmt: skip
        for item in (7, ["r1"], '{"a": ', None):
            w._handle_message(w, {"kind": "key", "key": "1", "item": item, "client": "p",
                                  "seq": 1}, [])  # fmt: skip
            if item is None:  # no item named: the one shown, as the page means it
                break
            assert "cannot read (its item is no item id)" in w.error
            assert w.acks == {} and w.labels.empty
        assert w.labels["label"].tolist() == ["pos"] and w.acks == {"p": 1}


# -- the widgets' own methods ---------------------------------------------------------------
def public_methods(w: Any) -> dict[str, Callable]:
    """The widget's public methods that ipywidgets does not define, by name."""
    own = {}
    inherited = set(dir(anywidget.AnyWidget))  # names only: some are deprecated to read
    for name in dir(type(w)):
        if name.startswith("_") or name in inherited:
            continue
        if inspect.isfunction(getattr(type(w), name)):
            own[name] = getattr(w, name)
    return own


def test_each_argument_of_a_widget_method_of_the_wrong_type_is_refused(env):
    """Each public method with at most one required parameter, that one (or, with none, each
    optional one) given each hostile value; the others have twin tests of their own
    (add_box, add_span, add_segment: tests/images, test_spans_headless, test_series_headless).
    """
    problems, swept = [], 0
    with recording_comms():
        for name, w in widgets_made(env).items():
            for method_name, method in public_methods(w).items():
                parameters = list(inspect.signature(method).parameters.values())
                required = [p for p in parameters if p.default is p.empty]
                if len(required) > 1:
                    continue
                for parameter in required or parameters:
                    for what, value in HOSTILE.items():
                        swept += 1
                        problem = _try(method, [], {parameter.name: value}, parameter.name,
                                       named=False)  # fmt: skip
                        if problem:
                            problems.append(f"{name}.{method_name}({parameter.name}={what}): "
                                            f"{problem}")  # fmt: skip
            w.close()
    assert problems == []
    assert swept > 500


def test_every_widget_says_when_nothing_is_on_screen(tmp_path):
    """Each call that acts on the item shown, once every item is labeled: an error that says
    so, where images' submit and the recordings' zoom raised KeyError(None)."""
    Image.new("RGB", (64, 48)).save(tmp_path / "a.png")
    (tmp_path / "t.wav").write_bytes(tone_wav(0.5, 440, rate=8000))
    store = nblabel.LabelStore(tmp_path / "s.db")
    one_row = pd.DataFrame({"text": ["hello world"], "path": [str(tmp_path / "a.png")]})
    signal = pd.DataFrame({"t": np.arange(40) / 10, "v": np.sin(np.arange(40)), "rec": "a"})
    with recording_comms():
        made = {
            "classify": nblabel.classify(one_row, ["a", "b"], text="text", store=store, task="c"),
            "spans": nblabel.annotate_spans(one_row, text="text", classes=["A"], store=store,
                                            task="sp"),
            "images": nblabel.annotate_images(one_row, image="path", classes=["x"], store=store,
                                              task="i"),
            "series": nblabel.label_series(signal, time="t", value="v", by="rec", classes=["x"],
                                           store=store, task="s"),
            "audio": nblabel.label_audio(pd.DataFrame({"p": ["t.wav"]}), audio="p",
                                         classes=["x"], folder=tmp_path, store=store, task="a"),
        }  # fmt: skip
        for name, w in made.items():
            w.submit("a" if name == "classify" else [])
            assert w.progress.done == w.progress.total == 1
            calls = {"submit": ("a" if name == "classify" else [],), "zoom": (0.0, 1.0)}
            for call, args in calls.items():
                if hasattr(w, call):
                    with pytest.raises(NblabelError, match=r"every (item|recording) is labeled"):
                        getattr(w, call)(*args)
