"""Markdown that models write reaches the page only rendered and sanitised: hostile input
(script, event handlers, ``javascript:`` links, remote images, style, SVG) comes out inert,
and what a reader needs (emphasis, lists, tables, code blocks) is kept."""

from __future__ import annotations

import sys
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nblabel import NblabelError
from nblabel._markdown import ALLOWED_TAGS, markdown_html

PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwAB"
    "BAEAcCBlCwAAAABJRU5ErkJggg=="
)

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    '<img src="x" onerror="alert(1)">',
    "<img src=x onerror=alert(1)//",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<javascript:alert(1)>",
    "![x](https://tracker.example/pixel.png)",
    "![x](//tracker.example/pixel.png)",
    "![x](/files/secret.png)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '<svg onload="alert(1)"><circle r="5"/></svg>',
    "<style>body { display: none }</style>",
    '<div style="position:fixed;inset:0;background:red">cover</div>',
    '<iframe src="https://evil.example"></iframe>',
    '<form action="https://evil.example"><input name="q"></form>',
    '<object data="x.swf"></object>',
    '<p onclick="alert(1)" onmouseover="alert(1)">hover</p>',
    "<details open ontoggle=alert(1)>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<a href="https://ok.example" onclick="alert(1)">ok</a>',
    "**bold <img src=x onerror=alert(1)>**",
    "> quote <script>alert(1)</script>\n> more",
    "- item <b onmouseover=alert(1)>x</b>\n- [y](javascript:alert(1))",
    "<!-- <script>alert(1)</script> -->",
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    "<link rel=stylesheet href=https://evil.example/x.css>",
    "[a](https://ok.example 'title\" onmouseover=\"alert(1)')",
    "`<script>alert(1)</script>`",
]


