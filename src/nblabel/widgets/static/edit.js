// Editing the shapes already drawn, for images.js (joined after shapes.js, before images.js):
// select a shape, move it, resize a box by its eight handles or move a polygon's vertices,
// change its class or remove it, and undo the image's last shape edit (Ctrl/Cmd+Z). Live, on the view's top canvas: only the
// finished edit is committed (and sent to Python). Every coordinate is in the ORIGINAL image's
// pixels. The geometry is _edits.py's, under the same names.

const BOX_HANDLES = ["nw", "n", "ne", "e", "se", "s", "sw", "w"];
const HANDLE_CURSORS = { nw: "nwse-resize", se: "nwse-resize", ne: "nesw-resize", sw: "nesw-resize", n: "ns-resize", s: "ns-resize", e: "ew-resize", w: "ew-resize" };
const HANDLE_PX = 8; // how near a handle (screen pixels) the pointer takes it
const UNDO_DEPTH = 100; // shape edits kept per image

// the handles of a shape: [handle, x, y] (a box's compass points, a polygon's vertex indices)
function shapeHandles(s) {
  if (s.type === "polygon") return s.points.map(([x, y], i) => [i, x, y]);
  if (s.type !== "box") return [];
  const [x0, y0, x1, y1] = shapeBounds(s);
  const [xm, ym] = [(x0 + x1) / 2, (y0 + y1) / 2];
  const at = { nw: [x0, y0], n: [xm, y0], ne: [x1, y0], e: [x1, ym], se: [x1, y1], s: [xm, y1], sw: [x0, y1], w: [x0, ym] };
  return BOX_HANDLES.map((name) => [name, ...at[name]]);
}

// the handle of `s` nearest to p within `near` image pixels, else null
function handleAt(s, [x, y], near) {
  let best = null;
  let bestDistance = near;
  for (const [name, hx, hy] of shapeHandles(s)) {
    const d = Math.max(Math.abs(hx - x), Math.abs(hy - y));
    if (d <= bestDistance) [best, bestDistance] = [name, d];
  }
  return best;
}

// _edits._edge: the span between a fixed edge and the dragged one, within 0…limit, at least min
function edgeSpan(fixed, moving, toward, limit, min) {
  moving = Math.min(limit, Math.max(0, moving));
  const side = moving === fixed ? toward : moving > fixed ? 1 : -1;
  if (Math.abs(moving - fixed) < min) {
    moving = fixed + side * min;
    if (moving < 0 || moving > limit) {
      moving = Math.min(limit, Math.max(0, moving));
      fixed = moving - side * min;
    }
  }
  return fixed < moving ? [fixed, moving] : [moving, fixed];
}

// _edits.resize_box and move_vertex: the shape with `handle` dragged to (x, y), in a W×H image
function resized(s, handle, x, y, W, H, min) {
  const out = { ...s };
  delete out.prelabel; // touched: no longer a model's suggestion
  if (s.type === "polygon") {
    out.points = s.points.map((p, i) => (i === handle ? [Math.min(W, Math.max(0, x)), Math.min(H, Math.max(0, y))] : p));
    return out;
  }
  let [x0, y0, x1, y1] = shapeBounds(s);
  if (handle.includes("w")) [x0, x1] = edgeSpan(x1, x, -1, W, min);
  else if (handle.includes("e")) [x0, x1] = edgeSpan(x0, x, 1, W, min);
  if (handle.includes("n")) [y0, y1] = edgeSpan(y1, y, -1, H, min);
  else if (handle.includes("s")) [y0, y1] = edgeSpan(y0, y, 1, H, min);
  return Object.assign(out, { x: x0, y: y0, width: x1 - x0, height: y1 - y0 });
}

function polygonArea(points) {
  let twice = 0;
  points.forEach(([x, y], i) => {
    const [nx, ny] = points[(i + 1) % points.length];
    twice += x * ny - nx * y;
  });
  return Math.abs(twice) / 2;
}

function rounded(s) {
  if (s.type === "polygon") return { ...s, points: s.points.map(([x, y]) => [round2(x), round2(y)]) };
  if (s.type === "box") return { ...s, x: round2(s.x), y: round2(s.y), width: round2(s.width), height: round2(s.height) };
  if (s.type === "point") return { ...s, x: round2(s.x), y: round2(s.y) };
  return s;
}

