// What the images view draws with, joined after base.js and masks.js and before images.js:
// its constants, the geometry of a shape (in the ORIGINAL image's pixels), how one shape is
// drawn on a canvas, and the texts and tool buttons around the picture.

const TOOL_KEYS = { b: "box", p: "polygon", k: "point", m: "mask", a: "assist" }; // also in images.py
const TOOL_NAMES = { box: "Box", polygon: "Polygon", point: "Point", mask: "Mask brush", assist: "Assist" };
const PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#0fa3b1", "#f032e6", "#9a6324", "#469990"];
const CLOSE_PX = 9; // a click this near the first vertex closes the polygon (screen pixels)
const HIT_PX = 7; // how near a point or an edge a click selects it
const MIN_DRAG_PX = 3; // a shorter drag is a click, not a box
const MAX_ZOOM = 32;
const TAG_CHAR_PX = 6.8; // a class tag's width per character (the kernel's canvas cannot measure)
const VIEW_SETTLE_MS = 150; // a zoom or pan still this long is drawn again by the kernel

function shapeBounds(s) {
  if (s.type === "box") return [s.x, s.y, s.x + s.width, s.y + s.height];
  if (s.type === "point") return [s.x, s.y, s.x, s.y];
  if (s.type === "polygon") {
    const xs = s.points.map((p) => p[0]);
    const ys = s.points.map((p) => p[1]);
    return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
  }
  return null;
}

function insidePolygon(points, x, y) {
  let inside = false;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    const [xi, yi] = points[i];
    const [xj, yj] = points[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function moved(s, dx, dy) {
  const out = { ...s };
  if (s.type === "polygon") out.points = s.points.map(([x, y]) => [x + dx, y + dy]);
  else if (s.type !== "mask") {
    out.x = s.x + dx;
    out.y = s.y + dy;
  }
  delete out.prelabel; // touched: no longer a model's suggestion
  return out;
}

const round2 = (v) => Math.round(v * 100) / 100;

// the box a drag from (x0, y0) to (x1, y1) spans, rounded
function boxBetween(x0, y0, x1, y1) {
  const x = round2(Math.min(x0, x1));
  const y = round2(Math.min(y0, y1));
  return { x, y, width: round2(Math.max(x0, x1)) - x, height: round2(Math.max(y0, y1)) - y };
}

// the tool bar: a button per tool, with its key
function toolButtons(tools, current, choose) {
  const keyOf = Object.fromEntries(Object.entries(TOOL_KEYS).map(([k, t]) => [t, k]));
  return tools.map((name) => {
    const key = keyOf[name].toUpperCase();
    const button = h("button", { class: "nblabel-tool", type: "button", "data-tool": name, title: `${TOOL_NAMES[name]} (${key})` });
    button.append(h("kbd", { text: key }), h("span", { text: TOOL_NAMES[name] }));
    if (name === current) button.classList.add("nblabel-selected");
    button.setAttribute("aria-pressed", String(name === current));
    button.addEventListener("click", () => choose(name));
    return button;
  });
}

// the line beside the tools: how many shapes, and what the keys do now (brush: its radius)
function shapesStatus(shapes, { selected, undoable, zoom, brush }) {
  const n = shapes.length;
  const suggested = shapes.filter((s) => s.prelabel).length;
  const handles = ["box", "polygon"].includes(shapes[selected]?.type);
  return (
    (n ? `${n} shape${n > 1 ? "s" : ""}` : "no shapes yet") +
    (suggested ? ` · ${suggested} suggested (dashed)` : "") +
    (selected >= 0 ? ` · selected: ${handles ? "drag a handle to resize, " : ""}a digit changes its class, Delete removes it` : "") +
    (undoable ? " · Ctrl+Z undoes" : "") +
    (zoom > 1 ? ` · zoom ${zoom.toFixed(1)}× (0: whole picture)` : "") +
    (brush !== null ? ` · brush ${Math.round(brush)} px ([ ] size, Shift erases)` : "")
  );
}

// a saved label as text: "2 car, 1 person"
function shapesText(label, nameOf) {
  if (!Array.isArray(label)) return String(label);
  if (!label.length) return "no shapes";
  const counts = new Map();
  for (const s of label) counts.set(nameOf(s.label), (counts.get(nameOf(s.label)) ?? 0) + 1);
  return [...counts].map(([name, n]) => `${n} ${name}`).join(", ");
}

// one shape on a canvas whose transform maps original pixels: `u` is original pixels per
// screen pixel (line widths and text are sized on screen), `name` the class's name; a mask
// comes with its display-sized `picture` and its extent `bounds`, and covers `size`
function drawShape(g, s, { u, color, name, dashed = false, thick = false, picture = null, bounds = null, size = null }) {
  g.save();
  g.lineWidth = (thick ? 3.5 : 2.5) * u;
  g.strokeStyle = color;
  g.fillStyle = color;
  if (dashed) g.setLineDash([7 * u, 5 * u]);
  // a light halo under each outline: it shows on a picture of the class's own colour
  const halo = () => {
    g.save();
    g.strokeStyle = "rgba(255, 255, 255, 0.85)";
    g.lineWidth += 2.5 * u;
    g.stroke();
    g.restore();
  };
  if (s.type === "box") {
    g.beginPath();
    g.rect(s.x, s.y, s.width, s.height);
    halo();
    g.stroke();
  } else if (s.type === "polygon") {
    g.beginPath();
    s.points.forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y)));
    g.closePath();
    g.globalAlpha = 0.15;
    g.fill();
    g.globalAlpha = 1;
    halo();
    g.stroke();
  } else if (s.type === "point") {
    g.beginPath();
    g.arc(s.x, s.y, (thick ? 6.5 : 5) * u, 0, 2 * Math.PI);
    g.fill();
    g.lineWidth = 1.5 * u;
    g.strokeStyle = "#fff";
    g.stroke();
  } else if (s.type === "mask") {
    g.globalAlpha = thick ? 0.6 : 0.45;
    g.drawImage(picture, 0, 0, size[0], size[1]);
    g.globalAlpha = 1;
    const b = bounds;
    if (b && (dashed || thick)) {
      // a suggested or selected mask shows the outline of its extent
      g.beginPath();
      g.rect(b[0], b[1], b[2] - b[0], b[3] - b[1]);
      halo();
      g.stroke();
    }
  }
  if (s.type !== "mask") bounds = shapeBounds(s);
  if (thick) {
    // the selection's handles (edit.js): a box's corners and edges, a polygon's vertices; a
    // selected point is drawn larger instead
    g.setLineDash([]);
    g.fillStyle = "#fff";
    g.lineWidth = 1.5 * u;
    for (const [, x, y] of shapeHandles(s)) {
      g.fillRect(x - 4 * u, y - 4 * u, 8 * u, 8 * u);
      g.strokeRect(x - 4 * u, y - 4 * u, 8 * u, 8 * u);
    }
  }
  const b = bounds;
  if (b && s.type !== "point" && name !== null) {
    // the class name on the shape's top-left corner (text, never markup)
    g.setLineDash([]);
    g.font = `${12 * u}px sans-serif`;
    const text = name + (s.prelabel ? " (suggested)" : "");
    const w = (text.length * TAG_CHAR_PX + 6) * u; // as the kernel's canvas sizes it
    const y = b[1] > 16 * u ? b[1] - 16 * u : b[1];
    g.fillStyle = color;
    g.fillRect(b[0], y, w, 16 * u);
    g.fillStyle = "#fff";
    g.fillText(text, b[0] + 3 * u, y + 12 * u);
  }
  g.restore();
}

