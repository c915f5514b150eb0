// nblabel's shared front end: the shell every view stands on (status line, progress, keys,
// navigation, undo, trail, help, pending labels kept and resent). A view file (text.js,
// spans.js, ...) is joined after this one into a single module by the Python side (no bundler)
// and ends with `export default widget(makeView)`.
// Traits are state (what a fresh view needs); messages are intents with a `kind`. After a
// label the kernel sends what changed of the sample, the prefetch and the trail as one small
// message (followState); nothing here saves the model, so what that message sets stays the
// kernel's (the kernel takes from the browser only the traits it lets the browser own).
// Sample content is data: everything is written with textContent, except content of
// type "html", which the user marked as trusted with nblabel.HTML.
// A label intent carries the label itself ({kind: "label", value: JSON text}), taken from the
// option the user saw (`options[i].value`) or the text typed: a label still pending after a
// kernel restart can never turn into another option through a changed key map.

const RESEND_AFTER_MS = 3000;
const SLOW_AFTER_MS = 5000; // a label pending longer than this gets a reason in the status
const LEAVE_TO_NOTEBOOK = new Set(["Tab", "Escape"]);
// Lumino skips its shortcuts for a key event whose target carries this attribute.
const SUPPRESS_SHORTCUTS = "data-lm-suppress-shortcuts";
const ACTIONS = { confirm: "Confirm", undo: "Undo", back: "Back", skip: "Skip" };
const KEY_NAMES = { Enter: "⏎", Backspace: "⌫", ArrowLeft: "←", ArrowRight: "→", Escape: "Esc", " ": "Space" };
const ASK_AGAIN_MS = 5000; // waiting for items claimed by others: how often to ask again
const HELP_KEY = "?"; // shows the list of keys (the key map's help, from Python)
const PACE_OF = 20; // the pace is the mean time of the last labels made in this view

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

function keyName(key) {
  return KEY_NAMES[key] ?? key;
}

// "~4 min left at 6 s per label": the time left at the pace of this view's recent labels
function paceText(seconds, remaining) {
  const per = seconds.reduce((a, b) => a + b, 0) / seconds.length;
  const left = per * remaining;
  const perText = per < 10 ? `${Math.round(per * 10) / 10} s` : `${Math.round(per)} s`;
  let leftText;
  if (left < 60) leftText = "<1 min";
  else if (left < 90 * 60) leftText = `~${Math.round(left / 60)} min`;
  else leftText = `~${Math.floor(left / 3600)} h ${Math.round((left % 3600) / 60)} min`;
  return `${leftText} left at ${perText} per label`;
}

function itemText(item) {
  // data-item is the id as JSON text: show a string id as itself
  try {
    const id = JSON.parse(item);
    return typeof id === "string" ? id : JSON.stringify(id);
  } catch {
    return String(item);
  }
}

// a label as a person reads it: a list as its items
function labelText(label) {
  return Array.isArray(label) ? label.join(", ") || "(none)" : String(label);
}