// The editor of one view. `v` gives the view's state and acts on it: shapes, selected (get and
// set), meta, commit(list, select, undo), screenFactor(), maskHit(s, p), drawPicture(),
// strokeShape(g, s, style), paint(), flash(text)
function shapeEditor(v) {
  let drag = null; // {type: "move" | "resize", index, start, handle, current, changed}
  let history = []; // the image's earlier shape lists, newest last

  // the shape under p (points first, then the topmost area), else -1
  function shapeAt([x, y]) {
    const near = HIT_PX / v.screenFactor();
    const shapes = v.shapes;
    for (let i = shapes.length - 1; i >= 0; i--) {
      const s = shapes[i];
      if (s.type === "point" && Math.hypot(s.x - x, s.y - y) <= near) return i;
    }
    for (let i = shapes.length - 1; i >= 0; i--) {
      const s = shapes[i];
      const b = shapeBounds(s);
      if (s.type === "box" && x >= b[0] - near && x <= b[2] + near && y >= b[1] - near && y <= b[3] + near) return i;
      if (s.type === "polygon" && insidePolygon(s.points, x, y)) return i;
      if (s.type === "mask" && v.maskHit(s, [x, y])) return i;
    }
    return -1;
  }

  // the handle of the selected shape under p, else null
  function handleUnder(p) {
    const s = v.shapes[v.selected];
    return s ? handleAt(s, p, HANDLE_PX / v.screenFactor()) : null;
  }

  return {
    shapeAt,
    get dragging() {
      return drag !== null;
    },
    // drawn on the top canvas instead of the picture while it is dragged
    hides: (i) => drag !== null && drag.changed && drag.index === i,
    cursor: (p) => {
      const handle = handleUnder(p);
      if (handle === null) return "";
      return typeof handle === "number" ? "move" : HANDLE_CURSORS[handle];
    },
    // a press on a handle of the selection (resize) or on a shape (select, move): true if taken
    press(p) {
      const handle = handleUnder(p);
      if (handle !== null) {
        drag = { type: "resize", index: v.selected, handle, start: p, current: v.shapes[v.selected], changed: false };
        return true;
      }
      const hit = shapeAt(p);
      if (hit < 0) return false;
      v.selected = hit;
      drag = { type: "move", index: hit, start: p, current: v.shapes[hit], changed: false };
      v.drawPicture();
      v.paint();
      return true;
    },
    move(p) {
      const s = v.shapes[drag.index];
      const { width: W, height: H } = v.meta;
      const far = Math.hypot(p[0] - drag.start[0], p[1] - drag.start[1]) * v.screenFactor() >= MIN_DRAG_PX;
      const wasChanged = drag.changed;
      drag.changed = drag.changed || far;
      if (!drag.changed) return;
      if (drag.type === "resize") {
        drag.current = resized(s, drag.handle, p[0], p[1], W, H, MIN_DRAG_PX / v.screenFactor());
      } else {
        const b = shapeBounds(s) ?? [0, 0, 0, 0];
        // kept inside the image
        const dx = Math.min(W - b[2], Math.max(-b[0], p[0] - drag.start[0]));
        const dy = Math.min(H - b[3], Math.max(-b[1], p[1] - drag.start[1]));
        drag.current = moved(s, dx, dy);
      }
      if (!wasChanged) v.drawPicture(); // once: the shape leaves the picture for the top canvas
    },
    end() {
      const { index, current, changed } = drag;
      drag = null;
      if (!changed) return v.drawPicture();
      if (current.type === "polygon" && polygonArea(current.points) <= 0) {
        v.drawPicture();
        return v.flash("A polygon folded flat has no area: the vertex stays where it was");
      }
      v.commit(v.shapes.map((s, i) => (i === index ? rounded(current) : s)), index);
    },
    cancel() {
      if (!drag) return false;
      drag = null;
      v.drawPicture();
      return true;
    },
    drawLive(g) {
      if (drag?.changed) v.strokeShape(g, drag.current, { thick: true });
    },
    // the selection given the class `label` (no longer a suggestion): false with none selected
    relabel(label) {
      const i = v.selected;
      if (i < 0) return false;
      const s = { ...v.shapes[i], label };
      delete s.prelabel;
      v.commit(v.shapes.map((old, k) => (k === i ? s : old)), i);
      return true;
    },
    remove() {
      const i = v.selected;
      if (i < 0) return false;
      v.commit(v.shapes.filter((_, k) => k !== i));
      return true;
    },
    // ---- per-shape undo of the image on screen
    remember(shapes) {
      history.push(shapes);
      if (history.length > UNDO_DEPTH) history.shift();
    },
    drop() {
      history.pop();
    },
    forget() {
      history = [];
      drag = null;
    },
    undo() {
      if (drag) return true; // not in the middle of a drag
      const last = history.pop();
      if (last === undefined) {
        v.flash("No shape edit to undo on this image (⌫ undoes the last image saved)");
        return true;
      }
      v.commit(last, -1, true);
      return true;
    },
    get undoable() {
      return history.length;
    },
  };
}
