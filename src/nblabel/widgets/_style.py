"""The style sheets of the views that are ipywidgets boxes rather than nblabel's own views (the
status view, the agreement report): they carry the ``nblabel`` class, and with it the look of
every other view, whatever else is on the page."""

from __future__ import annotations

from pathlib import Path

__all__ = ["STATIC", "box_style"]

STATIC = Path(__file__).parent / "static"  # every view's front-end files (``_base``'s too)


def box_style(*sheets: str) -> str:
    """A ``<style>`` of ``base.css`` then ``sheets`` (files of ``static/``), for an HTML part
    of a box view (the ``nblabel`` class's card and the theme's colours)."""
    text = "\n".join((STATIC / name).read_text("utf-8") for name in ("base.css", *sheets))
    return f"<style>{text}</style>"
