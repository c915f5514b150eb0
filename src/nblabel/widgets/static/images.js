// The images view: boxes, polygons, points and masks drawn on a picture. Joined after base.js,
// masks.js, shapes.js, edit.js, votes.js, kernel.js and zoom.js, whose functions it uses by
// name. Three layers:
// - the kernel's canvas (ipycanvas, widgets/_canvas.py): the picture and the shapes Python holds,
//   redrawn once per committed change;
// - under it, this view's own drawing of the same, shown while the kernel's canvas lags behind
//   (the next image the instant a key moves on, an edit or a zoom not yet drawn there, a
//   shape lifted by a drag, a review's votes), so that nothing waits for the kernel;
// - on top, the live layer: the rubber band, the polygon in progress, a shape being moved or
//   resized, a brush stroke, the selection, drawn in the pointer's own listener so they keep up
//   with the hand.
// Every coordinate kept here is in the ORIGINAL image's pixels; only drawing scales them.

function imagesView(ctx) {
  const { model } = ctx;
  let sample = null; // the sample on screen
  let meta = null; // its picture: {width, height, display_width, display_height}
  let bitmap = null;
  let shapes = []; // the image's shapes, original pixels
  let selected = -1;
  let drawing = null; // the live shape being drawn (box, polygon); edits are the editor's
  let tool = model.get("tools")[0] ?? "box";
  let classIndex = model.get("active_class") ?? 0;
  let seenRev = -1;
  let seq = 0; // this view's edits of the image on screen, as sent to the kernel
  let hover = null; // where the pointer is, for the brush's outline

  const toolBar = h("div", { class: "nblabel-image-tools", role: "group", "aria-label": "tools" });
  const classBar = h("div", { class: "nblabel-options nblabel-classes", role: "group", "aria-label": "classes" });
  const counter = h("span", { class: "nblabel-shape-count" });
  ctx.body.append(h("div", { class: "nblabel-image-bar" }, toolBar, counter), classBar);

  const picture = h("canvas", { class: "nblabel-picture" });
  const live = h("canvas", { class: "nblabel-live" });
  // the kernel's picture: shown when it is what this view would draw (kernel.js)
  const kernel = kernelCanvas(ctx, {
    view: () => sample && meta && { item: sample.item, zoom: view.zoom, pan_x: view.panX, pan_y: view.panY, screen: screenScale() },
    current: (d) =>
      meta && sample && d.item === sample.item && d.rev === seenRev && d.seq === seq &&
      d.view?.[0] === view.zoom && d.view?.[1] === view.panX && d.view?.[2] === view.panY &&
      !shapes.some((_, i) => editor.hides(i) || brushTool.hides(i)) && !votes.active,
  });
  const stage = h("div", { class: "nblabel-stage" }, picture, kernel.el, live);
  const view = zoomPan(ctx, {
    stage,
    live,
    meta: () => meta,
    changed() {
      drawPicture();
      ctx.paint();
      kernel.viewChanged();
    },
  });
  const pictures = pictureCache(ctx);
  const onUpcoming = () => pictures.prefetch(sample?.content?.picture);
  model.on("change:upcoming", onUpcoming);
  ctx.signal.addEventListener("abort", () => model.off("change:upcoming", onUpcoming));

  const options = () => model.get("options");
  const classValue = (i) => JSON.parse(options()[i].value);
  const classOf = (label) => options().findIndex((o) => JSON.stringify(JSON.parse(o.value)) === JSON.stringify(label));
  const colorOf = (label) => PALETTE[Math.max(0, classOf(label)) % PALETTE.length];
  const nameOf = (label) => options()[classOf(label)]?.label ?? String(label);
  // each mask's display-sized canvas, its extent, what it covers (masks.js)
  const masks = maskPictures({ meta: () => meta, colorOf });
  const [maskOf, maskBounds, maskHit] = [masks.of, masks.bounds, masks.hit];

  // canvas pixels per original pixel at zoom 1, and screen (CSS) pixels per original pixel
  const factor = () => meta.display_width / meta.width;
  const screenFactor = () => (live.getBoundingClientRect().width / meta.width) * view.zoom;


  // screen pixels per canvas pixel, for the kernel's line widths
  function screenScale() {
    const width = live.getBoundingClientRect().width;
    return width ? width / live.width : 1;
  }

  function sendDraft(undo) {
    if (!sample) return;
    try {
      model.send({ kind: "draft", item: sample.item, seq, shapes: JSON.stringify(shapes), ...(undo ? { undo: true } : {}) });
    } catch (err) {
      // the kernel is gone: the shapes stay here and are saved with Enter once it is back
      console.warn("nblabel: shapes not sent", err);
    }
  }

  // a finished edit (undo: taking the last one back): shown, kept for undo, sent to Python
  function commit(list, select = -1, undo = false) {
    if (!undo) editor.remember(shapes);
    shapes = list;
    selected = select;
    seq += 1; // before drawing: the kernel's canvas, one edit behind now, gives way at once
    drawPicture();
    ctx.paint();
    sendDraft(undo);
  }

  // ---- drawing ----------------------------------------------------------------------------------
  // image pixels per screen pixel: line widths and text are sized on screen, whatever the scale
  function unit() {
    const width = live.getBoundingClientRect().width;
    return (width ? meta.width / width : 1 / factor()) / view.zoom;
  }

  function strokeShape(g, s, { dashed = false, thick = false, named = true } = {}) {
    const mask = s.type === "mask";
    drawShape(g, s, {
      u: unit(),
      color: colorOf(s.label),
      name: named ? nameOf(s.label) : null,
      dashed,
      thick,
      picture: mask ? maskOf(s) : null,
      bounds: mask ? maskBounds(s) : null,
      size: [meta.width, meta.height],
    });
  }

  function drawPicture() {
    if (!meta) return;
    const g = picture.getContext("2d");
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.clearRect(0, 0, picture.width, picture.height);
    const { zoom, panX, panY } = view;
    g.setTransform(zoom, 0, 0, zoom, panX, panY);
    if (bitmap) g.drawImage(bitmap, 0, 0, picture.width, picture.height);
    const f = factor() * zoom;
    g.setTransform(f, 0, 0, f, panX, panY);
    votes.draw(g, unit());
    shapes.forEach((s, i) => {
      if (editor.hides(i) || brushTool.hides(i)) return; // drawn live instead
      strokeShape(g, s, { dashed: !!s.prelabel });
    });
    kernel.sync();
    drawLive(); // the selection
  }

  function drawLive() {
    if (!meta) return;
    const g = live.getContext("2d");
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.clearRect(0, 0, live.width, live.height);
    const f = factor() * view.zoom;
    const u = unit();
    g.setTransform(f, 0, 0, f, view.panX, view.panY);
    if (tool === "mask") brushTool.drawLive(g, hover);
    editor.drawLive(g);
    const chosen = shapes[selected];
    if (chosen && !editor.hides(selected) && !brushTool.hides(selected)) {
      // over both pictures: its outline and handles (its tag is drawn there already)
      strokeShape(g, chosen, { dashed: !!chosen.prelabel, thick: true, named: false });
    }
    if (!drawing) return;
    const color = PALETTE[classIndex % PALETTE.length];
    g.lineWidth = 2 * u;
    g.strokeStyle = color;
    if (drawing.type === "box") {
      const { x0, y0, x1, y1 } = drawing;
      g.setLineDash([6 * u, 4 * u]);
      g.strokeRect(Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0), Math.abs(y1 - y0));
    } else if (drawing.type === "polygon") {
      g.beginPath();
      drawing.points.forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y)));
      if (drawing.hover) g.lineTo(...drawing.hover);
      g.stroke();
      g.fillStyle = color;
      for (const [x, y] of drawing.points) g.fillRect(x - 3 * u, y - 3 * u, 6 * u, 6 * u);
    }
  }

  // ---- the pointer ----------------------------------------------------------------------------
  // what the editor (edit.js) and the mask brush (masks.js) see of this view and do to it
  const state = {
    get shapes() { return shapes; },
    get selected() { return selected; },
    set selected(i) { selected = i; },
    get meta() { return meta; },
    label: () => classValue(classIndex),
    sameClass: (a, b) => classOf(a) === classOf(b),
    paint: () => ctx.paint(),
    flash: (text, ms = 2500) => ctx.flash(text, ms),
    boundsOf: (s) => (s.type === "mask" ? maskBounds(s) : shapeBounds(s)),
    el: ctx.el,
    signal: ctx.signal,
    ...{ colorOf, maskOf, maskHit, unit, screenFactor, commit, drawPicture, strokeShape },
  };
  const editor = shapeEditor(state);
  const brushTool = maskBrush(state);
  const votes = reviewVotes(state); // a review's annotators' shapes (votes.js)
  ctx.body.append(votes.legend);

  function newShape(fields) {
    return { ...fields, label: classValue(classIndex) };
  }

  function finishPolygon() {
    const points = drawing.points.map(([x, y]) => [round2(x), round2(y)]);
    drawing = null;
    drawLive();
    if (points.length >= 3) commit([...shapes, newShape({ type: "polygon", points })], shapes.length);
  }

  live.addEventListener(
    "pointerdown",
    (event) => {
      if (!meta || (event.button !== 0 && event.button !== 1)) return;
      event.preventDefault(); // no text selection, no image drag
      ctx.el.focus({ preventScroll: true });
      if (view.pointerDown(event)) return; // Space + drag (or the middle button) pans
      const p = view.toImage(event);
      if (tool === "mask") {
        live.setPointerCapture(event.pointerId);
        brushTool.start(p, event.shiftKey);
        drawLive();
        return;
      }
      if (drawing?.type === "polygon") {
        const [fx, fy] = drawing.points[0];
        const closeTo = CLOSE_PX / screenFactor();
        if (drawing.points.length >= 3 && Math.hypot(p[0] - fx, p[1] - fy) <= closeTo) finishPolygon();
        else drawing.points.push(p);
        drawLive();
        return;
      }
      if (editor.press(p)) {
        // a handle of the selection (resize), or a shape (select, move)
        live.setPointerCapture(event.pointerId);
        drawLive();
        return;
      }
      if (selected >= 0) {
        selected = -1;
        drawPicture();
        ctx.paint();
      }
      if (tool === "box" || tool === "assist") {
        drawing = { type: "box", x0: p[0], y0: p[1], x1: p[0], y1: p[1] };
        live.setPointerCapture(event.pointerId);
      } else if (tool === "polygon") {
        drawing = { type: "polygon", points: [p], hover: p };
      } else if (tool === "point") {
        commit([...shapes, newShape({ type: "point", x: round2(p[0]), y: round2(p[1]) })], shapes.length);
      }
      drawLive();
    },
    { signal: ctx.signal },
  );

  live.addEventListener(
    "pointermove",
    (event) => {
      if (view.pointerMove(event)) return;
      if (!meta) return;
      const p = view.toImage(event);
      hover = p;
      if (editor.dragging) {
        editor.move(p);
      } else if (brushTool.painting) {
        brushTool.to(p);
      } else if (!drawing) {
        live.style.cursor = selected >= 0 ? editor.cursor(p) : "";
        if (tool === "mask") drawLive();
        return;
      } else if (drawing.type === "box") {
        drawing.x1 = p[0];
        drawing.y1 = p[1];
      } else if (drawing.type === "polygon") {
        drawing.hover = p;
      }
      drawLive(); // in this listener: the same frame as the pointer
    },
    { signal: ctx.signal },
  );

  live.addEventListener(
    "pointerup",
    () => {
      if (view.pointerUp()) return;
      if (!meta) return;
      if (editor.dragging) {
        editor.end();
        drawLive();
      } else if (brushTool.painting) {
        brushTool.finish();
        drawLive();
      } else if (drawing?.type === "box") {
        const { x0, y0, x1, y1 } = drawing;
        drawing = null;
        drawLive();
        const big = Math.min(Math.abs(x1 - x0), Math.abs(y1 - y0)) * screenFactor() >= MIN_DRAG_PX;
        const { x, y, width, height } = boxBetween(x0, y0, x1, y1);
        if (tool === "assist") {
          // a rough box or a click: the kernel's assistant answers with suggestions
          const prompt = big ? { box: [x, y, width, height] } : { point: [round2(x0), round2(y0)] };
          try {
            model.send({ kind: "assist", item: sample.item, label: options()[classIndex].value, ...prompt });
            ctx.flash("Asking the assistant…", 800);
          } catch (err) {
            ctx.flash(`The kernel cannot be reached: ${err}`);
          }
        } else if (big) {
          commit([...shapes, newShape({ type: "box", x, y, width, height })], shapes.length);
        }
      }
    },
    { signal: ctx.signal },
  );

  live.addEventListener(
    "pointerleave",
    () => {
      hover = null;
      if (!drawing) drawLive();
    },
    { signal: ctx.signal },
  );


  // ---- the view's hooks -------------------------------------------------------------------------
  function setTool(name) {
    if (!model.get("tools").includes(name)) return false;
    if (drawing?.type === "polygon") drawing = null;
    tool = name;
    drawLive();
    ctx.paint();
    return true;
  }

  function pick(index) {
    if (!editor.relabel(classValue(index))) classIndex = index; // the selection's, else the next's
    ctx.paint();
  }

  function confirm() {
    if (drawing?.type === "polygon") {
      if (drawing.points.length < 3) return ctx.flash("A polygon needs 3 points: click more, or Esc to drop it");
      return finishPolygon();
    }
    ctx.labelIntent(JSON.stringify(shapes));
  }

  function content(box, shown) {
    const c = shown.content;
    votes.set(c?.type === "shapes-image" ? c : null);
    if (!c || c.type !== "shapes-image") {
      meta = null;
      return renderContent(box, c, model, ctx.signal); // an image that cannot be shown: its error
    }
    meta = c;
    bitmap = null;
    for (const canvas of [picture, live]) {
      canvas.width = c.display_width;
      canvas.height = c.display_height;
    }
    view.reset();
    stage.style.aspectRatio = `${c.display_width} / ${c.display_height}`;
    stage.style.maxWidth = `${c.display_width}px`;
    box.replaceChildren(stage);
    requestAnimationFrame(kernel.sendView); // the kernel learns the stage's size on screen
    const item = shown.item;
    // the picture's bytes came once, in the Image widget that the kernel's canvas draws too;
    // a prefetched one is decoded already
    pictures.prefetch(c.picture);
    pictures
      .decode(c)
      .then((b) => {
        if (sample?.item !== item) return; // moved on meanwhile
        bitmap = b;
        drawPicture();
      })
      .catch((err) => {
        if (sample?.item === item) ctx.flash(`This image cannot be shown here: ${err}`, 5000);
      });
  }

  function show(shown) {
    if (shown.item !== sample?.item) seq = 0; // the kernel counts each image's edits afresh
    sample = shown;
    selected = -1;
    drawing = null;
    editor.forget(); // per-shape undo is the image's own
    const draft = model.get("draft");
    if (draft && draft.item === shown.item) {
      shapes = structuredClone(draft.shapes);
      seq = draft.seq ?? seq; // a new view takes up the edits made before it
    }
    else if (shown.label != null) shapes = JSON.parse(shown.label);
    else shapes = structuredClone(shown.content?.prelabels ?? []);
    seenRev = Math.max(seenRev, draft?.rev ?? -1);
    drawPicture();
  }

  function onDraft() {
      // shapes added or removed from Python (w.add_box, w.remove_shape): shown here
      const draft = model.get("draft");
      if (!draft || draft.rev <= seenRev) return;
      seenRev = draft.rev;
      kernel.sync();
      if (draft.edit && sample && draft.item === sample.item) {
        if (draft.undo) editor.drop(); // taken back in Python (w.undo_shape()): here too
        else editor.remember(shapes);
        shapes = structuredClone(draft.shapes);
        selected = -1;
        drawPicture();
        ctx.paint();
      }
  }
  function onClass() {
    classIndex = model.get("active_class");
    ctx.paint();
  }
  model.on("change:draft", onDraft);
  model.on("change:active_class", onClass);
  ctx.signal.addEventListener("abort", () => {
    model.off("change:draft", onDraft);
    model.off("change:active_class", onClass);
  });

  function paint(shown) {
    toolBar.replaceChildren(...toolButtons(model.get("tools"), tool, setTool));
    const current = selected >= 0 ? classOf(shapes[selected]?.label) : classIndex;
    classBar.replaceChildren(...optionButtons(options(), (i) => i === current, pick));
    classBar.querySelectorAll(".nblabel-option").forEach((b, i) => (b.style.borderLeft = `5px solid ${PALETTE[i % PALETTE.length]}`));
    if (!shown) {
      counter.textContent = "";
      return;
    }
    const brush = tool === "mask" ? brushTool.radius : null;
    counter.textContent = shapesStatus(shapes, { selected, undoable: editor.undoable, zoom: view.zoom, brush });
  }

  return {
    hint: "Click the picture, then draw · 1–9 class · B box, P polygon, K point · wheel zooms, Space+drag pans · Enter saves",
    content,
    show,
    paint,
    pick,
    confirm,
    confirmShown: () => true,
    labelText: (label) => shapesText(label, nameOf),
    // Ctrl/Cmd+Z undoes the image's last shape edit (not JupyterLab's last cell action)
    ownsKey: (event) => (event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && event.key.toLowerCase() === "z",
    onKey(event, key) {
      if ((event.ctrlKey || event.metaKey) && key === "z") return editor.undo();
      if (votes.onKey(event, key)) return true;
      if (TOOL_KEYS[key]) return setTool(TOOL_KEYS[key]);
      if (view.onKey(event, key)) return true; // Space held pans, 0 the whole picture
      if ((key === "[" || key === "]") && tool === "mask") {
        brushTool.resize(key === "]" ? 1.3 : 1 / 1.3);
        drawLive();
        ctx.paint();
        return true;
      }
      if (event.key === "Delete") return editor.remove();
      if (event.key === "Escape") {
        if (editor.cancel()) {
          drawLive();
          return true;
        }
        if (drawing) {
          drawing = null;
          drawLive();
          return true;
        }
        if (selected >= 0) {
          selected = -1;
          drawPicture();
          ctx.paint();
          return true;
        }
      }
      return false;
    },
  };
}

export default widget(imagesView);