class Collected(HTMLParser):
    """Every element and attribute of a piece of HTML, as the browser's parser would see it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(markup: str) -> Collected:
    collected = Collected()
    collected.feed(markup)
    collected.close()
    return collected


def assert_inert(markup: str) -> None:
    """What the sanitiser promises, checked on the parsed output."""
    for tag, attrs in parse(markup).elements:
        assert tag in ALLOWED_TAGS, f"<{tag}> got through: {markup}"
        for name, value in attrs.items():
            assert not name.startswith("on"), f"handler {name} got through: {markup}"
            assert name not in {"style", "srcdoc", "formaction", "xlink:href"}, markup
            if name == "href":
                assert value.startswith(("https://", "http://", "mailto:")), markup
            if name == "src":
                assert tag == "img" and value.startswith("data:image/png;base64,"), markup
        if tag == "a" and "href" in attrs:
            assert attrs.get("target") == "_blank"
            assert set(attrs["rel"].split()) >= {"noopener", "noreferrer"}


@pytest.mark.parametrize("raw_html", [False, True], ids=["html-as-text", "html-allowed"])
@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_markdown_comes_out_inert(text, raw_html):
    assert_inert(markdown_html(text, raw_html=raw_html))


@pytest.mark.parametrize("raw_html", [False, True], ids=["html-as-text", "html-allowed"])
def test_script_and_style_never_survive_as_elements(raw_html):
    out = markdown_html(
        "a <script>alert(1)</script> b <style>*{}</style> c <svg><script>x</script></svg>",
        raw_html=raw_html,
    )
    tags = [tag for tag, _ in parse(out).elements]
    assert not {"script", "style", "svg"} & set(tags)


def test_html_in_markdown_shows_as_the_text_the_model_wrote():
    # an answer about HTML must read as written, not turn into (or lose) elements
    out = markdown_html("Use <div> for blocks, and <img src=x onerror=alert(1)>.")
    parsed = parse(out)
    assert [tag for tag, _ in parsed.elements] == ["p"]
    assert "".join(parsed.text).strip() == "Use <div> for blocks, and <img src=x onerror=alert(1)>."


def test_html_allowed_keeps_harmless_tags_and_drops_their_handlers():
    out = markdown_html('H<sub onclick="x()">2</sub>O <kbd>Ctrl</kbd>', raw_html=True)
    assert parse(out).elements == [("p", {}), ("sub", {}), ("kbd", {})]


def test_links_open_in_a_new_tab_and_others_lose_their_address():
    out = parse(markdown_html("[docs](https://docs.example/a?b=1) and [rel](/lab/tree/x)"))
    links = [attrs for tag, attrs in out.elements if tag == "a"]
    assert links[0]["href"] == "https://docs.example/a?b=1"
    assert links[0]["target"] == "_blank" and links[0]["title"] == "https://docs.example/a?b=1"
    assert "noopener" in links[0]["rel"]
    assert "href" not in links[1]  # a relative link would act inside the Jupyter server
    assert "".join(out.text).strip() == "docs and rel"


def test_a_javascript_link_is_shown_as_text_and_does_nothing():
    out = parse(markdown_html("[click me](javascript:alert(document.cookie))"))
    assert [tag for tag, _ in out.elements] == ["p"]
    assert "click me" in "".join(out.text)


def test_embedded_images_show_and_remote_ones_are_named_instead():
    out = parse(markdown_html(f"![dot]({PNG}) ![pixel](https://tracker.example/p.png)"))
    images = [attrs for tag, attrs in out.elements if tag == "img"]
    assert images == [{"src": PNG, "alt": "dot"}]
    assert "[image not shown: pixel (https://tracker.example/p.png)]" in "".join(out.text)


def test_code_blocks_are_kept_verbatim_with_their_language():
    code = 'def f(x):\n    return "<b>" + x  # <script>\n'
    out = markdown_html(f"Here:\n\n```python\n{code}```\n\nand `inline <i>`.")
    parsed = parse(out)
    assert ("code", {"class": "language-python"}) in parsed.elements
    assert ("pre", {}) in parsed.elements
    assert code in "".join(parsed.text)
    assert "inline <i>" in "".join(parsed.text)
    assert "i" not in [tag for tag, _ in parsed.elements]


def test_a_hostile_class_on_code_is_dropped():
    out = parse(markdown_html('```" onmouseover="alert(1)\nx\n```'))
    for tag, attrs in out.elements:
        assert set(attrs) <= {"class"} and not any(k.startswith("on") for k in attrs), (tag, attrs)


def test_what_readers_need_is_kept():
    text = "# Title\n\n**bold** *em* ~~old~~\n\n1. one\n2. two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    tags = {tag for tag, _ in parse(markdown_html(text)).elements}
    assert {"h1", "strong", "em", "s", "ol", "li", "table", "th", "td"} <= tags


def test_missing_and_non_text_values():
    assert markdown_html(None) == ""
    assert markdown_html(float("nan")) == ""
    with pytest.raises(NblabelError, match=r"Markdown must be text, not int.*astype\(str\)"):
        markdown_html(42)


def test_a_lone_surrogate_becomes_a_replacement_character():
    out = markdown_html("file \udcff name")
    out.encode("utf-8")  # would raise if the surrogate reached the browser
    assert "\ufffd" in out


FRAGMENTS = st.sampled_from(
    [*HOSTILE, "**", "`", "```", "\n", "[", "](", ")", "<", ">", '"', "'", "=", " ", "![", "&#"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(FRAGMENTS, st.text(max_size=8)), max_size=12), st.booleans())
def test_any_mix_of_hostile_fragments_comes_out_inert(parts, raw_html):
    assert_inert(markdown_html("".join(parts), raw_html=raw_html))


def test_without_the_llm_extra_the_error_says_what_to_install(monkeypatch):
    import nblabel._markdown as markdown

    markdown._parser.cache_clear()
    monkeypatch.setitem(sys.modules, "markdown_it", None)  # as if not installed
    try:
        with pytest.raises(NblabelError, match=r"needs markdown-it-py.*nblabel\[llm\]"):
            markdown_html("*x*")
    finally:
        markdown._parser.cache_clear()
