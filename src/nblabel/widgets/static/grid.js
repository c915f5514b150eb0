// The grid view of classify(..., image=, grid=N): a page of N thumbnails. A click selects a
// cell (Shift: the range from the last one clicked; Ctrl/Cmd: one more or one less), a digit
// labels the selection (nothing selected: every unlabeled cell), Enter sends the page's labels
// as one label intent through base.js. Selection and labels change here at once, by the same
// rules as nblabel/_grid.py, and are told to the kernel ({kind: "grid"}) so that Python's
// w.selected and w.page_labels know them. Thumbnails come as binary buffers; the next page is
// prefetched (base.js shows it at once on Enter) and its pictures decoded ahead.
// Joined after base.js, whose functions it uses by name. Ids and labels are text (textContent).

const GRID_URLS_KEPT = 600; // object URLs of thumbnails kept (a few pages' worth)

const GRID_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"];

function gridView(ctx) {
  const { model, el } = ctx;
  el.classList.add("nblabel-grid");
  let cells = []; // the cells of the page on screen
  let pageItem = null; // its first item: names the page
  let held = []; // per cell: the option position of its saved label, or null
  let labels = []; // per cell: the option position shown (saved or not yet), or null
  let selected = new Set();
  let anchor = null;
  let rev = -1; // the last change made from Python that this view took
  const urls = new Map(); // item -> object URL of its thumbnail

  const cellsBox = h("div", { class: "nblabel-grid-cells", role: "listbox", "aria-multiselectable": "true" });
  const optionsBox = h("div", { class: "nblabel-options", role: "group" });
  const how = h("div", { class: "nblabel-grid-how" });
  const selectAll = h("button", { class: "nblabel-grid-all", type: "button", text: "Select all" });
  const clear = h("button", { class: "nblabel-grid-clear", type: "button", text: "Clear selection" });
  const tools = h("div", { class: "nblabel-grid-tools" }, how, selectAll, clear);
  ctx.body.append(optionsBox, tools);

  function urlOf(cell) {
    let url = urls.get(cell.item);
    if (url) return url;
    const bytes = cell.data instanceof DataView ? cell.data.buffer : cell.data;
    url = URL.createObjectURL(new Blob([bytes], { type: cell.mime }));
    urls.set(cell.item, url);
    while (urls.size > GRID_URLS_KEPT) {
      const [oldest, old] = urls.entries().next().value;
      urls.delete(oldest);
      URL.revokeObjectURL(old);
    }
    return url;
  }

  function warm(page) {
    // the prefetched page's pictures decoded ahead: Enter shows them in the same frame
    for (const cell of page?.content?.cells ?? []) {
      if (cell.data && !urls.has(cell.item)) {
        const img = new Image();
        img.src = urlOf(cell);
        img.decode?.().catch(() => {});
      }
    }
  }

  const disabled = (i) => cells[i]?.error != null;

  function click(index, shift, toggle) {
    // the rules of nblabel._grid.click: a range leaves out unreadable cells
    if (shift && anchor != null) {
      const [lo, hi] = anchor < index ? [anchor, index] : [index, anchor];
      const span = [];
      for (let i = lo; i <= hi; i++) if (!disabled(i)) span.push(i);
      selected = toggle ? new Set([...selected, ...span]) : new Set(span);
    } else if (toggle) {
      if (selected.has(index)) selected.delete(index);
      else selected.add(index);
      anchor = index;
    } else {
      selected = selected.size === 1 && selected.has(index) ? new Set() : new Set([index]);
      anchor = index;
    }
    changed();
  }

  function pick(option) {
    // the rules of nblabel._grid.PageDraft.label
    if (!cells.length) return;
    const targets = selected.size
      ? [...selected]
      : labels.map((label, i) => (label == null && !disabled(i) ? i : -1)).filter((i) => i >= 0);
    for (const i of targets) labels[i] = option;
    selected = new Set();
    changed();
  }

  function changed() {
    paintCells();
    try {
      model.send({ kind: "grid", item: pageItem, selected: [...selected].sort((a, b) => a - b), labels });
    } catch {
      // the kernel is gone: the page's labels go with Enter (kept and resent by base.js)
    }
  }

  function confirm() {
    if (!cells.length) return;
    const options = model.get("options");
    const pairs = [];
    labels.forEach((label, i) => {
      if (label != null && options[label]) pairs.push(`[${cells[i].item},${options[label].value}]`);
    });
    if (!pairs.length && labels.some((label, i) => label == null && !disabled(i))) {
      const skip = ctx.keyHint("skip");
      ctx.flash(`Nothing is labeled on this page: select images and press a digit (a digit alone labels every unlabeled image)${skip ? `; ${skip} skips the page` : ""}`, 4000);
      return;
    }
    ctx.labelIntent(`[${pairs.join(",")}]`);
  }

  function adopt(state) {
    labels = state.labels.slice(0, cells.length);
    selected = new Set(state.selected);
    rev = state.rev;
  }

  function cellNode(cell, i) {
    const node = h("div", { class: "nblabel-grid-cell", role: "option", "data-cell": String(i), "data-item": cell.item });
    if (cell.error != null) {
      node.classList.add("nblabel-grid-broken");
      node.append(h("div", { class: "nblabel-grid-error", role: "note", text: cell.error }));
    } else if (cell.data) {
      const img = h("img", { class: "nblabel-grid-img", src: urlOf(cell), alt: itemText(cell.item), draggable: "false" });
      node.append(img);
    }
    node.append(
      h("span", { class: "nblabel-grid-id", text: itemText(cell.item) }),
      h("span", { class: "nblabel-grid-check", "aria-hidden": "true" }),
      h("span", { class: "nblabel-grid-badge" }),
    );
    return node;
  }

  cellsBox.addEventListener(
    "mousedown",
    (e) => {
      if (e.shiftKey) e.preventDefault(); // Shift+click selects cells, not the page's text
    },
    { signal: ctx.signal },
  );
  cellsBox.addEventListener(
    "click",
    (e) => {
      const node = e.target.closest?.(".nblabel-grid-cell");
      if (!node || !cellsBox.contains(node)) return;
      click(Number(node.dataset.cell), e.shiftKey, e.ctrlKey || e.metaKey);
      el.focus({ preventScroll: true }); // the digits and Enter go to the widget
    },
    { signal: ctx.signal },
  );
  selectAll.addEventListener("click", () => {
    selected = new Set(cells.map((_, i) => i).filter((i) => !disabled(i)));
    changed();
  });
  clear.addEventListener("click", () => {
    selected = new Set();
    changed();
  });

  // one colour per option (the first eight), on its badges and its button alike
  function setColour(node, option) {
    if (option == null) node.style.removeProperty("--nbl-grid-colour");
    else node.style.setProperty("--nbl-grid-colour", GRID_COLOURS[option % GRID_COLOURS.length]);
  }

  function paintCells() {
    const options = model.get("options");
    cellsBox.querySelectorAll(".nblabel-grid-cell").forEach((node, i) => {
      const label = labels[i];
      const isSelected = selected.has(i);
      node.classList.toggle("nblabel-selected", isSelected);
      node.setAttribute("aria-selected", String(isSelected));
      node.classList.toggle("nblabel-grid-labeled", label != null);
      node.classList.toggle("nblabel-grid-unsaved", label != null && label !== held[i]);
      node.dataset.label = label == null ? "" : options[label]?.label ?? "";
      setColour(node, label);
      const badge = node.querySelector(".nblabel-grid-badge");
      badge.textContent = label == null ? "" : options[label]?.label ?? "";
      badge.hidden = label == null;
    });
    const n = selected.size;
    const left = labels.filter((label, i) => label == null && !disabled(i)).length;
    const enter = ctx.keyHint("confirm") ?? "Enter";
    const unsaved = labels.some((label, i) => label != null && label !== held[i]);
    const broken = cells.filter((cell) => cell.error != null).length;
    const all = broken ? `All readable images labeled (${broken} cannot be read)` : "All images labeled";
    how.textContent =
      (n
        ? `${n} selected: a digit labels ${n === 1 ? "it" : "them"}`
        : left
          ? `Click to select (Shift: a range, Ctrl/⌘: one more); a digit alone labels the ${left} unlabeled`
          : all) + (unsaved ? ` · dashed: not saved yet, ${enter} saves the page` : ` · ${enter} saves the page`);
    for (const button of optionsBox.children) button.disabled = !cells.length;
  }

  return {
    hint: "Click here, then select images and label them with the keys · ? lists the keys",
    itemName(sample) {
      const shown = sample.content?.cells ?? [];
      if (shown.length < 2) return undefined;
      return `page of ${shown.length}: ${itemText(shown[0].item)} to ${itemText(shown[shown.length - 1].item)}`;
    },
    content(box, sample) {
      const content = sample.content;
      if (!content || content.type !== "grid") return renderContent(box, content, model, ctx.signal);
      cells = content.cells;
      cellsBox.style.setProperty("--nbl-grid-n", String(model.get("grid_size")));
      cellsBox.replaceChildren(...cells.map(cellNode));
      box.replaceChildren(cellsBox);
    },
    show(sample) {
      pageItem = sample.item;
      held = (sample.held ?? []).slice();
      labels = held.slice();
      selected = new Set();
      anchor = null;
      const state = model.get("grid_state");
      if (state.item === pageItem && Array.isArray(state.labels) && state.labels.length === cells.length) adopt(state);
    },
    sent() {
      selected = new Set();
    },
    pick,
    confirm,
    confirmShown: () => cells.length > 0,
    paint(sample) {
      if (!sample) cells = [];
      const state = model.get("grid_state");
      if (sample && state.item === pageItem && state.edit && state.rev > rev) adopt(state);
      optionsBox.replaceChildren(
        ...optionButtons(model.get("options"), (i) => [...selected].some((c) => labels[c] === i), pick),
      );
      optionsBox.querySelectorAll(".nblabel-option").forEach((button, i) => setColour(button, i));
      optionsBox.hidden = !sample;
      tools.hidden = !sample;
      warm(model.get("upcoming")[0]);
      paintCells();
    },
  };
}

export default widget(gridView);
