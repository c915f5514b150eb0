// The review_steps view: a question and its numbered steps; the current step is marked, a key
// labels it and the mark moves on; after the last step (or the first stop_at_first label) the
// list of step labels is sent as the item's label. ArrowUp goes back one step to relabel it.
// Joined after base.js, whose functions it uses by name. Steps are text (textContent).

function stepsView(ctx) {
  const { model } = ctx;
  let steps = []; // the steps of the item on screen
  let judged = []; // option positions given so far, one per step
  let notes = []; // the note typed for each step judged (null: none)

  const list = h("ol", { class: "nblabel-step-list" });
  const optionsBox = h("div", { class: "nblabel-options", role: "group" });
  const how = h("div", { class: "nblabel-steps-how" });
  // a note on the current step goes with its label (keys typed here are text)
  const noteInput = h("input", { class: "nblabel-step-note", type: "text" });
  ctx.body.append(list, noteInput, optionsBox, how);

  function pick(index) {
    const options = model.get("options");
    if (!options[index] || !steps.length) return;
    judged = [...judged, index];
    notes = [...notes, noteInput.value.trim() || null];
    noteInput.value = "";
    const stop = model.get("steps_state").stop_at_first;
    if (judged.length >= steps.length || (stop != null && options[index].value === stop)) {
      const labels = `[${judged.map((i) => options[i].value).join(",")}]`;
      const value = notes.some((n) => n) ? `{"labels": ${labels}, "notes": ${JSON.stringify(notes)}}` : labels;
      if (!ctx.labelIntent(value)) {
        // e.g. a reason is required: the step stays to label, its note back in the box
        noteInput.value = notes.at(-1) ?? "";
        judged = judged.slice(0, -1);
        notes = notes.slice(0, -1);
      }
    }
    ctx.paint();
  }

  return {
    hint: "Click here, then label each step with its key · ? lists the keys",
    content(box, sample) {
      const content = sample.content;
      if (!content || content.type !== "steps") return renderContent(box, content, model, ctx.signal);
      box.replaceChildren(
        content.question == null
          ? h("div", { class: "nblabel-text nblabel-missing", text: "(missing question)" })
          : h("div", { class: "nblabel-text", dir: "auto", text: content.question }),
      );
    },
    show(sample) {
      steps = sample.content?.type === "steps" ? sample.content.steps : [];
      judged = [];
      notes = [];
      noteInput.value = "";
    },
    sent() {
      judged = [];
      notes = [];
    },
    pick,
    onKey(event, key) {
      if (key !== "ArrowUp" || !judged.length) return false;
      judged = judged.slice(0, -1); // back one step, to label it again
      noteInput.value = notes.at(-1) ?? "";
      notes = notes.slice(0, -1);
      ctx.paint();
      return true;
    },
    paint(sample) {
      const options = model.get("options");
      const held = sample && sample.label != null ? JSON.parse(sample.label) : null;
      const current = judged.length;
      list.replaceChildren(
        ...steps.map((text, i) => {
          const given = i < judged.length ? options[judged[i]]?.label : null;
          const saved = given == null && Array.isArray(held) && i < held.length ? String(held[i]) : null;
          const row = h("li", { class: "nblabel-step", dir: "auto" }, h("span", { class: "nblabel-step-text", text }));
          if (given != null || saved != null) {
            row.append(h("span", { class: "nblabel-step-label", text: given ?? saved }));
            row.dataset.label = given ?? saved;
          }
          if (given != null && notes[i]) row.append(h("span", { class: "nblabel-step-noted", text: notes[i] }));
          if (i === current && sample) row.classList.add("nblabel-step-current");
          if (i > current && given == null && saved == null) row.classList.add("nblabel-step-later");
          return row;
        }),
      );
      list.hidden = !sample || !steps.length;
      optionsBox.replaceChildren(...optionButtons(options, () => false, pick));
      optionsBox.hidden = !sample;
      noteInput.hidden = !sample || current >= steps.length;
      noteInput.placeholder = `Note on step ${current + 1} (optional, saved with its label) · Esc returns to the keys`;
      const stop = model.get("steps_state").stop_at_first;
      const stopText = stop != null ? ` · ${JSON.parse(stop)} ends the item` : "";
      how.textContent = steps.length
        ? `Step ${Math.min(current + 1, steps.length)} of ${steps.length}: press its label${stopText} · ↑ goes back one step`
        : "This item has no steps: skip it";
      how.hidden = !sample;
    },
  };
}

export default widget(stepsView);
