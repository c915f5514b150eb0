"""Write labels out of the store as files: one module per format.

Examples
--------
>>> nblabel.export.table(store, "sentiment", "labels.parquet")     # doctest: +SKIP
>>> nblabel.export.coco(store, "detect", images=df, image="path", path="coco.json")
... # doctest: +SKIP
"""

from ._coco import coco
from ._table import table
from ._yolo import yolo

__all__ = ["coco", "table", "yolo"]
