"""Write labels out of the store as files: one module per format.

Examples
--------
>>> nblabel.export.table(store, "sentiment", "labels.parquet")     # doctest: +SKIP
>>> nblabel.export.preferences(store, "pref", df, path="pref.jsonl")  # doctest: +SKIP
>>> nblabel.export.spans(store, "ner", df, text="sentence", path="ner.jsonl")  # doctest: +SKIP
>>> nblabel.export.coco(store, "detect", images=df, image="path", path="coco.json")
... # doctest: +SKIP
"""

from ._coco import coco
from ._preferences import preferences
from ._spans import spans
from ._table import table
from ._yolo import yolo

__all__ = ["coco", "preferences", "spans", "table", "yolo"]
