// Masks in the browser, for images.js (joined after base.js, before images.js): a mask is
// stored as COCO's uncompressed RLE at the ORIGINAL image's size (runs of 0 then 1, column
// by column); it is shown and painted as a canvas at the DISPLAY's size. These two functions
// go from one to the other by nearest pixel.

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
