// The scatter view: the embedding's bqplot figure (a child widget), the labels as buttons with
// their colours, and a preview of the selected points. A digit labels the selection: the
// message names the label value and is shown as pending until the kernel acknowledges it.
// Joined after base.js, whose helpers (h, optionButtons, keyName, randomId, themeColor) it uses
// by name; it has no item queue, so it does not mount base's item-by-item shell.

const THUMB_BOX = 56; // CSS pixels of a thumbnail's box (scatter.css)

// The coordinates of the points, float64 bytes as sent.
const floats = (bytes) => typed(Float64Array, bytes);

// The positions of the points inside a polygon given in data coordinates (even-odd rule).
function pointsInside(xs, ys, polygon) {
  let [left, right, bottom, top] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const [x, y] of polygon) {
    left = Math.min(left, x);
    right = Math.max(right, x);
    bottom = Math.min(bottom, y);
    top = Math.max(top, y);
  }
  const found = [];
  const n = polygon.length;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    const y = ys[i];
    if (x < left || x > right || y < bottom || y > top) continue;
    let inside = false;
    for (let a = 0, b = n - 1; a < n; b = a++) {
      const [xa, ya] = polygon[a];
      const [xb, yb] = polygon[b];
      if (ya > y !== yb > y && x < ((xb - xa) * (y - ya)) / (yb - ya) + xa) inside = !inside;
    }
    if (inside) found.push(i);
  }
  return Int32Array.from(found);
}

// The view's own bytes as a typed array (copied only when not aligned).
function typed(Kind, bytes) {
  const view = bytes instanceof DataView ? bytes : new DataView(bytes.buffer ?? bytes);
  const { buffer, byteOffset, byteLength } = view;
  const size = Kind.BYTES_PER_ELEMENT;
  if (byteOffset % size === 0) return new Kind(buffer, byteOffset, byteLength / size);
  return new Kind(buffer.slice(byteOffset, byteOffset + byteLength));
}

// Many points (gl=): bqplot draws the axes only, the points are drawn here on a 2D canvas over
// the plot area, in the same fixed scales (min/max, no padding): one small square per point in
// its label's colour, grouped by colour (one fillStyle each); with a selection the others are
// faded and the selected drawn last, outlined. Redrawn when the labels, the selection or the
// plot area's size change.
function canvasPoints(plot, model, gl, signal) {
  const xs = floats(gl.x);
  const ys = floats(gl.y);
  const [x0, x1, y0, y1] = gl.extent;
  const canvas = h("canvas", { class: "nblabel-scatter-points" });
  plot.append(canvas);
  let frame = 0;
  let drawnAt = null; // the plot area's place in the canvas when last drawn
  let settling = 0; // frames left to watch for bqplot laying the figure out again
  const SIZE = 4; // CSS pixels of a point's square

  function place() {
    const own = canvas.getBoundingClientRect();
    const box = plot.querySelector(".plotarea_events")?.getBoundingClientRect();
    if (!box) return null;
    return [box.left - own.left, box.top - own.top, box.width, box.height, own.width, own.height].join();
  }

  function draw() {
    frame = 0;
    drawnAt = place();
    const ctx = canvas.getContext("2d");
    const ratio = window.devicePixelRatio || 1;
    const own = canvas.getBoundingClientRect();
    const width = Math.round(own.width * ratio);
    const height = Math.round(own.height * ratio);
    if (canvas.width !== width) canvas.width = width;
    if (canvas.height !== height) canvas.height = height;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const box = plot.querySelector(".plotarea_events")?.getBoundingClientRect();
    if (!box || !box.width || !box.height) return;
    const codes = typed(Int16Array, model.get("codes") || new ArrayBuffer(0));
    const chosen = typed(Int32Array, model.get("chosen") || new ArrayBuffer(0));
    const left = (box.left - own.left) * ratio;
    const top = (box.top - own.top) * ratio;
    const sx = (box.width * ratio) / (x1 - x0);
    const sy = (box.height * ratio) / (y1 - y0);
    const size = SIZE * ratio;
    const half = size / 2;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, box.width * ratio, box.height * ratio);
    ctx.clip();
    const colors = gl.colors;
    const groups = colors.map(() => []);
    for (let i = 0; i < xs.length; i++) groups[codes[i] ?? 0]?.push(i);
    ctx.globalAlpha = chosen.length ? 0.3 : 1;
    groups.forEach((group, code) => {
      ctx.fillStyle = colors[code];
      for (const i of group) {
        ctx.fillRect(left + (xs[i] - x0) * sx - half, top + (y1 - ys[i]) * sy - half, size, size);
      }
    });
    if (chosen.length) {
      ctx.globalAlpha = 1;
      ctx.strokeStyle = themeColor(canvas, "--jp-content-font-color1", "#000");
      ctx.lineWidth = ratio;
      const big = size + 2 * ratio;
      for (const i of chosen) {
        const px = left + (xs[i] - x0) * sx - big / 2;
        const py = top + (y1 - ys[i]) * sy - big / 2;
        ctx.fillStyle = colors[codes[i] ?? 0];
        ctx.fillRect(px, py, big, big);
        ctx.strokeRect(px, py, big, big);
      }
    }
    ctx.restore();
    canvas.dataset.drawn = String(xs.length);
    canvas.dataset.chosen = String(chosen.length);
  }
  const redraw = () => (frame ||= requestAnimationFrame(draw));
  // bqplot lays the figure out again after a resize, in its own time: for a second after one,
  // each frame redraws when the plot area has moved or changed size since the last drawing
  function watch() {
    if (signal.aborted) return;
    if (place() !== drawnAt) redraw();
    if (--settling > 0) requestAnimationFrame(watch);
  }
  const later = () => {
    const idle = settling <= 0;
    settling = 60;
    if (idle) requestAnimationFrame(watch);
  };
  const sizes = new ResizeObserver(later);
  sizes.observe(plot);
  const area = plot.querySelector(".plotarea_events");
  if (area) sizes.observe(area);
  window.addEventListener("resize", later, { signal });
  model.on("change:codes", redraw);
  model.on("change:chosen", redraw);
  signal.addEventListener("abort", () => {
    sizes.disconnect();
    model.off("change:codes", redraw);
    model.off("change:chosen", redraw);
  });
  redraw();
  later(); // the figure's first layout
}

