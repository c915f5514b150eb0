// The spans view: mark parts of a text with classes. Joined after base.js, whose functions
// (h, mount, optionButtons, renderContent, keyName) it uses by name.
// Offsets here are the browser's (UTF-16 units, as String.slice counts); the payload's
// tokens and pre-labels come in them, and a label goes out as {"utf16": spans} with each
// span's text: the kernel converts to Python offsets and checks the text is the item's.
// A saved label comes back in Python offsets (code points) and is converted by unitsOf.
// The text is data: every piece is written with textContent; class names shown on the
// highlights come from a data attribute through CSS (::after), never into the text itself,
// so a selection's offsets count the text alone.

const SPAN_COLOURS = 8; // .nblabel-c0 … .nblabel-c7 in spans.css, reused past eight classes

// UTF-16 offset of each code point offset of `text` (null when they are the same)
function unitsOf(text) {
  if (!/[\uD800-\uDFFF]/.test(text)) return null;
  const table = [0];
  let units = 0;
  for (const ch of text) table.push((units += ch.length));
  return table;
}

// the token bounds of the payload: little-endian uint32 pairs, a binary buffer
function boundsOf(data) {
  if (!data) return [];
  if (Array.isArray(data)) return data;
  const view = data instanceof DataView ? data : new DataView(data.buffer ?? data, data.byteOffset ?? 0, data.byteLength);
  const out = new Array(view.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getUint32(4 * i, true);
  return out;
}

function spansView(ctx) {
  const { model } = ctx;
  let text = "";
  let tokens = []; // flat UTF-16 bounds [start, end, start, end, …]; empty: exact characters
  let snap = false;
  let item = null; // the item the draft belongs to
  let draft = []; // [{start, end, label, suggested}] in UTF-16 units
  let dirty = false; // changed in this view since shown: the kernel's draft no longer replaces it
  let sel = null; // {start, end}: the selection waiting for a class
  let chosen = -1; // the span clicked on (its index in draft)
  let caret = 0;
  let anchor = null; // where Shift+arrows started
  let stops = null; // where the caret stops (token or grapheme bounds), made when first needed
  let version = 0; // bumped on every change of the draft
  let drawn = null; // what the text was last drawn from: redrawn only when that changes

  const classes = () => model.get("options").map((o) => o.label);
  const textBox = h("div", { class: "nblabel-spans-text", dir: "auto" });
  const chips = h("div", { class: "nblabel-options nblabel-spans-classes", role: "group" });
  const chosenBar = h("div", { class: "nblabel-spans-chosen", hidden: "" });
  const summary = h("div", { class: "nblabel-spans-summary" });
  const votesBox = h("div", { class: "nblabel-spans-votes" }); // review: each annotator's spans
  ctx.body.append(chips, chosenBar, summary);

  // ---- offsets ------------------------------------------------------------------------------
  function pointOffset(node, offset) {
    // a DOM point (text node or element, offset) as a UTF-16 offset into the text; pieces
    // (chunks and the segments in them) carry their offsets as data-start / data-end
    if (node.nodeType === Node.TEXT_NODE) {
      const seg = node.parentElement.closest(".nblabel-seg");
      return seg ? Number(seg.dataset.start) + offset : null;
    }
    if (!(node instanceof Element) || !textBox.contains(node)) return null;
    const seg = node.closest(".nblabel-seg");
    if (seg) return offset === 0 ? Number(seg.dataset.start) : Number(seg.dataset.end);
    const child = node.childNodes[offset];
    if (child instanceof Element && child.dataset.start != null) return Number(child.dataset.start);
    return node.dataset.end != null ? Number(node.dataset.end) : text.length;
  }

  // the draft's spans that cover the piece [a, b), innermost first
  function coveringOf(a, b) {
    const found = [];
    draft.forEach((s, i) => {
      if (s.start <= a && s.end >= b) found.push(i);
    });
    return found.sort((i, j) => draft[i].end - draft[i].start - (draft[j].end - draft[j].start));
  }

  function snapped(start, end) {
    if (!snap) return { start, end };
    let first = -1;
    let last = -1;
    for (let i = 0; i < tokens.length; i += 2) {
      if (tokens[i + 1] > start && first < 0) first = i;
      if (tokens[i] < end) last = i;
    }
    if (first < 0 || last < first) return null; // only spaces
    return { start: tokens[first], end: tokens[last + 1] };
  }

  function caretStops() {
    if (!stops && snap) stops = [...new Set([0, ...tokens, text.length])].sort((a, b) => a - b);
    if (!stops) {
      stops = [0];
      if (typeof Intl !== "undefined" && Intl.Segmenter) {
        for (const g of new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(text)) {
          stops.push(g.index + g.segment.length);
        }
      } else {
        let at = 0;
        for (const ch of text) stops.push((at += ch.length));
      }
    }
    return stops;
  }

  // ---- the draft ----------------------------------------------------------------------------
  function fromHeld(sample) {
    const held = sample.label != null ? JSON.parse(sample.label) : null;
    if (Array.isArray(held)) {
      const units = unitsOf(text);
      const at = (i) => (units ? units[i] : i);
      return held.map((s) => ({ start: at(s.start), end: at(s.end), label: s.label, suggested: false }));
    }
    return (sample.content.prelabels ?? []).map((s) => ({ ...s, suggested: true }));
  }

  function adoptKernelDraft() {
    const kernel = model.get("draft");
    if (dirty || !kernel || kernel.item !== item) return false;
    const spans = kernel.spans ?? [];
    const same =
      spans.length === draft.length &&
      spans.every((s, i) => s.start === draft[i].start && s.end === draft[i].end && s.label === draft[i].label && !!s.suggested === draft[i].suggested);
    if (!same) {
      draft = spans.map((s) => ({ start: s.start, end: s.end, label: s.label, suggested: !!s.suggested }));
      version++;
    }
    return true;
  }

  function changed() {
    dirty = true;
    version++;
    model.set("draft", { item, spans: draft.map(({ start, end, label, suggested }) => ({ start, end, label, suggested })) });
    model.save_changes();
    ctx.paint();
  }

  function overlapping(span) {
    return draft.find((s) => s.start < span.end && span.start < s.end);
  }

  function addSpan(start, end, label) {
    const span = { start, end, label, suggested: false };
    if (draft.some((s) => s.start === start && s.end === end && s.label === label)) return;
    const clash = overlapping(span);
    if (clash && !model.get("overlap")) {
      ctx.flash(`Overlaps "${text.slice(clash.start, clash.end)}" (${clash.label}): remove that span first (click it, then Delete)`, 4000);
      return;
    }
    draft.push(span);
    draft.sort((a, b) => a.start - b.start || a.end - b.end);
    sel = null;
    chosen = -1;
    changed();
  }

  function pick(index) {
    const label = classes()[index];
    if (label == null) return;
    if (sel) return addSpan(sel.start, sel.end, label);
    if (chosen >= 0 && draft[chosen]) {
      draft[chosen] = { ...draft[chosen], label, suggested: false };
      return changed();
    }
    ctx.flash("Select text first (with the mouse, or Shift+arrows), then press a class key");
  }

  function removeChosen() {
    if (chosen < 0 || !draft[chosen]) return false;
    draft.splice(chosen, 1);
    chosen = -1;
    changed();
    return true;
  }

  // ---- mouse --------------------------------------------------------------------------------
  textBox.addEventListener(
    "mouseup",
    (event) => {
      const selection = window.getSelection();
      const range = selection && selection.rangeCount ? selection.getRangeAt(0) : null;
      let a = range ? pointOffset(range.startContainer, range.startOffset) : null;
      let b = range ? pointOffset(range.endContainer, range.endOffset) : null;
      if (range && !range.collapsed && range.intersectsNode(textBox)) {
        // a drag that ends (or starts) outside the text: up to its end (from its start)
        if (a == null) a = 0;
        if (b == null) b = text.length;
      }
      if (a != null && b != null && b > a) {
        const s = snapped(a, b);
        selection.removeAllRanges(); // the view draws the (snapped) selection itself
        if (!s) return ctx.flash("That selection holds no word: select a word");
        sel = s;
        chosen = -1;
        anchor = s.start;
        caret = s.end;
        ctx.paint();
        return;
      }
      // a click: on a span chooses it (the innermost), elsewhere puts the caret there
      const seg = event.target.closest?.(".nblabel-seg");
      sel = null;
      const covering = seg ? coveringOf(Number(seg.dataset.start), Number(seg.dataset.end)) : [];
      if (covering.length) {
        chosen = covering[0];
      } else {
        chosen = -1;
        if (a != null) caret = a;
      }
      anchor = null;
      ctx.paint();
    },
    { signal: ctx.signal },
  );

  // ---- keys the key map leaves free ---------------------------------------------------------
  function onKey(event, key) {
    if (key === "ArrowLeft" || key === "ArrowRight") {
      const rtl = getComputedStyle(textBox).direction === "rtl";
      const forward = (key === "ArrowRight") !== rtl;
      const all = caretStops();
      const next = forward ? all.find((p) => p > caret) : [...all].reverse().find((p) => p < caret);
      if (event.shiftKey) {
        if (anchor == null) anchor = sel ? sel.start : caret;
        if (next != null) caret = next;
        sel = caret === anchor ? null : { start: Math.min(anchor, caret), end: Math.max(anchor, caret) };
        if (sel) sel = snapped(sel.start, sel.end);
      } else {
        if (next != null) caret = next;
        anchor = null;
        sel = null;
      }
      chosen = -1;
      event.preventDefault();
      ctx.paint();
      return true;
    }
    if (key === "Delete") {
      event.preventDefault();
      return removeChosen();
    }
    if (key === "Escape" && (sel || chosen >= 0)) {
      sel = null;
      chosen = -1;
      anchor = null;
      ctx.paint();
      return true;
    }
    return false;
  }

  // ---- drawing ------------------------------------------------------------------------------
  // The text is drawn in chunks of about CHUNK units (cut at spaces where there are some), each
  // redrawn only when what it shows changed: a new span on a long text costs a few elements,
  // not thousands.
  const CHUNK = 512;
  let chunks = []; // [{start, end, el, key}]
  let chunked = null; // the text the chunks were made for

  function makeChunks() {
    chunks = [];
    let start = 0;
    while (start < text.length) {
      let end = Math.min(text.length, start + CHUNK);
      if (end < text.length) {
        const space = text.indexOf(" ", end);
        if (space >= 0 && space < end + CHUNK / 2) end = space + 1;
        else if (/[\uDC00-\uDFFF]/.test(text[end])) end += 1; // never between a surrogate pair
      }
      const el = h("span", { class: "nblabel-chunk", "data-start": String(start), "data-end": String(end) });
      chunks.push({ start, end, el, key: null });
      start = end;
    }
    chunked = text;
    textBox.replaceChildren(...chunks.map((c) => c.el));
  }

  function drawText() {
    const key = `${item}|${version}|${sel ? `${sel.start}-${sel.end}` : ""}|${caret}|${chosen}|${text.length}`;
    if (key === drawn) return;
    drawn = key;
    if (chunked !== text) makeChunks();
    const chosenSpan = chosen >= 0 ? draft[chosen] : null;
    for (const c of chunks) {
      const inside = draft.filter((s) => s.start < c.end && s.end > c.start);
      const selHere = sel && sel.start < c.end && sel.end > c.start ? sel : null;
      const caretHere = caret >= c.start && (caret < c.end || (caret === text.length && c.end === text.length));
      const chunkKey = JSON.stringify([
        inside.map((s) => [s.start, s.end, s.label, s.suggested, s === chosenSpan]),
        selHere && [selHere.start, selHere.end],
        caretHere && caret,
        classes(),
      ]);
      if (chunkKey === c.key) continue;
      c.key = chunkKey;
      drawChunk(c, inside, selHere, chosenSpan);
    }
  }

  function drawChunk(c, inside, selHere, chosenSpan) {
    const cuts = new Set([c.start, c.end]);
    const clip = (p) => Math.min(c.end, Math.max(c.start, p));
    for (const s of inside) cuts.add(clip(s.start)).add(clip(s.end));
    if (selHere) cuts.add(clip(selHere.start)).add(clip(selHere.end));
    if (caret > c.start && caret < c.end) cuts.add(caret);
    const points = [...cuts].sort((a, b) => a - b);
    const names = classes();
    const size = (s) => s.end - s.start;
    const pieces = [];
    for (let k = 0; k + 1 < points.length; k++) {
      const a = points[k];
      const b = points[k + 1];
      const seg = h("span", { class: "nblabel-seg", "data-start": String(a), "data-end": String(b) });
      seg.textContent = text.slice(a, b);
      const here = inside.filter((s) => s.start <= a && s.end >= b).sort((x, y) => size(x) - size(y));
      if (here.length) {
        // the innermost span colours the text; each outer one adds a line under it
        const colour = (s) => Math.max(0, names.indexOf(s.label)) % SPAN_COLOURS;
        seg.classList.add("nblabel-hl", `nblabel-c${colour(here[0])}`);
        if (here.length > 1) {
          // each span around the innermost: a line under the text in its colour, deeper ones lower
          seg.dataset.depth = String(here.length - 1);
          seg.style.boxShadow = here
            .slice(1)
            .map((s, d) => `0 ${4 + 3 * d}px 0 -1px var(--nbl-c${colour(s)})`)
            .join(", ");
        }
        if (here.some((s) => s.suggested)) seg.classList.add("nblabel-suggested");
        if (chosenSpan && here.includes(chosenSpan)) seg.classList.add("nblabel-chosen");
        if (here.some((s) => s.start === a)) seg.classList.add("nblabel-first");
        const ending = here.filter((s) => s.end === b).map((s) => s.label);
        if (ending.length) {
          seg.classList.add("nblabel-last");
          seg.dataset.tags = ending.join(" · ");
        }
      }
      if (selHere && selHere.start <= a && selHere.end >= b) seg.classList.add("nblabel-selecting");
      if (a === caret) seg.classList.add("nblabel-caret-before");
      if (b === text.length && caret === text.length) seg.classList.add("nblabel-caret-after");
      pieces.push(seg);
    }
    c.el.replaceChildren(...pieces);
  }

  function drawChosen() {
    const span = chosen >= 0 ? draft[chosen] : null;
    chosenBar.hidden = !span;
    if (!span) return;
    const remove = h("button", { class: "nblabel-spans-remove", type: "button", text: "Remove (Delete)" });
    remove.addEventListener("click", () => removeChosen());
    chosenBar.replaceChildren(
      h("span", { class: "nblabel-spans-chosen-text", dir: "auto", text: `“${text.slice(span.start, span.end)}”` }),
      h("span", { text: ` is ${span.label}${span.suggested ? " (suggested)" : ""} · a class key changes it · ` }),
      remove,
    );
  }

  // review: every annotator's spans, read-only, one line each, in the colours of the classes
  function drawVotes(votes, shownText) {
    votesBox.hidden = !votes.length;
    const names = classes();
    votesBox.replaceChildren(
      ...votes.map((vote) =>
        h(
          "div",
          { class: "nblabel-spans-vote" },
          h("span", { class: "nblabel-spans-voter", text: vote.annotator }),
          ...(vote.spans.length
            ? vote.spans.map((span) => {
                const colour = names.indexOf(span.label);
                return h(
                  "span",
                  { class: `nblabel-spans-voted nblabel-c${Math.max(colour, 0) % SPAN_COLOURS}`, dir: "auto" },
                  h("span", { text: shownText.slice(span.start, span.end) }),
                  h("span", { class: "nblabel-spans-voted-label", text: span.label }),
                );
              })
            : [h("span", { class: "nblabel-note", text: "(no spans)" })]),
        ),
      ),
    );
  }

  function drawSummary() {
    const n = draft.length;
    const suggested = draft.filter((s) => s.suggested).length;
    const parts = [n ? `${n} span${n > 1 ? "s" : ""}` : "no spans yet"];
    if (suggested) parts.push(`${suggested} suggested (dashed): Enter accepts them`);
    if (sel) parts.push(`selected “${text.slice(sel.start, sel.end)}”: press a class key`);
    else parts.push("select text, then a class key · Enter saves");
    summary.textContent = parts.join(" · ");
  }

  return {
    hint: "Click here, select text and press a class key · Enter saves · ? lists the keys",
    pick,
    onKey,
    confirmShown: () => true,
    confirm() {
      const spans = draft.map(({ start, end, label }) => ({ start, end, label, text: text.slice(start, end) }));
      ctx.labelIntent(JSON.stringify({ utf16: spans }));
    },
    content(box, sample) {
      const content = sample.content;
      if (!content || content.type !== "spans") {
        text = "";
        return renderContent(box, content, model, ctx.signal);
      }
      box.replaceChildren(textBox, votesBox);
      drawVotes(content.votes ?? [], content.text);
    },
    show(sample) {
      const content = sample.content ?? {};
      text = content.type === "spans" ? content.text : "";
      tokens = boundsOf(content.tokens);
      snap = !!content.snap;
      stops = null;
      item = sample.item;
      dirty = false;
      sel = null;
      chosen = -1;
      caret = 0;
      anchor = null;
      if (!adoptKernelDraft()) draft = text ? fromHeld(sample) : [];
      version++;
    },
    sent() {
      sel = null;
      chosen = -1;
    },
    paint(sample) {
      if (sample && sample.item === item) adoptKernelDraft();
      const span = chosen >= 0 ? draft[chosen] : null;
      chips.replaceChildren(
        ...optionButtons(model.get("options"), (index, option) => !!span && span.label === option.label, pick),
      );
      chips.querySelectorAll(".nblabel-option").forEach((button, i) => button.classList.add(`nblabel-c${i % SPAN_COLOURS}`));
      if (!sample || !text) {
        textBox.replaceChildren();
        chunked = null;
        drawn = null;
        chosenBar.hidden = true;
        summary.textContent = "";
        return;
      }
      drawText();
      drawChosen();
      drawSummary();
    },
    labelText(label) {
      if (!Array.isArray(label)) return String(label);
      if (!label.length) return "(no spans)";
      const text = label.map((s) => `${s.label} ${s.text ?? ""}`.trim()).join(", ");
      return text.length > 60 ? `${text.slice(0, 59)}…` : text;
    },
  };
}

export default widget(spansView);
