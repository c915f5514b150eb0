"""Every widget kind under JupyterLab's light theme and its dark one (in JupyterLab and in
Notebook 7), and on a narrow page: each word a view shows reads on its background (a contrast
of 4.5:1, WCAG's AA for text), a plot's lines, legend and tick labels stand out from the plot
(3:1), and nothing of a view lies outside its box. A view that named its own colours drew
dark grey on the dark theme's dark grey: the recordings' lines and hints could not be seen
there; on a narrow page the agreement maps ran off the view's right edge."""

from __future__ import annotations

import time

import pytest
from lab import (
    notebook_in_front_end,
    press,
    screenshot,
    start_jupyter_server,
    stop_process,
    wait_until,
)

THEME_SETTINGS = "@jupyterlab/apputils-extension/themes.jupyterlab-settings"
VIEWS = ".nblabel"  # the root of every nblabel widget carries the class

SETUP = """\
import wave

import numpy as np
import pandas as pd
from PIL import Image

import nblabel
from nblabel.datasets import reviews

df = reviews().head(6)
store = nblabel.LabelStore("themes.db")
for i in range(3):
    Image.new("RGB", (320, 200), (40 * i, 120, 200)).save(f"img{i}.png")
    with wave.open(f"clip{i}.wav", "wb") as f:
        f.setnchannels(1), f.setsampwidth(2), f.setframerate(8000)
        f.writeframes((np.sin(np.arange(8000) * 0.17) * 12000).astype("<i2").tobytes())
pictures = pd.DataFrame({"image": [f"img{i}.png" for i in range(3)]}, index=["p0", "p1", "p2"])
clips = pd.DataFrame({"audio": [f"clip{i}.wav" for i in range(3)]}, index=["c0", "c1", "c2"])
t = np.arange(600) / 10.0
signals = pd.DataFrame({"time": t, "x": np.sin(t), "y": np.cos(t) / 2, "rec": "a"})
rng = np.random.default_rng(0)
points = pd.DataFrame({"ux": rng.normal(size=60), "uy": rng.normal(size=60),
                       "text": [f"point {i}" for i in range(60)]})
plan = nblabel.Assignment(overlap=2, batch=2)
for who, labels in {"ann": ["pos", "neg", "pos"], "bob": ["neg", "neg", "pos"]}.items():
    for item, label in zip(plan.claim(store, "s", who, items=df.index), labels):
        store.append(task="s", item=item, annotator=who, label=label, rationale=f"{who}: {label}")
"""
CELLS = [
    SETUP,
    'w = nblabel.classify(df, options=["pos", "neg", "neutral"], text="review", task="c",\n'
    '                     store=store, rationale=True)\nw.press("1")\nw',
    'nblabel.classify(pictures, options=["sky", "sea"], image="image", grid=6, task="g",\n'
    "                 store=store)",
    'nblabel.rate(df, scale=range(1, 6), text="review", task="r", store=store,\n'
    '             scale_labels=("awful", "great"))',
    'nblabel.caption(df, text="review", task="cap", store=store)',
    'nblabel.annotate_spans(df, text="review", classes=["PRODUCT", "PRICE"], task="sp",\n'
    "                       store=store)",
    'nblabel.compare(pd.DataFrame({"q": ["What is 1 + 1?"], "a": ["2"], "b": ["**It is 2**"]}),\n'
    '                prompt="q", candidates=["a", "b"], task="cmp", store=store)',
    'nblabel.review_steps(pd.DataFrame({"q": ["Is 91 prime?"],\n'
    '                                   "steps": [["91 is odd", "91 = 7 * 13", "So it is"]]}),\n'
    '                     question="q", steps="steps", task="st", store=store)',
    'nblabel.annotate_images(pictures, image="image", classes=["sky", "road"], task="im",\n'
    "                        store=store)",
    'nblabel.label_series(signals, time="time", value=["x", "y"], by="rec",\n'
    '                     classes=["walk", "run"], task="ts", store=store)',
    'nblabel.label_audio(clips, audio="audio", classes=["speech", "music"], task="au",\n'
    "                    store=store)",
    'nblabel.label_scatter(points, x="ux", y="uy", options=["spam", "ham"], preview="text",\n'
    '                      task="sc", store=store)',
    'nblabel.review(store, "s", data=df, text="review", reviewer="lead")',
    # reviews of spans and of shapes: each annotator's marks in their own colour and dash
    'for who, spans in (("ann", [(0, 5, "PRODUCT")]), ("bob", [(0, 5, "PRICE")])):\n'
    '    marks = nblabel.annotate_spans(df, text="review", classes=["PRODUCT", "PRICE"],\n'
    '                                   store=store, annotator=who, task="spr")\n'
    "    for span in spans:\n"
    "        marks.add_span(*span)\n"
    "    marks.submit()\n"
    "    marks.close()\n"
    'nblabel.review(store, "spr", data=df, text="review", reviewer="lead")',
    'for who, boxes in {"ann": [(40, 30, 120, 90), (200, 120, 80, 60)],\n'
    '                   "bob": [(50, 40, 100, 70)]}.items():\n'
    '    drawn = nblabel.annotate_images(pictures, image="image", classes=["sky", "road"],\n'
    '                                    store=store, annotator=who, task="shr")\n'
    "    for box in boxes:\n"
    '        drawn.add_box(*box, "sky")\n'
    "    drawn.submit()\n"
    "    drawn.close()\n"
    'nblabel.review(store, "shr", data=pictures, image="image", reviewer="lead")',
    'nblabel.status(store, "s").widget()',
    'nblabel.agreement.report(store, task="s").widget()',
]
N_VIEWS = len(CELLS) - 1

