"""Write labels out of the store as files: one module per format.

Examples
--------
>>> nblabel.export.table(store, "sentiment", "labels.parquet")     # doctest: +SKIP
"""

from ._table import table

__all__ = ["table"]