// With canvas points the figure has no selector (its points are not bqplot's): the lasso,
// or the brush, is drawn here on a canvas over the plot while the pointer moves. On release
// its outline is mapped to data through the plot area (the scales' fixed min/max, no padding)
// and the points inside are sent as one int32 buffer. The outline is kept in the plot area's
// pixels, so a page scrolled meanwhile does not move it.
function glSelector(plot, gl, select, signal) {
  const xs = floats(gl.x);
  const ys = floats(gl.y);
  const [x0, x1, y0, y1] = gl.extent;
  const canvas = h("canvas", { class: "nblabel-scatter-lasso" });
  plot.append(canvas);
  let outline = null; // [[x, y] in the plot area's pixels], while drawing
  let start = null;
  let frame = 0;

  const area = () => plot.querySelector(".plotarea_events")?.getBoundingClientRect();
  const local = (event, box) => [
    Math.min(Math.max(event.clientX - box.left, 0), box.width),
    Math.min(Math.max(event.clientY - box.top, 0), box.height),
  ];

  function draw() {
    frame = 0;
    const ctx = canvas.getContext("2d");
    const ratio = window.devicePixelRatio || 1;
    const own = canvas.getBoundingClientRect();
    if (canvas.width !== Math.round(own.width * ratio)) canvas.width = Math.round(own.width * ratio);
    if (canvas.height !== Math.round(own.height * ratio)) canvas.height = Math.round(own.height * ratio);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const box = area();
    if (!outline || !box) return;
    ctx.setTransform(ratio, 0, 0, ratio, (box.left - own.left) * ratio, (box.top - own.top) * ratio);
    ctx.beginPath();
    outline.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.closePath();
    const ink = themeColor(canvas, "--jp-ui-font-color2", "#555");
    ctx.fillStyle = ink;
    ctx.globalAlpha = 0.08;
    ctx.fill();
    ctx.globalAlpha = 1;
    ctx.setLineDash([4, 3]);
    ctx.strokeStyle = ink;
    ctx.lineWidth = 1.5;
    ctx.stroke();
  }
  const redraw = () => (frame ||= requestAnimationFrame(draw));

  function extend(event) {
    const box = area();
    if (!box) return;
    const point = local(event, box);
    if (gl.selector === "brush") {
      const [sx, sy] = start;
      outline = [start, [point[0], sy], point, [sx, point[1]]];
    } else outline.push(point);
    redraw();
  }

  canvas.addEventListener(
    "pointerdown",
    (event) => {
      const box = area();
      if (event.button !== 0 || !box) return;
      const { clientX: cx, clientY: cy } = event;
      if (cx < box.left || cx > box.right || cy < box.top || cy > box.bottom) return;
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      start = local(event, box);
      outline = [start];
      redraw();
    },
    { signal },
  );
  canvas.addEventListener("pointermove", (event) => outline && extend(event), { signal });
  canvas.addEventListener(
    "pointerup",
    (event) => {
      if (!outline) return;
      extend(event);
      const box = area();
      const drawn = outline;
      outline = null;
      redraw();
      if (!box || !box.width || !box.height) return;
      const polygon = drawn.map(([px, py]) => [
        x0 + (px / box.width) * (x1 - x0),
        y1 - (py / box.height) * (y1 - y0),
      ]);
      select(polygon.length < 3 ? new Int32Array(0) : pointsInside(xs, ys, polygon));
    },
    { signal },
  );
  canvas.addEventListener("pointercancel", () => ((outline = null), redraw()), { signal });
}