# Colours as the page computes them, and WCAG's contrast of two of them. A text's background
# is the nearest opaque background around it, translucent ones laid over it in turn; in an
# SVG plot it is the plot's own background (bqplot's rect.plotarea_background).
CONTRAST = """
// rgb(…) and rgba(…), and color(srgb r g b / a) with channels from 0 to 1 (what the page
// computes for a color-mix())
const parse = (c) => {
  const m = c && c.match(/^(rgba?|color)\\((?:srgb\\s+)?([^)]+)\\)$/);
  if (!m) return null;
  const p = m[2].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
  const scale = m[1] === 'color' ? 255 : 1;
  return [p[0] * scale, p[1] * scale, p[2] * scale, p.length > 3 ? p[3] : 1];
};
const luminance = ([r, g, b]) => {
  const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
};
const contrast = (a, b) => {
  const [x, y] = [luminance(a), luminance(b)];
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
};
const backgroundOf = (el) => {
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor);
    if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
  }
  let out = [255, 255, 255];
  for (const c of layers.reverse()) out = out.map((v, i) => c[i] * c[3] + v * (1 - c[3]));
  return out;
};
const plotBackground = (svg) => {
  const rect = svg.querySelector('rect.plotarea_background');
  const fill = rect && parse(getComputedStyle(rect).fill);
  return fill && fill[3] > 0 ? fill.slice(0, 3) : backgroundOf(svg);
};
"""

# every word of every view with too little contrast: HTML text against its background, and
# a plot's legend and tick labels, lines and (stacked) bars against the plot's background
LOW_CONTRAST = f"""(views) => {{
{CONTRAST}
  const low = [];
  const note = (root, el, what, ratio, fg, bg) => low.push({{
    view: root.className.split(' ').filter(c => c.startsWith('nblabel')).join(' '),
    what, cls: String(el.getAttribute('class') || el.tagName), ratio: +ratio.toFixed(2),
    fg: fg.slice(0, 3).join(','), bg: bg.map(Math.round).join(','),
  }});
  for (const root of document.querySelectorAll(views)) {{
    for (const el of root.querySelectorAll('*')) {{
      if (el instanceof SVGElement || !el.getClientRects().length) continue;
      const text = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent)
        .join('').trim();
      const style = getComputedStyle(el);
      if (!text || style.visibility === 'hidden') continue;
      const fg = parse(style.color), bg = backgroundOf(el);
      const ratio = contrast(fg, bg);
      if (ratio < 4.5) note(root, el, text.slice(0, 40), ratio, fg, bg);
    }}
    for (const svg of root.querySelectorAll('svg.svg-figure')) {{
      const bg = plotBackground(svg);
      const marks = [
        ...[...svg.querySelectorAll('text.legendtext, g.axis g.tick text')]
          .map(t => [t, t.textContent, 'fill', 4.5]),
        ...[...svg.querySelectorAll('path.line')].map(p => [p, 'a line', 'stroke', 3]),
      ];
      for (const [el, what, paint, least] of marks) {{
        if (!el.getClientRects().length) continue;
        const fg = parse(getComputedStyle(el)[paint]);
        if (!fg || fg[3] === 0) continue;
        const ratio = contrast(fg, bg);
        if (ratio < least) note(root, el, what, ratio, fg, bg);
      }}
    }}
  }}
  return low;
}}"""

