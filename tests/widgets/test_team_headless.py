"""A widget on a team's store: labels saved on PostgreSQL, the store named without its
password, and the annotator taken from JupyterHub where there is one."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

import nblabel
from nblabel.testing import browser_message

OPTIONS = ["pos", "neg"]


@pytest.fixture
def df() -> pd.DataFrame:
    return pd.DataFrame({"review": ["good", "bad", "meh"]}, index=pd.Index([10, 11, 12], name="id"))


def test_a_widget_labels_into_postgresql_and_names_it_without_the_password(df, pg_url):
    secret = pg_url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
    w = nblabel.classify(df, OPTIONS, text="review", store=pg_url, annotator="alice", task="s")
    w.press("1")
    w.press("2")
    assert w.current == 12
    shown = w.info["store"]
    assert "127.0.0.1" in shown and secret not in shown and secret not in repr(w.session.store)
    assert secret not in str(w.get_state())  # nothing of it reaches the page
    with nblabel.LabelStore(pg_url) as store:
        assert store.annotations(task="s")["label"].tolist() == ["pos", "neg"]
    again = nblabel.classify(df, OPTIONS, text="review", store=pg_url, annotator="alice", task="s")
    assert again.current == 12 and again.progress.done == 2  # resumes from the server


def test_the_default_annotator_is_the_jupyterhub_user(df, tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_USER", "dana")
    monkeypatch.setattr("getpass.getuser", lambda: "jovyan")  # every hub kernel's OS user
    w = nblabel.classify(df, OPTIONS, text="review", store=tmp_path / "l.db", task="s")
    assert w.session.annotator == "dana"
    monkeypatch.delenv("JUPYTERHUB_USER")
    w = nblabel.classify(df, OPTIONS, text="review", store=tmp_path / "l.db", task="s")
    assert w.session.annotator == "jovyan"


def test_a_label_sent_while_the_server_restarts_stays_pending_and_is_saved_when_resent(
    df, pg_url, postgres
):
    from nblabel._codec import encode
    from nblabel.testing import browser_message

    w = nblabel.classify(df, OPTIONS, text="review", store=pg_url, annotator="alice", task="s")

    def message(value, seq, **extra):
        return {"kind": "label", "value": encode(value), "item": w.sample.get("item"),
                "client": "tab-1", "seq": seq, **extra}  # fmt: skip

    browser_message(w, message("pos", 1))
    assert w.acks == {"tab-1": 1}
    postgres.restart()
    pending = message("neg", 2)
    browser_message(w, pending)
    assert w.acks == {"tab-1": 1}  # not acknowledged: the browser keeps it
    assert "Not saved" in w.error and "connection to the server was lost" in w.error
    assert pg_url.split("@")[0].rsplit(":", 1)[1] not in w.error  # no password shown
    browser_message(w, {**pending, "resent": True})  # the browser sends it again
    assert w.acks == {"tab-1": 2}
    with nblabel.LabelStore(pg_url) as store:
        assert store.annotations(task="s")["label"].tolist() == ["pos", "neg"]


def test_classify_with_assign_shows_the_annotators_share_of_the_work(tmp_path):
    data = pd.DataFrame({"review": [f"r{i}" for i in range(6)]})
    store = tmp_path / "team.db"
    plan = nblabel.Assignment(overlap=1, batch=2)
    alice = nblabel.classify(data, OPTIONS, text="review", store=store, annotator="alice",
                             task="s", assign=plan)  # fmt: skip
    bob = nblabel.classify(data, OPTIONS, text="review", store=store, annotator="bob",
                           task="s", assign=plan, order=[5, 4, 3, 2, 1, 0])  # fmt: skip
    assert (alice.current, bob.current) == (0, 2)  # the items' order was set when first put up
    for _ in range(4):
        alice.press("1")
    assert alice.current is None
    assert bob.current == 2
    bob.press("2")
    bob.press("2")
    labels = nblabel.LabelStore(store).annotations(task="s")
    assert sorted(labels["item"]) == list(range(6)) and labels["item"].is_unique


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"assign": 2}, r"assign= must be an nblabel.Assignment"),
        ({"assign": nblabel.Assignment(), "gold": {10: "pos"}}, "gold= cannot be mixed"),
    ],
)
def test_assign_is_checked(df, tmp_path, kwargs, match):
    with pytest.raises(nblabel.NblabelError, match=match):
        nblabel.classify(df, OPTIONS, text="review", store=tmp_path / "x.db", **kwargs)
    assert not (tmp_path / "x.db").exists()  # refused before anything was opened


def test_a_widget_with_nothing_to_claim_says_others_hold_the_rest(tmp_path):
    data = pd.DataFrame({"review": ["a", "b"]})
    store = tmp_path / "team.db"
    plan = nblabel.Assignment(overlap=1, batch=2, claim_timeout=600)
    alice = nblabel.classify(data, OPTIONS, text="review", store=store, annotator="alice",
                             task="s", assign=plan)  # fmt: skip
    bob = nblabel.classify(data, OPTIONS, text="review", store=store, annotator="bob",
                           task="s", assign=plan)  # fmt: skip
    assert alice.current == 0 and alice.notice == ""
    assert bob.current is None
    assert "claimed by other annotators for now" in bob.notice and "10 min" in bob.notice
    for _ in range(2):
        alice.press("1")
    done = nblabel.classify(data, OPTIONS, text="review", store=store, annotator="bob",
                            task="s", assign=plan)  # fmt: skip
    assert done.current is None and done.notice == ""  # finished, not waiting


def test_a_waiting_widget_takes_items_whose_claims_lapsed_when_the_page_asks(tmp_path):
    data = pd.DataFrame({"review": ["a", "b"]})
    store = tmp_path / "team.db"
    plan = nblabel.Assignment(overlap=1, batch=2, claim_timeout=1)
    alice = nblabel.classify(data, OPTIONS, text="review", store=store, annotator="alice",
                             task="s", assign=plan)  # fmt: skip
    bob = nblabel.classify(data, OPTIONS, text="review", store=store, annotator="bob",
                           task="s", assign=plan)  # fmt: skip
    assert alice.current == 0 and bob.current is None and bob.waiting and bob.done
    browser_message(bob, {"kind": "refresh"})
    assert bob.current is None and bob.waiting  # alice's claims still hold
    time.sleep(1.2)  # alice left without labeling: her claims lapse
    browser_message(bob, {"kind": "refresh"})
    assert bob.current == 0 and not bob.waiting and not bob.done
    assert "claimed by other annotators" not in bob.notice
    bob.press("1")
    assert bob.labels["label"].to_dict() == {0: "pos"}


def test_a_label_on_an_item_whose_lapsed_claim_someone_took_is_refused(tmp_path):
    data = pd.DataFrame({"review": ["a", "b"]})
    store = tmp_path / "team.db"
    plan = nblabel.Assignment(overlap=1, batch=1, claim_timeout=1)
    alice = nblabel.classify(data, OPTIONS, text="review", store=store, annotator="alice",
                             task="s", assign=plan)  # fmt: skip
    assert alice.current == 0
    time.sleep(1.2)  # alice is away: her claim lapses, bob takes the item
    bob = nblabel.classify(data, OPTIONS, text="review", store=store, annotator="bob",
                           task="s", assign=plan)  # fmt: skip
    assert bob.current == 0
    bob.press("2")
    with pytest.raises(nblabel.NblabelError, match="lapsed and another annotator took it"):
        alice.submit("pos")  # the item has its one label already
    assert nblabel.LabelStore(store).annotations(task="s")["annotator"].tolist() == ["bob"]


@pytest.fixture(params=["sqlite", "postgresql"])
def team_store(request, tmp_path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "team.db")
    return request.getfixturevalue("pg_url")


class Centroids:
    """A small, fast classifier: each class's mean, probabilities by distance to it."""

    def fit(self, X, y):
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        self.means = np.stack([X[y == c].mean(axis=0) for c in self.classes_])
        return self

    def predict_proba(self, X):
        near = np.exp(-((X[:, None, :] - self.means[None]) ** 2).sum(axis=2))
        return near / near.sum(axis=1, keepdims=True)


