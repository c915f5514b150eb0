// The zoom and pan of the images view, joined before images.js: canvas = zoom * (display
// pixels) + pan, in canvas pixels (ViewTransform in Python). The wheel zooms at the pointer
// while the widget has the keys (else the page scrolls); Space held, or the middle button,
// makes a drag pan; `0` shows the whole picture. `changed()` is called after each change.

function zoomPan(ctx, { stage, live, meta, changed }) {
  let spaceHeld = false;
  let panning = null; // {x, y, panX, panY} while a drag pans

  const view = {
    zoom: 1,
    panX: 0,
    panY: 0,

    // a pointer position in canvas pixels
    toCanvas(event) {
      const rect = live.getBoundingClientRect();
      return [((event.clientX - rect.left) / rect.width) * live.width, ((event.clientY - rect.top) / rect.height) * live.height];
    },

    // a pointer position in the original image's pixels, inside the image
    toImage(event) {
      const m = meta();
      const [cx, cy] = view.toCanvas(event);
      const f = (m.display_width / m.width) * view.zoom;
      const [x, y] = [(cx - view.panX) / f, (cy - view.panY) / f];
      return [Math.min(m.width, Math.max(0, x)), Math.min(m.height, Math.max(0, y))];
    },

    set(z, px, py, quiet = false) {
      view.zoom = Math.min(MAX_ZOOM, Math.max(1, z));
      // the picture always covers the canvas: no empty margin to draw in
      view.panX = Math.min(0, Math.max(live.width * (1 - view.zoom), px));
      view.panY = Math.min(0, Math.max(live.height * (1 - view.zoom), py));
      stage.dataset.zoom = String(view.zoom);
      stage.dataset.panX = String(view.panX);
      stage.dataset.panY = String(view.panY);
      stage.classList.toggle("nblabel-zoomed", view.zoom > 1);
      if (!quiet) changed();
    },

    // a new picture: the whole of it
    reset: () => view.set(1, 0, 0, true),

    // pointer events: true when the event pans (and is the view's alone)
    pointerDown(event) {
      if (!spaceHeld && event.button !== 1) return false;
      const [x, y] = view.toCanvas(event);
      panning = { x, y, panX: view.panX, panY: view.panY };
      live.setPointerCapture(event.pointerId);
      return true;
    },
    pointerMove(event) {
      if (!panning) return false;
      const [x, y] = view.toCanvas(event);
      view.set(view.zoom, panning.panX + x - panning.x, panning.panY + y - panning.y);
      return true;
    },
    pointerUp() {
      const was = panning !== null;
      panning = null;
      return was;
    },

    onKey(event, key) {
      if (!meta()) return false;
      if (event.key === " ") {
        event.preventDefault(); // held: the next drag pans
        spaceHeld = true;
        stage.classList.add("nblabel-panning");
        return true;
      }
      if (key === "0") {
        view.set(1, 0, 0); // the whole picture again
        return true;
      }
      return false;
    },
  };

  live.addEventListener(
    "wheel",
    (event) => {
      if (!meta() || !ctx.el.contains(document.activeElement)) return;
      event.preventDefault();
      const [cx, cy] = view.toCanvas(event);
      const next = Math.min(MAX_ZOOM, Math.max(1, view.zoom * Math.exp(-event.deltaY * 0.0015)));
      const k = next / view.zoom;
      view.set(next, cx - (cx - view.panX) * k, cy - (cy - view.panY) * k);
    },
    { signal: ctx.signal, passive: false },
  );
  ctx.el.addEventListener(
    "keyup",
    (event) => {
      if (event.key !== " ") return;
      spaceHeld = false;
      stage.classList.remove("nblabel-panning");
    },
    { signal: ctx.signal },
  );
  return view;
}