# which theme the page is in, from the background of the first view
PAGE_THEME = f"""() => {{
{CONTRAST}
  return luminance(backgroundOf(document.querySelector('.nblabel'))) < 0.2 ? 'dark' : 'light';
}}"""

# the width of each plot area of a view
PLOT_WIDTHS = """view => [...view.querySelectorAll('.plotarea_events')]
    .map(area => Math.round(area.getBoundingClientRect().width))"""

# what of each view lies outside its box, left or right (a view fits the width it is given:
# its parts wrap, or scroll inside a part of their own)
OVERFLOWING = """(views) => [...document.querySelectorAll(views)].flatMap(view => {
  const box = view.getBoundingClientRect();
  const clipped = (el) => {
    for (let e = el.parentElement; e && e !== view; e = e.parentElement) {
      if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(e).overflowX)) return true;
    }
    return false;
  };
  return [...view.querySelectorAll('*')].filter(el => {
    const r = el.getBoundingClientRect();
    return r.width && (r.left < box.left - 1 || r.right > box.right + 1) && !clipped(el);
  }).map(el => [view.className.split(' ').filter(c => c.startsWith('nblabel')).join(' '),
                String(el.getAttribute('class') || el.tagName)]);
})"""

# (front end, theme, id, width of the page): the narrow page leaves a notebook about 450
# pixels, as JupyterLab beside another panel does
THEMES = [
    ("lab", "JupyterLab Light", "light", 1100),
    ("lab", "JupyterLab Dark", "dark", 1100),
    ("notebook7", "JupyterLab Dark", "dark-notebook7", 1100),
    ("lab", "JupyterLab Light", "narrow", 560),
]


def plots_settled(view) -> bool:
    """Whether the view's plots keep their width: bqplot lays out a plot below the fold again
    once it is in sight, 0.3 s on (a screenshot before that shows it narrow)."""
    before = view.evaluate(PLOT_WIDTHS)
    time.sleep(0.4)
    return view.evaluate(PLOT_WIDTHS) == before


@pytest.fixture(scope="module")
def dark_server(tmp_path_factory):
    """A JupyterLab whose user settings choose the dark theme (Notebook 7 reads them too)."""
    server = start_jupyter_server(
        tmp_path_factory.mktemp("dark"), settings={THEME_SETTINGS: {"theme": "JupyterLab Dark"}}
    )
    yield server
    stop_process(server.proc)


@pytest.fixture(scope="module", params=THEMES, ids=[theme[2] for theme in THEMES])
def themed(request, browser, jupyter_server):
    front_end, theme, name, width = request.param
    server = jupyter_server if theme == "JupyterLab Light" else request.getfixturevalue(
        "dark_server"
    )
    with notebook_in_front_end(
        front_end, browser, server, f"themes_{name}.ipynb", cells=CELLS,
        min_widget_views=N_VIEWS, widgets=VIEWS, viewport={"width": width, "height": 900},
    ) as (page, _probe):  # fmt: skip
        page.locator(VIEWS).nth(N_VIEWS - 1).wait_for()
        page.locator(f"{VIEWS} >> svg path.line").first.wait_for()  # the plots are drawn
        yield page, theme, name


def test_every_word_and_line_of_every_view_reads_on_its_background_within_its_box(themed):
    page, theme, name = themed
    views = page.locator(VIEWS)
    assert views.count() == N_VIEWS
    assert page.evaluate(PAGE_THEME) == ("light" if theme == "JupyterLab Light" else "dark")
    for i in range(N_VIEWS):
        view = views.nth(i)
        view.scroll_into_view_if_needed()
        kinds = [c for c in view.get_attribute("class").split() if c.startswith("nblabel-")]
        wait_until(lambda view=view: plots_settled(view))
        kind = kinds[-1].removeprefix("nblabel-")
        screenshot(page, f"theme-{name}-{i:02d}-{kind}", view)
    # the list of keys open on the first view: its words are checked too
    first = views.first
    first.scroll_into_view_if_needed()
    press(page, f"{VIEWS} >> nth=0", "?")
    keys = first.locator(".nblabel-help")
    keys.wait_for(state="visible")
    screenshot(page, f"theme-{name}-keys", first)
    low = page.evaluate(LOW_CONTRAST, VIEWS)
    assert keys.is_visible()
    assert not low, "\n".join(map(str, low))
    outside = page.evaluate(OVERFLOWING, VIEWS)
    assert not outside, outside[:10]