def test_active_learning_under_an_assignment_claims_by_each_annotators_model(team_store):
    rng = np.random.default_rng(0)
    truth = np.arange(24) % 2
    features = rng.normal(size=(24, 2)) + np.where(truth[:, None] == 1, 1.5, -1.5)
    data = pd.DataFrame({"review": [f"r{i}" for i in range(24)]})
    plan = nblabel.Assignment(overlap=2, batch=4)
    orders, team = {}, {}
    for who in ["alice", "bob", "cy"]:
        orders[who] = nblabel.sample.ActiveLearning(
            Centroids(), features, refit_every=4, seed=len(who)
        )
        team[who] = nblabel.classify(data, OPTIONS, text="review", store=team_store,
                                     annotator=who, task="s", assign=plan,
                                     order=orders[who])  # fmt: skip
    ranked = 0
    for _ in range(200):  # in turn, each presses the true label of what they see
        busy = [w for w in team.values() if w.current is not None or w.waiting]
        if not busy:
            break
        for who, w in team.items():
            if w.current is None:
                browser_message(w, {"kind": "refresh"})
                continue
            ranked += w.sample.get("why", {}).get("rank") is not None  # a fit ranked it
            w.press(str(truth[w.current] + 1))
            orders[who].wait(10)
    for order in orders.values():
        assert order.error is None
        order.close()
    assert ranked > 8  # past the cold start, claims came by the models' rankings
    with nblabel.LabelStore(team_store) as store:
        history = store.annotations(task="s", history=True)
    assert not history.duplicated(["item", "annotator"]).any()
    per_item = history.groupby("item")["annotator"].nunique()
    assert sorted(per_item.index) == list(range(24)) and set(per_item) == {2}


@pytest.mark.parametrize(
    ("order", "match"),
    [(5, "order= must be a list of item ids or an ordering"), ("abc", "order= is the string")],
)
def test_assign_with_an_order_of_the_wrong_type_is_refused(df, tmp_path, order, match):
    with pytest.raises(nblabel.NblabelError, match=match):
        nblabel.classify(df, OPTIONS, text="review", store=tmp_path / "x.db",
                         assign=nblabel.Assignment(), order=order)  # fmt: skip
    assert not (tmp_path / "x.db").exists()
