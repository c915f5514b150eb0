"""Errors and warnings raised by nblabel."""

from __future__ import annotations

__all__ = ["NblabelError", "NblabelWarning", "StoreError"]


class NblabelError(ValueError):
    """Bad input to an nblabel function: the message says what is wrong and how to fix it."""


class StoreError(RuntimeError):
    """The label store could not be opened, read or written."""


class NblabelWarning(UserWarning):
    """A result is defined only in part (for example an agreement coefficient that is NaN)."""
