// The series view: the recording's bqplot figure (a child widget the kernel keeps up to date)
// with its segments listed under it. Brushing is bqplot's own; a digit, a click on a band or
// on a segment's line, and Delete send intents that edit the kernel's draft; Enter sends the
// draft the view shows as the label. Joined after base.js, whose functions it uses by name.

const CLICK_SLOP_PX = 3; // a press that moves less than this is a click, not a brush

function seriesView(ctx) {
  const { model } = ctx;
  const plot = h("div", { class: "nblabel-series-plot" });
  const cover = h("div", { class: "nblabel-series-cover", text: "Loading the recording…" });
  const meta = h("div", { class: "nblabel-series-meta" });
  const brushLine = h("div", { class: "nblabel-series-brush", "aria-live": "polite" });
  const bandList = h("ol", { class: "nblabel-series-bands", "aria-label": "segments" });
  const optionsBox = h("div", { class: "nblabel-options", role: "group" });
  const frame = h("div", { class: "nblabel-series-frame" }, plot, cover);
  let figureRef = null;
  let figureView = null;
  let figureModel = null;
  const editor = randomId();
  let edits = 0; // draft edits sent; the kernel says which it applied (edit_acks)
  let confirmWaits = false; // Enter pressed while an edit was on its way: saved once it lands

  function send(msg) {
    // edits of the draft: not labels, so nothing to keep pending (the draft lives in the kernel)
    msg.editor = editor;
    msg.edit = ++edits;
    try {
      model.send(msg);
    } catch (err) {
      ctx.flash("The kernel is not connected: run the cell again");
    }
  }

  function showFigure() {
    const ref = model.get("figure");
    if (!ref || ref === figureRef) return;
    figureRef = ref;
    model.widget_manager
      .get_model(ref.replace(/^IPY_MODEL_/, ""))
      .then((child) => {
        figureModel = child;
        return model.widget_manager.create_view(child);
      })
      .then((view) => {
        if (ctx.signal.aborted) return view.remove();
        figureView?.remove();
        figureView = view;
        plot.replaceChildren(view.el);
        view.trigger?.("displayed");
        // the figure sizes itself to its box once it is in the page
        requestAnimationFrame(() => window.dispatchEvent(new Event("resize")));
      })
      .catch((err) => plot.replaceChildren(h("div", { class: "nblabel-note", text: `cannot show the plot: ${err}` })));
  }
  ctx.signal.addEventListener("abort", () => figureView?.remove());

  // bqplot draws each band's class as text over the signal, where a dense waveform hides it:
  // a tag in the band's colour goes behind each (the text turns white, series.css), redone
  // whenever bqplot moves or redraws them (a new band, a zoom, a resize)
  function tagLabels() {
    for (const text of plot.querySelectorAll("g.object_grp > text.label")) {
      const group = text.parentNode;
      let tag = group.querySelector(":scope > rect.nblabel-series-tag");
      const box = text.textContent ? text.getBBox() : null;
      if (!box?.width) {
        tag?.remove();
        continue;
      }
      if (!tag) {
        tag = document.createElementNS("http://www.w3.org/2000/svg", "rect");
        tag.setAttribute("class", "nblabel-series-tag");
        group.insertBefore(tag, text);
        text.classList.add("nblabel-series-tagged");
      }
      const want = {
        x: box.x - 4, y: box.y - 1, width: box.width + 8, height: box.height + 2, rx: 3,
        transform: text.getAttribute("transform") ?? "",
      };
      // only what changed: writing the same values would wake the observer below again
      for (const [name, value] of Object.entries(want))
        if (tag.getAttribute(name) !== String(value)) tag.setAttribute(name, String(value));
      if (tag.style.fill !== text.style.fill) tag.style.fill = text.style.fill; // the band's
    }
  }
  let tagFrame = 0;
  const tagger = new MutationObserver(() => {
    tagFrame ||= requestAnimationFrame(() => {
      tagFrame = 0;
      tagLabels();
    });
  });
  tagger.observe(plot, {
    subtree: true, childList: true, characterData: true, attributes: true,
    attributeFilter: ["transform", "style", "x", "y"],
  });
  ctx.signal.addEventListener("abort", () => tagger.disconnect());

  // The data value under a pixel, read off the time axis: two of its ticks (d3 binds each
  // tick's value to its element) and where they are drawn. The plot area's own box is no
  // guide: bqplot pads the scale's range inside it.
  function dataAt(clientX) {
    const first = plot.querySelector("g.tick"); // the time axis is the figure's first
    if (!first) return null;
    const ticks = [...first.parentNode.children].filter((t) => t.matches("g.tick") && t.__data__ != null);
    if (ticks.length < 2) return null;
    const at = (t) => {
      const box = (t.querySelector("line") ?? t).getBoundingClientRect();
      return box.x + box.width / 2;
    };
    const [a, b] = [ticks[0], ticks[ticks.length - 1]];
    const perPixel = (Number(b.__data__) - Number(a.__data__)) / (at(b) - at(a));
    if (!Number.isFinite(perPixel)) return null;
    return { value: Number(a.__data__) + (clientX - at(a)) * perPixel, perPixel };
  }

  // a click (no drag) on the plot selects the band under it
  let down = null;
  plot.addEventListener("pointerdown", (e) => (down = { x: e.clientX, y: e.clientY }), { capture: true });
  plot.addEventListener(
    "pointerup",
    (e) => {
      if (!down) return;
      const moved = Math.hypot(e.clientX - down.x, e.clientY - down.y);
      down = null;
      const area = plot.querySelector("rect.overlay") ?? plot.querySelector(".plotarea_events");
      if (moved > CLICK_SLOP_PX || !area) return;
      const box = area.getBoundingClientRect();
      if (e.clientX < box.left || e.clientX > box.right || e.clientY < box.top || e.clientY > box.bottom) return;
      const at = dataAt(e.clientX);
      // times of a date axis are milliseconds here
      if (at) send({ kind: "select_at", value: at.value, per_pixel: at.perPixel });
    },
    { capture: true },
  );

  // The brush as this page shows it: ipywidgets holds back a model's updates while the
  // kernel is busy, so the kernel may not have the last one yet when a digit is pressed.
  function shownBrush() {
    const selector = figureModel?.get("interaction");
    const selected = selector?.get?.("selected");
    if (selected === undefined) return undefined; // not known here: the kernel's brush
    if (selected == null || selected.length !== 2) return null;
    return Array.from(selected, Number); // a date scale's ends as milliseconds
  }

  function pick(index) {
    const option = model.get("options")[index];
    if (option) send({ kind: "assign", value: option.value, brush: shownBrush() });
  }

  function paintBands() {
    const chosen = model.get("chosen");
    const bands = model.get("bands");
    bandList.replaceChildren(
      ...bands.map((band, index) => {
        const when = band.start === band.end ? `at ${band.start}` : `${band.start} – ${band.end}`;
        const row = h(
          "li",
          { class: "nblabel-series-band", "data-index": String(index), title: "select (a digit changes its class, Delete removes it)" },
          h("span", { class: "nblabel-series-swatch", style: `background:${band.color}` }),
          h("span", { class: "nblabel-series-label", text: band.label }),
          h("span", { class: "nblabel-series-when", text: when }),
        );
        if (index === chosen) row.classList.add("nblabel-selected");
        row.addEventListener("click", () => send({ kind: "select", index: index === chosen ? -1 : index }));
        return row;
      }),
    );
    if (!bands.length) bandList.append(h("li", { class: "nblabel-note", text: "No segments yet." }));
    const brushed = model.get("brushed");
    const keys = model.get("options").map((o) => o.key).filter((k) => k != null);
    const range = keys.length ? `${keys[0]}–${keys[keys.length - 1]}` : "a class";
    if (brushed) brushLine.textContent = `Brushed ${brushed}: press ${range} to label it · z zooms to it`;
    else if (chosen >= 0) brushLine.textContent = `Segment ${chosen + 1} selected: ${range} changes its class · Delete removes it`;
    else if (model.get("kind") === "audio")
      brushLine.textContent = `Drag across the waveform to brush a range, then press ${range} (with nothing brushed, ${range} labels the whole clip) · Space plays`;
    else brushLine.textContent = `Drag across the plot to brush a range, then press ${range} · click a band to select it`;
  }

  ctx.body.append(frame, brushLine, optionsBox, bandList); // base repaints on every change

  // ---- audio (label_audio): the clip plays in the page's own audio element ----------------
  const isAudio = model.get("kind") === "audio";
  const sound = new Audio();
  const playhead = h("div", { class: "nblabel-audio-playhead", hidden: "" });
  const playButton = h("button", { class: "nblabel-audio-play", type: "button", text: "Play ␣" });
  const selectionButton = h("button", { class: "nblabel-audio-selection", type: "button", text: "Play the selection p" });
  let soundData = null;
  let soundUrl = null;
  let stopAt = null; // playing the selection: where to stop
  if (isAudio) {
    frame.append(playhead);
    ctx.body.insertBefore(h("div", { class: "nblabel-audio-controls" }, playButton, selectionButton), brushLine);
    playButton.addEventListener("click", () => togglePlay());
    selectionButton.addEventListener("click", () => playSelection());
    ctx.signal.addEventListener("abort", () => {
      sound.pause();
      if (soundUrl) URL.revokeObjectURL(soundUrl);
    });
  }

  function loadSound() {
    const data = model.get("audio_data");
    if (!isAudio || data === soundData) return;
    soundData = data;
    sound.pause();
    if (soundUrl) URL.revokeObjectURL(soundUrl);
    const bytes = data instanceof DataView ? data.buffer : data;
    soundUrl = URL.createObjectURL(new Blob([bytes], { type: model.get("audio_mime") || "audio/wav" }));
    sound.src = soundUrl;
    playhead.hidden = true;
  }

  // where a time of the axis is drawn, in pixels from the left of the frame
  function pixelAt(value) {
    const first = dataAt(0);
    if (!first) return null;
    return (value - first.value) / first.perPixel - frame.getBoundingClientRect().left;
  }

  function follow() {
    if (stopAt != null && sound.currentTime >= stopAt) {
      sound.pause();
      stopAt = null;
    }
    const x = pixelAt(sound.currentTime);
    playhead.hidden = x == null;
    if (x != null) playhead.style.left = `${x}px`;
    frame.dataset.playing = String(!sound.paused);
    playButton.textContent = sound.paused ? "Play ␣" : "Pause ␣";
    if (!sound.paused && !ctx.signal.aborted) requestAnimationFrame(follow);
  }
  sound.addEventListener("play", () => requestAnimationFrame(follow));
  sound.addEventListener("pause", () => follow());

  function togglePlay() {
    if (sound.paused) {
      stopAt = null;
      sound.play().catch((err) => ctx.flash(`cannot play: ${err.message ?? err}`));
    } else sound.pause();
  }

  function playSelection() {
    const brush = shownBrush();
    if (!brush) return ctx.flash("Brush a range first: p plays it");
    sound.currentTime = brush[0];
    stopAt = brush[1];
    sound.play().catch((err) => ctx.flash(`cannot play: ${err.message ?? err}`));
  }

  return {
    hint: "Click here, then brush the plot and press a digit · Enter saves · ? lists the keys",
    pick,
    confirm() {
      if ((model.get("edit_acks")[editor] ?? 0) < edits) confirmWaits = true;
      else ctx.labelIntent(model.get("draft"));
    },
    confirmShown: () => true,
    content(box, sample) {
      // the figure stays in the view's body: the sample box says which recording it is
      if (sample.content.type !== "series") return renderContent(box, sample.content, model, ctx.signal);
      box.replaceChildren(meta);
      const file = sample.content.file ? `${sample.content.file} · ` : "";
      meta.textContent = `${file}${sample.content.rows} samples · ${sample.content.from} to ${sample.content.to}`;
    },
    onKey(event, key) {
      if (event.repeat) return false;
      if (isAudio && key === " ") togglePlay();
      else if (isAudio && key === "p") playSelection();
      else if (key === "Delete") send({ kind: "remove" });
      else if (key === "z") send({ kind: "zoom", to: "brush" });
      else if (key === "r") send({ kind: "zoom", to: "all" });
      else return false;
      event.preventDefault();
      return true;
    },
    labelText(label) {
      if (!Array.isArray(label)) return String(label);
      if (!label.length) return "no segments";
      const names = label.map((s) => s.label);
      return `${label.length} segment${label.length > 1 ? "s" : ""} (${names.slice(0, 4).join(", ")}${names.length > 4 ? ", …" : ""})`;
    },
    paint(sample) {
      if (confirmWaits && (model.get("edit_acks")[editor] ?? 0) >= edits) {
        confirmWaits = false;
        queueMicrotask(() => ctx.labelIntent(model.get("draft")));
      }
      showFigure();
      loadSound();
      // the kernel's recording is drawn; a prefetched one shown ahead of it waits under a cover
      const ahead = sample != null && sample.item !== model.get("sample").item;
      cover.hidden = !ahead;
      frame.hidden = sample == null;
      optionsBox.replaceChildren(...optionButtons(model.get("options"), () => false, pick));
      paintBands();
    },
  };
}

export default widget(seriesView);