function renderScatter({ model, el }) {
  const controller = new AbortController();
  const client = randomId();
  let seq = 0;
  const pending = new Map(); // seq -> what was sent, until the kernel acknowledges it
  let localError = ""; // said by the view itself (no kernel)
  el.classList.add("nblabel", "nblabel-scatter");
  el.tabIndex = 0;

  const title = h("span", { class: "nblabel-task", text: model.get("info").task ?? "" });
  const tally = h("span", { class: "nblabel-scatter-counts" });
  const plot = h("div", { class: "nblabel-scatter-plot" });
  const side = h("div", { class: "nblabel-scatter-side" });
  const optionsBox = h("div", { class: "nblabel-options", role: "group" });
  const hint = h("div", { class: "nblabel-scatter-hint" });
  const status = h("div", { class: "nblabel-status" });
  const errorBox = h("div", { class: "nblabel-error", role: "alert" });
  const noticeBox = h("div", { class: "nblabel-notice", role: "note" });
  el.replaceChildren(
    h("div", { class: "nblabel-header" }, title, tally),
    noticeBox,
    h("div", { class: "nblabel-scatter-main" }, plot, side),
    hint,
    optionsBox,
    status,
    errorBox,
  );

  let figureView = null;
  const ref = model.get("figure");
  if (ref) {
    model.widget_manager
      .get_model(ref.replace(/^IPY_MODEL_/, ""))
      .then((child) => model.widget_manager.create_view(child))
      .then((view) => {
        if (controller.signal.aborted) return view.remove();
        figureView = view;
        plot.replaceChildren(view.el);
        view.trigger?.("displayed");
        const gl = model.get("gl");
        if (gl?.x) {
          canvasPoints(plot, model, gl, controller.signal);
          glSelector(plot, gl, selectPositions, controller.signal);
        }
        requestAnimationFrame(() => window.dispatchEvent(new Event("resize")));
      })
      .catch((err) => plot.replaceChildren(h("div", { class: "nblabel-note", text: `cannot show the plot: ${err}` })));
  }

  function send(msg) {
    msg.client = client;
    msg.seq = ++seq;
    pending.set(msg.seq, msg);
    paint();
    try {
      model.send(msg);
    } catch (err) {
      localError = "The kernel is not connected: run the cell again";
      paint();
    }
  }

  // the points the view's own lasso holds (canvas points): their positions, one binary buffer
  function selectPositions(positions) {
    try {
      model.send({ kind: "select" }, undefined, [positions.buffer]);
    } catch (err) {
      localError = "The kernel is not connected: run the cell again";
      paint();
    }
  }

  function pick(index) {
    const option = model.get("options")[index];
    if (!option) return;
    // the selection lives in the kernel (bqplot's Scatter.selected), which refuses an empty one
    localError = "";
    send({ kind: "label", value: option.value });
  }

  // a point's image, sent as bytes; a picture smaller than its box is enlarged without blur
  function thumbnail(image) {
    const bytes = image.data instanceof DataView ? image.data.buffer : image.data;
    const url = URL.createObjectURL(new Blob([bytes], { type: image.mime }));
    const img = h("img", { class: "nblabel-scatter-thumb", src: url, alt: "" });
    if (Math.max(image.width, image.height) < THUMB_BOX) img.classList.add("nblabel-scatter-thumb-small");
    img.addEventListener("load", () => URL.revokeObjectURL(url), { once: true });
    img.addEventListener("error", () => URL.revokeObjectURL(url), { once: true });
    return img;
  }

  function paint() {
    const acked = model.get("acks")[client] ?? 0;
    for (const n of [...pending.keys()]) if (n <= acked) pending.delete(n);
    const options = model.get("options");
    optionsBox.replaceChildren(...optionButtons(options, () => false, pick));
    optionsBox.querySelectorAll(".nblabel-option").forEach((button, i) => {
      button.style.borderLeft = `6px solid ${options[i].color}`;
    });
    const counts = model.get("counts");
    tally.textContent = Object.entries(counts)
      .map(([label, n]) => `${label}: ${n}`)
      .join(" · ");
    const picked = model.get("picked");
    const keys = options.map((o) => o.key).filter((k) => k != null);
    const range = keys.length ? `${keyName(keys[0])}–${keyName(keys[keys.length - 1])}` : "a label";
    hint.textContent = picked
      ? `${picked} point${picked > 1 ? "s" : ""} selected: ${range} labels them all · ⌫ takes the last label back`
      : "Drag a lasso around points to select them, then press a key to label them all";

    const preview = model.get("preview");
    const page = model.get("preview_page");
    const pages = model.get("preview_pages");
    side.replaceChildren(h("div", { class: "nblabel-scatter-side-title", text: picked ? `Selected (${picked})` : "Selected: none" }));
    const list = h("ol", { class: "nblabel-scatter-preview" });
    for (const entry of preview) {
      const body = h("div", { class: "nblabel-scatter-entry" }, h("span", { class: "nblabel-scatter-id", text: itemText(entry.item) }));
      if (entry.label) body.append(h("span", { class: "nblabel-scatter-label", text: entry.label }));
      if (entry.text) body.append(h("div", { class: "nblabel-scatter-text", dir: "auto", text: entry.text }));
      const row = h("li", { "data-item": entry.item });
      if (entry.image) row.append(thumbnail(entry.image));
      else if (entry.image_error) row.append(h("div", { class: "nblabel-scatter-thumb nblabel-scatter-thumb-error", title: entry.image_error, text: "no image" }));
      row.append(body);
      list.append(row);
    }
    side.append(list);
    if (pages > 1) {
      const nav = h("div", { class: "nblabel-scatter-pages" });
      const prev = h("button", { type: "button", text: "‹" });
      const next = h("button", { type: "button", text: "›" });
      prev.disabled = page <= 0;
      next.disabled = page + 1 >= pages;
      prev.addEventListener("click", () => model.send({ kind: "page", page: page - 1 }));
      next.addEventListener("click", () => model.send({ kind: "page", page: page + 1 }));
      nav.append(prev, h("span", { text: ` page ${page + 1} of ${pages} ` }), next);
      side.append(nav);
    }

    const info = model.get("info");
    status.dataset.saved = String(model.get("saved"));
    status.dataset.pending = String(pending.size);
    status.classList.toggle("nblabel-is-pending", pending.size > 0);
    status.replaceChildren(
      h("span", { class: `nblabel-mark ${pending.size ? "nblabel-mark-pending" : "nblabel-mark-ok"}`, "aria-hidden": "true" }),
      h("span", {
        class: "nblabel-save-state",
        text: pending.size ? "saving…" : model.get("saved") ? "all labels saved" : "ready",
      }),
      h("span", { class: "nblabel-where", text: ` · annotator: ${info.annotator} · task: ${info.task} · ${info.store}` }),
    );
    const error = model.get("error") || localError;
    errorBox.textContent = error;
    errorBox.hidden = !error;
    noticeBox.textContent = model.get("notice");
    noticeBox.hidden = !model.get("notice");
  }

  el.addEventListener(
    "keydown",
    (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
      const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
      const bound = model.get("keymap")[key];
      if (bound === undefined) {
        if (!LEAVE_TO_NOTEBOOK.has(event.key)) event.stopPropagation();
        return;
      }
      event.preventDefault();
      event.stopPropagation(); // keys the widget owns never reach JupyterLab
      if (event.repeat) return;
      if (typeof bound === "number") pick(bound);
      else if (bound === "undo") send({ kind: "action", name: "undo" });
    },
    { signal: controller.signal },
  );
  // keys meant for the widget are marked for Lumino first (see base.js, markOwnKey)
  window.addEventListener(
    "keydown",
    (event) => {
      const target = event.target;
      if (!(target instanceof Element) || !el.contains(target)) return;
      if (event.ctrlKey || event.metaKey || event.altKey || LEAVE_TO_NOTEBOOK.has(event.key)) return;
      target.setAttribute(SUPPRESS_SHORTCUTS, "");
      setTimeout(() => target.removeAttribute(SUPPRESS_SHORTCUTS), 0);
    },
    { capture: true, signal: controller.signal },
  );
  el.addEventListener("focusin", () => el.classList.add("nblabel-focused"), { signal: controller.signal });
  el.addEventListener("focusout", (e) => !el.contains(e.relatedTarget) && el.classList.remove("nblabel-focused"), {
    signal: controller.signal,
  });
  // the lasso is drawn with the mouse: keep the keys on the widget afterwards
  el.addEventListener("pointerup", () => el.focus({ preventScroll: true }), { signal: controller.signal });

  model.on("change", paint);
  paint();
  return () => {
    controller.abort();
    model.off("change", paint);
    figureView?.remove();
  };
}

export default { render: renderScatter };
