"""The views: one shared base (:class:`LabelWidget`, ``static/base.js``) carries navigation, keys,
progress, undo, timing and persistence; each modality is one module here and one front-end file
in ``static/`` drawn over the base.

Examples
--------
>>> from nblabel.widgets import LabelWidget       # the base every widget kind stands on
"""

from ._base import LabelWidget, SubmitEvent

__all__ = ["LabelWidget", "SubmitEvent"]
