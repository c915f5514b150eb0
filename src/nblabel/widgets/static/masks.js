// Masks in the browser, for images.js (joined after base.js, before images.js): a mask is
// stored as COCO's uncompressed RLE at the ORIGINAL image's size (runs of 0 then 1, column
// by column); it is shown and painted as a canvas at the DISPLAY's size. maskToCanvas and
// canvasToMask go from one to the other by nearest pixel; maskBrush paints, maskPictures keeps
// each mask's canvas.

function hexRgb(color) {
  return [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
}

// a mask shape as a display-sized canvas, opaque in `color` where the mask is set
function maskToCanvas(shape, width, height, color) {
  const [H, W] = shape.size;
  const full = new Uint8Array(H * W);
  let at = 0;
  shape.counts.forEach((run, k) => {
    if (k % 2 === 1) full.fill(1, at, at + run);
    at += run;
  });
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const g = canvas.getContext("2d");
  const pixels = g.createImageData(width, height);
  const [r, gr, b] = hexRgb(color);
  const columnOf = new Int32Array(width);
  for (let dx = 0; dx < width; dx++) columnOf[dx] = Math.min(W - 1, Math.floor(((dx + 0.5) * W) / width)) * H;
  const bounds = [width, height, -1, -1]; // of the set pixels, in display pixels
  for (let dy = 0; dy < height; dy++) {
    const y = Math.min(H - 1, Math.floor(((dy + 0.5) * H) / height));
    for (let dx = 0; dx < width; dx++) {
      if (full[columnOf[dx] + y]) {
        if (dx < bounds[0]) bounds[0] = dx;
        if (dy < bounds[1]) bounds[1] = dy;
        if (dx > bounds[2]) bounds[2] = dx;
        if (dy > bounds[3]) bounds[3] = dy;
        const o = 4 * (dy * width + dx);
        pixels.data[o] = r;
        pixels.data[o + 1] = gr;
        pixels.data[o + 2] = b;
        pixels.data[o + 3] = 255;
      }
    }
  }
  g.putImageData(pixels, 0, 0);
  canvas.bounds = bounds[2] < 0 ? null : [bounds[0], bounds[1], bounds[2] + 1, bounds[3] + 1];
  return canvas;
}

// the painted pixels of a display-sized canvas as a mask of the original's H × W pixels;
// null when nothing is painted
function canvasToMask(canvas, H, W, label) {
  const width = canvas.width;
  const height = canvas.height;
  const alpha = canvas.getContext("2d").getImageData(0, 0, width, height).data;
  const rowOf = new Int32Array(H);
  for (let y = 0; y < H; y++) rowOf[y] = Math.min(height - 1, Math.floor(((y + 0.5) * height) / H)) * width;
  const counts = [];
  let value = 0;
  let run = 0;
  for (let x = 0; x < W; x++) {
    const dx = Math.min(width - 1, Math.floor(((x + 0.5) * width) / W));
    for (let y = 0; y < H; y++) {
      const v = alpha[4 * (rowOf[y] + dx) + 3] > 127 ? 1 : 0;
      if (v === value) run++;
      else {
        counts.push(run);
        run = 1;
        value = v;
      }
    }
  }
  counts.push(run);
  if (counts.length === 1) return null; // all zeros
  return { type: "mask", size: [H, W], counts, label };
}

// The mask brush of one view: a stroke paints into the selected mask, else the last mask of
// the class, else a new one; with Shift it erases (and never makes a new mask). `v` gives the
// view's shapes, selected, meta, label() (the class picked), sameClass(a, b), colorOf(label),
// maskOf(shape), unit() (image pixels per screen pixel), commit(list, select), drawPicture()
// and flash(text).
function maskBrush(v) {
  let radius = 14; // screen pixels ([ and ] change it)
  let stroke = null; // {index, label, canvas, erase, last} while painting

  function to(p) {
    const g = stroke.canvas.getContext("2d");
    const f = v.meta.display_width / v.meta.width;
    const r = Math.max(0.5, radius * v.unit() * f); // display pixels
    g.globalCompositeOperation = stroke.erase ? "destination-out" : "source-over";
    g.fillStyle = g.strokeStyle = v.colorOf(stroke.label);
    g.lineWidth = 2 * r;
    g.lineCap = "round";
    g.beginPath();
    const [x, y] = [p[0] * f, p[1] * f];
    if (stroke.last) {
      g.moveTo(stroke.last[0], stroke.last[1]);
      g.lineTo(x, y);
      g.stroke();
    } else {
      g.arc(x, y, r, 0, 2 * Math.PI);
      g.fill();
    }
    stroke.last = [x, y];
  }

  return {
    get radius() {
      return radius;
    },
    get painting() {
      return stroke !== null;
    },
    hides: (i) => stroke !== null && stroke.index === i,
    resize(by) {
      radius = Math.min(200, Math.max(2, radius * by));
    },
    start(p, erase) {
      const { shapes, selected, meta } = v;
      const chosen = selected >= 0 && shapes[selected].type === "mask";
      const label = chosen ? shapes[selected].label : v.label();
      let index = chosen ? selected : -1;
      if (index < 0) index = shapes.findLastIndex((s) => s.type === "mask" && v.sameClass(s.label, label));
      if (index < 0 && erase) return v.flash("Nothing to erase: select a mask, or pick its class");
      const canvas = document.createElement("canvas");
      canvas.width = meta.display_width;
      canvas.height = meta.display_height;
      if (index >= 0) canvas.getContext("2d").drawImage(v.maskOf(shapes[index]), 0, 0);
      stroke = { index, label, canvas, erase, last: null };
      to(p);
      v.drawPicture();
    },
    to,
    finish() {
      const { index, label, canvas } = stroke;
      stroke = null;
      const mask = canvasToMask(canvas, v.meta.height, v.meta.width, label);
      if (index < 0) {
        if (mask) v.commit([...v.shapes, mask], v.shapes.length);
      } else if (mask) {
        v.commit(v.shapes.map((s, i) => (i === index ? mask : s)), index);
      } else {
        v.commit(v.shapes.filter((_, i) => i !== index)); // all erased
      }
    },
    // the stroke so far, and the brush's outline where the pointer is
    drawLive(g, hover) {
      const u = v.unit();
      if (stroke) {
        g.globalAlpha = 0.55;
        g.drawImage(stroke.canvas, 0, 0, v.meta.width, v.meta.height);
        g.globalAlpha = 1;
      }
      if (!hover) return;
      g.beginPath();
      g.arc(hover[0], hover[1], radius * u, 0, 2 * Math.PI);
      g.lineWidth = 1.5 * u;
      g.strokeStyle = stroke?.erase ? "#fff" : v.colorOf(v.label());
      g.stroke();
    },
  };
}

// The masks of one view as pictures, made once per mask shape: `of(s)` its display-sized
// canvas, `bounds(s)` its extent in original pixels, `hit(s, p)` whether it covers the original
// pixel p. `v` gives meta() (the picture's sizes) and colorOf(label).
function maskPictures(v) {
  const made = new WeakMap(); // mask shape -> its canvas
  const factor = () => v.meta().display_width / v.meta().width;
  function of(s) {
    let canvas = made.get(s);
    if (!canvas) {
      const meta = v.meta();
      canvas = maskToCanvas(s, meta.display_width, meta.display_height, v.colorOf(s.label));
      made.set(s, canvas);
    }
    return canvas;
  }
  return {
    of,
    bounds(s) {
      const b = of(s).bounds;
      const f = factor();
      return b ? [b[0] / f, b[1] / f, b[2] / f, b[3] / f] : null;
    },
    hit(s, [x, y]) {
      const meta = v.meta();
      const dx = Math.min(meta.display_width - 1, Math.floor(x * factor()));
      const dy = Math.min(meta.display_height - 1, Math.floor(y * factor()));
      return of(s).getContext("2d").getImageData(dx, dy, 1, 1).data[3] > 127;
    },
  };
}
