"""Shared fixtures of the agreement tests."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture
def append_wide():
    """Write a wide table (rows = items, columns = annotators, NaN = missing) into a store."""

    def append(store, wide: pd.DataFrame, task: str) -> None:
        for item, row in wide.iterrows():
            for annotator, label in row.dropna().items():
                store.append(task=task, item=item, annotator=annotator, label=label)

    return append
