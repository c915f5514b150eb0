"""Markdown that models write, as HTML safe to put into the page: rendered, then sanitised.

Candidate answers of language models are Markdown written by a program nobody vetted, so
they are untrusted. ``markdown-it-py`` renders them (CommonMark, plus tables and
strikethrough) and ``nh3`` (the Ammonia sanitiser) cleans the result against a short allow
list; only the cleaned HTML ever reaches the browser. What the page gets:

* raw HTML written in the text (``<script>``, ``<img onerror=…>``, ``<div>``) shows as the
  text the model wrote, never as markup (with ``raw_html=True`` it passes through the
  allow list instead: no script, style, SVG, iframe, form or event handler survives);
* links go only to ``http``, ``https`` and ``mailto`` addresses, open in a new tab with
  ``rel="noopener noreferrer nofollow"`` and show their address on hover; any other link
  (``javascript:``, relative, ``data:``) keeps its text and loses its address;
* images are shown only when embedded in the text (``data:image/png|jpeg|gif|webp``): a
  remote or relative image would tell its server who reads the answer, and load nothing the
  writer did not include, so it is replaced by a note with its description and address;
* code blocks stay ``<pre><code>`` (monospaced by the widget's style), with their
  ``language-…`` class.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Any

from ._content import _is_missing, shown_text
from ._errors import NblabelError
from ._optional import require

__all__ = ["markdown_html"]

_PURPOSE = "showing Markdown in candidates"

ALLOWED_TAGS = frozenset(
    {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "del", "s",
     "code", "pre", "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr",
     "th", "td", "span", "sub", "sup", "kbd"}
)  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "code": {"class"},
    "span": {"class"},
}
_LINK = re.compile(r"(?:https?://|mailto:)[^\s]+", re.IGNORECASE)
# embedded raster images only: an SVG may carry script and markup of its own
_IMAGE = re.compile(r"data:image/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]+", re.IGNORECASE)
_CLASS = {
    "code": re.compile(r"language-[A-Za-z0-9_+#.-]{1,40}"),
    "span": re.compile(r"nblabel-md-image"),
}


def _keep_attribute(tag: str, name: str, value: str) -> str | None:
    """nh3's last word on each attribute: ``None`` drops it."""
    if tag == "a" and name == "href":
        return value if _LINK.fullmatch(value.strip()) else None
    if tag == "img" and name == "src":
        return value if _IMAGE.fullmatch(value.strip()) else None
    if name == "class":
        kept = [c for c in value.split() if _CLASS[tag].fullmatch(c)]
        return " ".join(kept) or None
    return value


def _render_link_open(self: Any, tokens: list, idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    href = token.attrGet("href") or ""
    if _LINK.fullmatch(href.strip()):
        token.attrSet("title", href)
    else:
        token.attrs.pop("href", None)  # inert: the text stays, the address goes
    return self.renderToken(tokens, idx, options, env)


def _render_image(self: Any, tokens: list, idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    src = token.attrGet("src") or ""
    alt = self.renderInlineAsText(token.children or [], options, env)
    if _IMAGE.fullmatch(src.strip()):
        return f'<img src="{html.escape(src)}" alt="{html.escape(alt)}">'
    described = f"{alt} ({src})" if alt else src
    return f'<span class="nblabel-md-image">[image not shown: {html.escape(described)}]</span>'


@lru_cache(maxsize=2)
def _parser(raw_html: bool) -> Any:
    markdown_it = require("markdown_it", extra="llm", purpose=_PURPOSE, package="markdown-it-py")
    parser = markdown_it.MarkdownIt("commonmark", {"html": raw_html}).enable(
        ["table", "strikethrough"]
    )
    parser.add_render_rule("link_open", _render_link_open)
    parser.add_render_rule("image", _render_image)
    return parser


def _clean(markup: str) -> str:
    nh3 = require("nh3", extra="llm", purpose=_PURPOSE)
    return nh3.clean(
        markup,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style", "svg", "math", "iframe", "object", "template"},
        attributes={tag: set(names) for tag, names in _ATTRIBUTES.items()},
        attribute_filter=_keep_attribute,
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
        url_schemes={"http", "https", "mailto", "data"},
        strip_comments=True,
    )


def markdown_html(text: Any, *, raw_html: bool = False) -> str:
    """``text`` (Markdown) as sanitised HTML, safe to insert into the page.

    Parameters
    ----------
    text
        The Markdown. ``None`` or a missing value gives ``""``; anything else must be a string.
    raw_html
        ``False`` (default): HTML written inside the Markdown shows as text, as the writer
        typed it. ``True``: it is kept where the allow list permits (tags such as ``<sub>``
        or ``<kbd>``; never script, style, SVG, iframes or event handlers).

    Examples
    --------
    >>> markdown_html("**bold** <script>alert(1)</script>")            # doctest: +SKIP
    '<p><strong>bold</strong> &lt;script&gt;alert(1)&lt;/script&gt;</p>\\n'
    """
    if _is_missing(text):
        return ""
    if not isinstance(text, str):
        raise NblabelError(
            f"Markdown must be text, not {type(text).__name__} ({text!r:.60}): convert the "
            "column to strings first (df[col].astype(str))"
        )
    # a lone surrogate (from an undecodable file name) cannot reach the browser: U+FFFD
    return _clean(_parser(bool(raw_html)).render(shown_text(text)))