function agoText(seconds) {
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

// active learning: when the model last refit, and why this item comes now
function whyText(why) {
  if (why.refit_at == null) {
    const how = why.cold_start === "diverse" ? "picked to cover the data" : "in random order";
    return `Active learning: no model yet (it needs two classes labeled): items ${how}`;
  }
  const fit = `model refit ${agoText(Date.now() / 1000 - why.refit_at)} on ${why.labels} labels`;
  if (why.rank == null) return `Active learning: ${fit}`;
  const score = Number(why.score).toPrecision(2);
  const rank = `${why.strategy} rank ${why.rank} of ${why.of} (uncertainty ${score})`;
  // the few items the page held already keep their place: their rank is not why they come
  if (why.queued) return `Active learning: ${fit} · queued before the refit; now ${rank}`;
  return `Active learning: ${fit} · this item: ${rank}`;
}

// A colour of the page's theme for a canvas, which cannot take a CSS variable (``name``, one
// of JupyterLab's); ``fallback`` where the page does not set it.
function themeColor(element, name, fallback) {
  return getComputedStyle(element).getPropertyValue(name).trim() || fallback;
}

function randomId() {
  return Math.random().toString(36).slice(2, 10) + Date.now().toString(36);
}

function pendingStoreKey(info) {
  // the absolute store URL: two folders' "nblabel.db" are different stores
  const where = [info.store_url ?? info.store, info.task, info.annotator, info.source];
  return `nblabel:pending:${where.join(":")}`;
}

// Unconfirmed labels live in localStorage too, keyed by client and sequence number, so a
// reloaded page or a new view after a kernel restart can send them again. Entries are added
// and removed one by one: several views of the same task never overwrite each other's.
function readPending(info) {
  try {
    const stored = JSON.parse(localStorage.getItem(pendingStoreKey(info)) || "{}");
    return stored && typeof stored === "object" && !Array.isArray(stored) ? stored : {};
  } catch {
    return {};
  }
}

function writePending(info, stored) {
  try {
    if (Object.keys(stored).length) localStorage.setItem(pendingStoreKey(info), JSON.stringify(stored));
    else localStorage.removeItem(pendingStoreKey(info));
  } catch {
    // storage full or blocked: the label is still pending in memory and resent from there
  }
}

function rememberPending(info, entry) {
  if (entry.msg.kind !== "label") return; // moves are not worth sending after a restart
  const stored = readPending(info);
  stored[`${entry.msg.client}:${entry.msg.seq}`] = { msg: entry.msg };
  writePending(info, stored);
}

function forgetPending(info, entries) {
  const stored = readPending(info);
  for (const entry of entries) delete stored[`${entry.msg.client}:${entry.msg.seq}`];
  writePending(info, stored);
}

// The options as buttons: a key cap, the label and its note; `isSelected(index, option)` marks
// the chosen ones, a click calls `onPick(index)`. Views with options share it.
function optionButtons(options, isSelected, onPick) {
  return options.map((option, index) => {
    const button = h("button", { class: "nblabel-option", type: "button", "data-index": String(index) });
    if (option.key != null) button.dataset.key = option.key;
    if (option.key != null && option.key === option.label) {
      // a rating whose key is its value: one big key cap, not "4 4"
      button.classList.add("nblabel-option-keycap");
      button.append(h("span", { class: "nblabel-option-label", text: option.label }));
    } else {
      if (option.key != null) button.append(h("kbd", { text: keyName(option.key) }));
      button.append(h("span", { class: "nblabel-option-label", text: option.label }));
    }
    if (option.note) {
      button.classList.add("nblabel-option-noted");
      button.append(h("span", { class: "nblabel-option-note", text: option.note }));
    }
    const selected = isSelected(index, option);
    if (selected) button.classList.add("nblabel-selected");
    button.setAttribute("aria-pressed", String(selected));
    button.addEventListener("click", () => onPick(index));
    return button;
  });
}

// ---- state messages ---------------------------------------------------------------------------
// {kind: "state", base, set, sample?, upcoming?, trail?, buffer_paths}: the state at version
// `base` + 1, given as what changed: `set` holds whole values; `sample` is a prefetched sample
// (`from`) with keys added (`with`); `upcoming` drops its first `drop` samples and gains `add`;
// `trail` gains `push` (an older entry of its item dropped) and keeps `keep` entries. A model
// at another version asks the kernel for the whole state (a "follow" message).
function putBuffers(state, paths, buffers) {
  paths.forEach((path, i) => {
    let obj = state;
    for (const key of path.slice(0, -1)) obj = obj[key];
    const b = buffers[i];
    obj[path[path.length - 1]] = b instanceof DataView ? b : new DataView(b instanceof ArrayBuffer ? b : b.buffer);
  });
}

function followState(model) {
  let asked = null; // the version a whole state was last asked for
  const follow = () => {
    asked = model.get("state_version");
    try {
      model.send({ kind: "follow", version: asked });
    } catch (err) {
      console.warn("nblabel: kernel gone", err); // the next view asks again
    }
  };
  const onMessage = (msg, buffers) => {
    if (msg?.kind !== "state") return;
    const version = model.get("state_version");
    if (version > msg.base) return; // a whole state sent after it is here already
    if (version < msg.base) {
      if (asked !== version) follow(); // a message was missed: ask once for the whole state
      return;
    }
    putBuffers(msg, msg.buffer_paths ?? [], buffers ?? []);
    const held = model.get("upcoming");
    const next = { ...msg.set, state_version: msg.base + 1 };
    if (msg.sample) next.sample = { ...held[msg.sample.from], ...msg.sample.with };
    if (msg.upcoming) next.upcoming = [...held.slice(msg.upcoming.drop), ...msg.upcoming.add];
    if (msg.trail) {
      const { push, keep } = msg.trail;
      next.trail = [push, ...model.get("trail").filter((e) => e.item !== push.item)].slice(0, keep);
    }
    model.set(next); // one "change" event: the view paints once
  };
  model.on("msg:custom", onMessage);
  follow();
  return () => model.off("msg:custom", onMessage);
}

// content types a view adds: {type: (box, content, model, signal) => void}
const CONTENT_TYPES = {};

function renderContent(box, content, model, signal) {
  box.replaceChildren();
  if (!content) return;
  switch (content.type) {
    case "text":
      box.append(h("div", { class: "nblabel-text", dir: "auto", text: content.text }));
      break;
    case "missing":
      box.append(h("div", { class: "nblabel-text nblabel-missing", text: "(missing value)" }));
      break;
    case "error":
      // this item cannot be shown (display= raised): say why in its place; it can still be
      // labeled or skipped
      box.append(h("div", { class: "nblabel-content-error", role: "note", text: content.text }));
      break;
    case "html": {
      const div = h("div", { class: "nblabel-html" });
      div.innerHTML = content.html; // trusted by the user through nblabel.HTML
      box.append(div);
      break;
    }
    case "table": {
      const table = h("table", { class: "nblabel-table" });
      for (const [column, value] of content.rows) {
        const cell = h("td", { dir: "auto", text: value ?? "(missing)" });
        if (value == null) cell.className = "nblabel-missing";
        table.append(h("tr", {}, h("th", { text: column }), cell));
      }
      box.append(table);
      if (content.hidden_columns) {
        box.append(h("div", { class: "nblabel-note", text: `… ${content.hidden_columns} more columns` }));
      }
      break;
    }
    case "image": {
      const bytes = content.data instanceof DataView ? content.data.buffer : content.data;
      const url = URL.createObjectURL(new Blob([bytes], { type: content.mime }));
      const img = h("img", { class: "nblabel-image", src: url, alt: "sample image" });
      img.addEventListener("load", () => URL.revokeObjectURL(url), { once: true });
      box.append(img);
      break;
    }
    case "widget": {
      const slot = h("div", { class: "nblabel-child" });
      box.append(slot);
      const id = content.ref.replace(/^IPY_MODEL_/, "");
      model.widget_manager
        .get_model(id)
        .then((child) => model.widget_manager.create_view(child))
        .then((view) => {
          if (signal.aborted || !slot.isConnected) return view.remove();
          slot.append(view.el);
          signal.addEventListener("abort", () => view.remove());
        })
        .catch((err) => slot.append(h("div", { class: "nblabel-note", text: `cannot show widget: ${err}` })));
      break;
    }
    default:
      if (CONTENT_TYPES[content.type]) CONTENT_TYPES[content.type](box, content, model, signal);
      else box.append(h("div", { class: "nblabel-note", text: `unknown content ${content.type}` }));
  }
}

// Draw a widget: the shared shell, with the view that `makeView(ctx)` returns in its body.
// A view is an object of hooks, all optional but confirm/pick where the view has them:
//   hint: the focus hint's text          content(box, sample): draw the sample itself
//   show(sample): a new item is shown     paint(sample): repaint the view's own parts
//   confirm(): Enter / the Save button    pick(index): the key of option `index`
//   onKey(event, key): a key the key map does not bind; true if the view used it
//   ownsKey(event): true for a key with Ctrl/Cmd/Alt the view takes from the notebook (onKey gets it)
//   sent(sample): a label of `sample` was just sent
//   heldText(label): the saved label of the item on screen, as text (default: labelText)
//   confirmShown(): whether the Save button shows
//   labelText(label, entry): a saved label as text (in the trail: `entry` is its entry)
//   itemName(sample): what the status line calls the item on screen (default "item <id>")
//   hintTarget: the element a click on the focus hint focuses (a text box)
// ctx gives the view: model, el, signal, body (the view's slot), labelIntent(valueJSON) (true once sent),
// flash(text), paint(), displayed(), keyHint(action).
function mount({ model, el }, makeView) {
  const controller = new AbortController();
  const client = randomId();
  let seq = 0;
  let pending = []; // intents shown ahead of the kernel: {msg, sentAt, since, advances}
  let sendFailed = false; // the last send threw: the comm is closed (kernel restarted or stopped)
  let shownAt = performance.now();
  let shownItem = null;
  const paces = []; // seconds each recent label of this view took

  const kind = model.get("kind");
  el.classList.add("nblabel", `nblabel-${kind}`);
  el.tabIndex = 0;

  // ---- skeleton ---------------------------------------------------------------------------
  const progressText = h("span", { class: "nblabel-progress" });
  const bar = h("div", { class: "nblabel-bar-fill" });
  const header = h(
    "div",
    { class: "nblabel-header" },
    h("span", { class: "nblabel-task", text: model.get("info").task ?? "" }),
    h("div", { class: "nblabel-bar" }, bar),
    progressText,
  );
  const sampleBox = h("div", { class: "nblabel-sample", "aria-live": "polite" });
  const heldLabel = h("div", { class: "nblabel-held" });
  const whyLine = h("div", { class: "nblabel-why" });
  const slot = h("div", { class: "nblabel-view" });
  const rationale = h("textarea", {
    class: "nblabel-rationale",
    rows: "2",
    placeholder: "Why? (optional reasoning, saved with the label · Esc returns to the keys)",
  });
  const confirmButton = h("button", { class: "nblabel-confirm", type: "button" });
  const nav = h("div", { class: "nblabel-nav" });
  const navButtons = {};
  for (const name of ["back", "skip", "undo"]) {
    navButtons[name] = h("button", { class: `nblabel-${name}`, type: "button" });
    navButtons[name].addEventListener("click", () => act(name));
    nav.append(navButtons[name]);
  }
  const status = h("div", { class: "nblabel-status" });
  const errorBox = h("div", { class: "nblabel-error", role: "alert" });
  const noticeBox = h("div", { class: "nblabel-notice", role: "note" });
  // what to do next: read the labels, write them to a file
  const info0 = model.get("info");
  const doneBox = h(
    "div",
    { class: "nblabel-done" },
    h("div", { class: "nblabel-done-title", text: "All items are labeled." }),
    h("div", {
      class: "nblabel-waiting",
      text: "Every item left is claimed by other annotators for now: this page asks again every few seconds and shows the next one as soon as a claim lapses.",
    }),
    h(
      "div",
      { class: "nblabel-done-next" },
      "Next: read them with ",
      h("code", { text: "w.labels" }),
      " (w: this widget, a DataFrame indexed like your data), or write them to a file with ",
      h("code", { text: info0.export ?? `nblabel.export.table(w.store, ${JSON.stringify(info0.task ?? "")}, "labels.csv")` }),
      ".",
    ),
  );
  const focusHint = h("div", { class: "nblabel-hint" });
  const helpBox = h("div", { class: "nblabel-help", role: "note", hidden: "" });
  const trailBox = h("div", { class: "nblabel-trail", "aria-label": "recent labels" });
  const helpButton = h("button", { class: "nblabel-help-button", type: "button", text: "Keys ?" });
  helpButton.addEventListener("click", () => toggleHelp());
  const body = h("div", { class: "nblabel-body" }, sampleBox, whyLine, heldLabel, slot, rationale, confirmButton);
  nav.append(helpButton);
  el.replaceChildren(header, noticeBox, body, doneBox, nav, trailBox, helpBox, status, errorBox, focusHint);

  const ctx = {
    model,
    el,
    signal: controller.signal,
    body: slot,
    labelIntent: labelWith,
    flash,
    paint: () => paint(),
    displayed,
    keyHint,
  };
  const view = makeView(ctx);
  focusHint.textContent = view.hint ?? "Click here to label with the keyboard · ? lists the keys";
  if (view.hintTarget) {
    // the hint leads to the view's text box, where typing goes (on mousedown, before the
    // browser gives the focus to the widget's root)
    focusHint.addEventListener("mousedown", (e) => {
      e.preventDefault();
      view.hintTarget.focus();
    });
  }
  const shownLabel = (label, entry) => (view.labelText ?? labelText)(label, entry);

  function toggleHelp() {
    if (!helpBox.hidden) {
      helpBox.hidden = true;
      return;
    }
    const table = h("table", { class: "nblabel-help-table" });
    for (const [key, does] of model.get("key_help")) {
      table.append(h("tr", {}, h("td", {}, h("kbd", { text: keyName(key) })), h("td", { text: does })));
    }
    helpBox.replaceChildren(h("div", { class: "nblabel-help-title", text: "Keys (while the widget has focus)" }), table);
    helpBox.hidden = false;
  }

  // ---- sending intents ------------------------------------------------------------------------
  // A dead kernel makes model.send throw: the label stays pending (and in localStorage)
  // and is sent again later, by this view or by the next one after a restart.
  function trySend(msg) {
    try {
      model.send(msg);
      sendFailed = false;
    } catch (err) {
      sendFailed = true;
      console.warn("nblabel: not sent, will retry", err);
    }
  }

  function send(msg, advances) {
    msg.client = client;
    msg.seq = ++seq;
    const entry = { msg, sentAt: Date.now(), since: Date.now(), advances };
    pending.push(entry);
    rememberPending(model.get("info"), entry);
    paint();
    trySend(msg);
  }

  function displayed() {
    // the kernel's current item, or the prefetched one the browser has moved on to
    const ahead = pending.filter((p) => p.advances).length;
    if (ahead === 0) return model.get("done") ? null : model.get("sample");
    return model.get("upcoming")[ahead - 1] ?? "loading";
  }

  function labelIntent(msg) {
    const sample = displayed();
    if (!sample || sample === "loading") return;
    const reason = rationale.value.trim();
    if (!reason && model.get("rationale_required")) {
      // rationale="required": nothing is sent (or shown as saved) without a reason
      flash("A reason is required: write it in the box above, then save again", 4000);
      rationale.focus({ preventScroll: true });
      return false;
    }
    msg.item = sample.item;
    msg.elapsed_ms = Math.round(performance.now() - shownAt);
    paces.push(msg.elapsed_ms / 1000);
    if (paces.length > PACE_OF) paces.shift();
    if (reason) msg.rationale = reason;
    rationale.value = "";
    view.sent?.(sample);
    send(msg, true);
    return true;
  }

  function labelWith(value) {
    return labelIntent({ kind: "label", value });
  }

  function act(name) {
    if (name === "confirm") return view.confirm?.();
    const item = displayed();
    const msg = { kind: "action", name };
    if (item && item !== "loading") msg.item = item.item;
    send(msg, name === "skip" && !!item);
  }

  function gotoItem(item) {
    send({ kind: "goto", item }, false);
  }

  function paintTrail() {
    // the last labels saved here, newest first: a click shows that item again
    const trail = model.get("trail");
    trailBox.hidden = !trail.length;
    trailBox.replaceChildren(
      h("span", { class: "nblabel-trail-title", text: "Recent:" }),
      ...trail.map((entry) => {
        const text = shownLabel(JSON.parse(entry.label), entry);
        const button = h("button", {
          class: "nblabel-trail-item",
          type: "button",
          "data-item": entry.item,
          // whole, where a narrow widget cuts the entry short
          title: `${itemText(entry.item)} → ${text}: show this item again`,
        });
        button.append(h("span", { class: "nblabel-trail-id", text: itemText(entry.item) }), " → ", h("span", { text }));
        button.addEventListener("click", () => gotoItem(entry.item));
        return button;
      }),
    );
  }

  // a message of the view's own for `ms`: kept over repaints (a kernel update meanwhile must
  // not wipe it before it can be read), then the kernel's error, if any, shows again
  let flashed = null; // {text, until}
  function flash(text, ms = 1500) {
    flashed = { text, until: Date.now() + ms };
    paint();
    setTimeout(() => paint(), ms + 10);
  }

  // ---- keys ---------------------------------------------------------------------------------
  function onKeyDown(event) {
    const target = event.target;
    const typing = target.tagName === "TEXTAREA" || target.tagName === "INPUT" || target.isContentEditable;
    if (typing) {
      if (event.key === "Escape") {
        // leave the text box: the keys label again
        event.preventDefault();
        event.stopPropagation();
        el.focus({ preventScroll: true });
        return;
      }
      // a view's text box marked data-enter="confirm" saves on Enter (Shift+Enter: a new line)
      if (target.dataset.enter === "confirm" && event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        event.stopPropagation();
        view.confirm?.();
      } else {
        event.stopPropagation(); // text typed here is text, not a notebook shortcut
      }
      return;
    }
    if (event.isComposing) return;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (event.ctrlKey || event.metaKey || event.altKey) {
      // a shortcut with a modifier is the notebook's, unless the view owns it (ownsKey)
      if (view.ownsKey?.(event) && view.onKey?.(event, key)) {
        event.preventDefault();
        event.stopPropagation();
      }
      return;
    }
    if (key === HELP_KEY) {
      event.preventDefault();
      event.stopPropagation();
      if (!event.repeat) toggleHelp();
      return;
    }
    const bound = model.get("keymap")[key];
    if (bound === undefined && view.onKey?.(event, key)) {
      event.stopPropagation();
      return;
    }
    if (bound === undefined) {
      // while the widget has focus, a stray letter must not insert or delete notebook cells
      if (!LEAVE_TO_NOTEBOOK.has(event.key)) event.stopPropagation();
      // nor does Space scroll the page (on a button it still presses the button)
      if (event.key === " " && target.tagName !== "BUTTON") event.preventDefault();
      return;
    }
    event.preventDefault();
    event.stopPropagation(); // keys the widget owns never reach JupyterLab
    // a held key labels (or undoes) once, not a run of items; held arrows keep moving
    if (event.repeat && (typeof bound === "number" || bound === "confirm" || bound === "undo")) return;
    if (typeof bound === "number") view.pick?.(bound);
    else act(bound);
  }
  el.addEventListener("keydown", onKeyDown, { signal: controller.signal });
  // JupyterLab matches its shortcuts in the bubbling phase, where onKeyDown stops them;
  // Notebook 7 matches them in the capture phase, before any listener of the widget runs.
  // So, first of all (window, capture), the target of a key meant for the widget is marked
  // for that one event: Lumino then leaves it alone. Keys with Ctrl/Cmd/Alt, Tab and Esc
  // still reach the notebook (save, switch cells, leave the widget).
  function markOwnKey(event) {
    const target = event.target;
    if (!(target instanceof Element) || !el.contains(target)) return;
    const modified = event.ctrlKey || event.metaKey || event.altKey;
    if ((modified && !view.ownsKey?.(event)) || LEAVE_TO_NOTEBOOK.has(event.key)) return;
    if (target.hasAttribute(SUPPRESS_SHORTCUTS)) return;
    target.setAttribute(SUPPRESS_SHORTCUTS, "");
    setTimeout(() => target.removeAttribute(SUPPRESS_SHORTCUTS), 0);
  }
  window.addEventListener("keydown", markOwnKey, { capture: true, signal: controller.signal });
  el.addEventListener("focusin", () => el.classList.add("nblabel-focused"), { signal: controller.signal });
  el.addEventListener(
    "focusout",
    (e) => {
      if (!el.contains(e.relatedTarget)) el.classList.remove("nblabel-focused");
    },
    { signal: controller.signal },
  );
  el.addEventListener(
    "click",
    (e) => {
      // a click while a text box of the widget has the focus (the caption hint gives it the
      // box on mousedown) leaves it there
      const active = document.activeElement;
      if (active !== el && el.contains(active) && ["TEXTAREA", "INPUT"].includes(active.tagName)) return;
      if (!["TEXTAREA", "INPUT", "BUTTON"].includes(e.target.tagName)) el.focus({ preventScroll: true });
    },
    { signal: controller.signal },
  );
  confirmButton.addEventListener("click", () => view.confirm?.());

  // ---- painting -------------------------------------------------------------------------------
  function keyHint(action) {
    for (const [key, bound] of Object.entries(model.get("keymap"))) if (bound === action) return keyName(key);
    return null;
  }

  let paintedItem = undefined;
  function paint() {
    const sample = displayed();
    const done = sample === null;
    const loading = sample === "loading";
    const item = done ? null : loading ? "loading" : sample.item;
    if (item !== paintedItem) {
      paintedItem = item;
      shownAt = performance.now();
      shownItem = item;
      if (loading) sampleBox.replaceChildren(h("div", { class: "nblabel-note", text: "Loading the next item…" }));
      else if (done) sampleBox.replaceChildren();
      else if (view.content) view.content(sampleBox, sample);
      else renderContent(sampleBox, sample.content, model, controller.signal);
      if (!done && !loading) view.show?.(sample);
      rationale.value = !done && !loading && sample.rationale ? sample.rationale : "";
    }
    el.dataset.item = done || loading ? "" : sample.item;
    el.dataset.done = String(done);
    body.hidden = done;
    doneBox.hidden = !done;
    const claimedByOthers = done && model.get("waiting");
    doneBox.classList.toggle("nblabel-is-waiting", claimedByOthers);
    el.dataset.waiting = String(claimedByOthers);

    const held = !done && !loading && sample.label != null ? JSON.parse(sample.label) : null;
    heldLabel.textContent =
      held == null ? "" : `Saved label: ${(view.heldText ?? shownLabel)(held)} — choose again to change it`;
    heldLabel.hidden = held == null;
    // the reason belongs to the kernel's item: hidden while a prefetched one is shown, its
    // line kept (the buttons under it would jump up and back at each label)
    const reason = model.get("sample").why;
    const ordered = reason != null && !done && !loading;
    const whyShown = ordered && sample.item === model.get("sample").item;
    if (whyShown) whyLine.textContent = whyText(reason);  // hidden: the last one, same height
    whyLine.hidden = !ordered;
    whyLine.style.visibility = whyShown ? "" : "hidden";
    view.paint?.(done || loading ? null : sample);
    paintTrail();

    confirmButton.hidden = !view.confirmShown?.();
    const confirmKey = keyHint("confirm");
    confirmButton.textContent = `Save${confirmKey ? ` ${confirmKey}` : ""}`;
    rationale.hidden = !model.get("ask_rationale");
    rationale.placeholder = model.get("rationale_required")
      ? "Why? (required: saved with the label · Esc returns to the keys)"
      : "Why? (optional reasoning, saved with the label · Esc returns to the keys)";
    for (const [name, button] of Object.entries(navButtons)) {
      const hint = keyHint(name);
      button.textContent = `${ACTIONS[name]}${hint ? ` ${hint}` : ""}`;
    }

    const progress = model.get("progress_state");
    const ahead = pending.filter((p) => p.advances && p.msg.kind === "label").length;
    const doneCount = Math.min(progress.total, (progress.done ?? 0) + ahead);
    progressText.textContent = `${doneCount} / ${progress.total}`;
    bar.style.width = progress.total ? `${(100 * doneCount) / progress.total}%` : "0%";

    const info = model.get("info");
    const saved = model.get("saved");
    const labels = pending.filter((p) => p.msg.kind === "label");
    const waiting = labels.length;
    const why = waiting ? whyPending(labels) : null;
    status.dataset.saved = String(saved);
    status.dataset.pending = String(waiting);
    status.dataset.why = why?.code ?? "";
    status.classList.toggle("nblabel-is-pending", waiting > 0);
    status.classList.toggle("nblabel-is-stuck", why != null);
    status.replaceChildren(
      // the marks are drawn by CSS (a dot, a check): no glyph a font may lack
      h("span", { class: `nblabel-mark ${waiting ? "nblabel-mark-pending" : "nblabel-mark-ok"}`, "aria-hidden": "true" }),
      h("span", {
        class: "nblabel-save-state",
        text: waiting
          ? `${waiting} not yet saved${why ? ` — ${why.text}` : "…"}`
          : saved
            ? "all labels saved"
            : "ready",
      }),
      h("span", { class: "nblabel-item", text: done || loading ? "" : ` · ${view.itemName?.(sample) ?? `item ${itemText(sample.item)}`}` }),
      h("span", { class: "nblabel-where", text: ` · annotator: ${info.annotator} · task: ${info.task} · ${info.store}` }),
      h("span", {
        class: "nblabel-pace",
        text: paces.length >= 2 && !done ? ` · ${paceText(paces, progress.total - doneCount)}` : "",
      }),
    );
    if (flashed && Date.now() >= flashed.until) flashed = null;
    const error = flashed ? flashed.text : model.get("error");
    errorBox.textContent = error;
    errorBox.hidden = !error;
    const notice = model.get("notice");
    noticeBox.textContent = notice;
    noticeBox.hidden = !notice;
  }

  // Why labels are still pending, once it is worth saying: the kernel is gone (a send threw),
  // the kernel refused to save (its reason), or it has not answered for a while.
  function whyPending(labels) {
    const n = labels.length;
    if (sendFailed || model.comm_live === false) {
      const kept = `your ${n} label${n > 1 ? "s are" : " is"} kept and will be sent`;
      return { code: "kernel-gone", text: `kernel restarted or stopped — run the cell again (${kept})` };
    }
    const problem = model.get("save_problem");
    if (problem) return { code: "not-saved", text: problem };
    const oldest = Math.min(...labels.map((p) => p.since));
    if (Date.now() - oldest > SLOW_AFTER_MS) {
      return { code: "kernel-slow", text: "kernel not responding (busy running a cell?)" };
    }
    return null;
  }

  // ---- kernel answers ---------------------------------------------------------------------------
  function onAcks() {
    const acked = model.get("acks");
    const isAcked = (p) => p.msg.client in acked && p.msg.seq <= acked[p.msg.client];
    const done = pending.filter(isAcked);
    if (done.length) {
      pending = pending.filter((p) => !isAcked(p));
      forgetPending(model.get("info"), done);
    }
  }
  const onChange = () => {
    onAcks();
    paint();
  };
  model.on("change", onChange);

  // labels shown but never confirmed (dropped connection, restarted kernel, reloaded page)
  // are sent again; the kernel ignores what it already saved
  const resend = () => {
    const now = Date.now();
    if (pending.length) paint(); // the status says why once a label has waited a while
    for (const p of pending) {
      if (now - p.sentAt > RESEND_AFTER_MS) {
        p.sentAt = now;
        trySend({ ...p.msg, resent: true });
      }
    }
  };
  // waiting for items claimed by others: ask the kernel again now and then (not an intent:
  // nothing to keep or resend)
  let askedAt = 0;
  const askAgain = () => {
    if (!model.get("waiting") || Date.now() - askedAt < ASK_AGAIN_MS) return;
    askedAt = Date.now();
    trySend({ kind: "refresh" });
  };
  const timer = setInterval(() => {
    resend();
    askAgain();
  }, 1000);
  for (const old of Object.values(readPending(model.get("info")))) {
    pending.push({ msg: old.msg, sentAt: 0, since: Date.now(), advances: false });
  }
  paint();
  resend();
  // a page that opens on the widget (Voila, a reloaded labeling page) gives it the keys at once;
  // in a notebook the focus is somewhere already (the cell that ran) and stays there
  requestAnimationFrame(() => {
    const active = document.activeElement;
    if (el.isConnected && (active == null || active === document.body)) el.focus({ preventScroll: true });
  });

  return () => {
    controller.abort();
    clearInterval(timer);
    model.off("change", onChange);
  };
}

// what a view file exports: the model follows state messages once, however many views it has
function widget(makeView) {
  return { initialize: ({ model }) => followState(model), render: (args) => mount(args, makeView) };
}
