// The kernel's canvas of the images view (ipycanvas, widgets/_canvas.py), joined before
// images.js: hosted in the stage between the view's own picture and its live layer, told the
// view's zoom and pan once they settle, and shown only while it shows exactly what the view
// would draw itself (`v.current()`: the item, the kernel's and the view's edits, the view);
// and the pictures the kernel sends as Image widgets, decoded as they arrive (pictureCache).

function kernelCanvas(ctx, v) {
  const { model } = ctx;
  const el = h("div", { class: "nblabel-kernel-canvas" });
  const firstDrawn = model.get("drawn")?.n ?? 0; // the kernel drew before this view existed
  let settledDrawn = -1; // the last of the kernel's drawings that ipycanvas has finished
  let manager = null; // ipycanvas's queue of drawing commands (its model)
  let shown = false; // the kernel's canvas is in this view
  let viewTimer = null;

  // settles once the kernel's canvas is in this view (or cannot be): a drawing counts only
  // after it, on ipycanvas's queue as it stands then (no guess at how long it may take)
  const ref = model.get("canvas");
  const ready = !ref
    ? Promise.resolve()
    : model.widget_manager
        .get_model(ref.replace(/^IPY_MODEL_/, ""))
        .then((canvas) => {
          manager = canvas.get("_canvases")?.[0]?.get("_canvas_manager") ?? null;
          return model.widget_manager.create_view(canvas);
        })
        .then((view) => {
          if (ctx.signal.aborted) return view.remove();
          el.replaceChildren(view.el);
          view.trigger?.("displayed");
          ctx.signal.addEventListener("abort", () => view.remove());
          shown = true;
          sendView(); // the kernel draws for this new view (a canvas keeps nothing)
        })
        .catch((err) => console.warn("nblabel: the kernel's canvas cannot be shown", err));

  // the zoom and pan to the kernel, which draws its canvas at them; this view's first one
  // says it is new (`connect`), so that the kernel draws for it even if nothing changed
  let connect = true;
  function sendView() {
    const view = v.view();
    if (!view) return;
    try {
      model.send({ kind: "view", ...view, ...(connect ? { connect: true } : {}) });
      connect = false;
    } catch (err) {
      console.warn("nblabel: view not sent", err); // the view's own drawing stays
    }
  }

  // the kernel says what it drew; ipycanvas runs the commands (sent just before) on its own
  // queue, decoding the picture on the way: the drawing counts once that queue has run them
  function onDrawn() {
    const n = model.get("drawn")?.n;
    ready
      .then(() => manager?.currentProcessing)
      .catch(() => {})
      .then(() =>
        requestAnimationFrame(() => {
          settledDrawn = Math.max(settledDrawn, n ?? -1);
          sync();
        }),
      );
    sync(); // until then, the view's own drawing
  }

  function sync() {
    const d = model.get("drawn") ?? {};
    const settled = shown && (d.n ?? 0) > firstDrawn && d.n === settledDrawn;
    el.classList.toggle("nblabel-current", !!(settled && v.current(d)));
  }

  model.on("change:drawn", onDrawn);
  ctx.signal.addEventListener("abort", () => {
    model.off("change:drawn", onDrawn);
    clearTimeout(viewTimer);
  });

  return {
    el,
    sync,
    sendView,
    // a zoom or pan: the kernel redraws once it has settled
    viewChanged() {
      clearTimeout(viewTimer);
      viewTimer = setTimeout(sendView, VIEW_SETTLE_MS);
    },
  };
}

// The pictures the kernel sends as Image widgets (one per image near the cursor), decoded as
// soon as they are prefetched, so that the next image is drawn in the frame its key lands in.
function pictureCache(ctx) {
  const { model } = ctx;
  const decoded = new Map(); // Image model id -> Promise<ImageBitmap>

  function decode(c) {
    let bitmap = decoded.get(c.picture);
    if (!bitmap) {
      // (get_model throws at once for a picture the kernel has let go: a stale prefetch)
      bitmap = Promise.resolve()
        .then(() => model.widget_manager.get_model(c.picture))
        .then((image) => {
          const value = image.get("value");
          return createImageBitmap(new Blob([value instanceof DataView ? value.buffer : value], { type: c.mime }));
        });
      bitmap.catch(() => decoded.delete(c.picture)); // tried again when asked again
      decoded.set(c.picture, bitmap);
    }
    return bitmap;
  }

  // decode the prefetched pictures; forget the others but `current`'s (not closed: the view
  // may still be drawing one, and the collector frees it once nothing holds it)
  function prefetch(current) {
    const keep = new Set(current ? [current] : []);
    for (const next of model.get("upcoming") ?? []) {
      const c = next?.content;
      if (c?.type !== "shapes-image" || !c.picture) continue;
      keep.add(c.picture);
      decode(c).catch(() => {});
    }
    for (const id of [...decoded.keys()]) if (!keep.has(id)) decoded.delete(id);
  }

  return { decode, prefetch };
}
