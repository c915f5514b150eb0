// The review_steps view: a question and its numbered steps; the current step is marked, a key
// labels it and the mark moves on; after the last step (or the first stop_at_first label) the
// list of step labels is sent as the item's label. ArrowUp goes back one step to relabel it.
// Joined after base.js, whose functions it uses by name. Steps are text (textContent).

function stepsView(ctx) {
  const { model } = ctx;
  let steps = []; // the steps of the item on screen
  let judged = []; // option positions given so far, one per step

  const list = h("ol", { class: "nblabel-step-list" });
  const optionsBox = h("div", { class: "nblabel-options", role: "group" });
  const how = h("div", { class: "nblabel-steps-how" });
  ctx.body.append(list, optionsBox, how);

  function pick(index) {
    const options = model.get("options");
    if (!options[index] || !steps.length) return;
    judged = [...judged, index];
    const stop = model.get("steps_state").stop_at_first;
    if (judged.length >= steps.length || (stop != null && options[index].value === stop)) {
      const value = `[${judged.map((i) => options[i].value).join(",")}]`;
      if (!ctx.labelIntent(value)) judged = judged.slice(0, -1); // e.g. a reason is required
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
    },
    sent() {
      judged = [];
    },
    pick,
    onKey(event, key) {
      if (key !== "ArrowUp" || !judged.length) return false;
      judged = judged.slice(0, -1); // back one step, to label it again
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
          if (i === current && sample) row.classList.add("nblabel-step-current");
          if (i > current && given == null && saved == null) row.classList.add("nblabel-step-later");
          return row;
        }),
      );
      list.hidden = !sample || !steps.length;
      optionsBox.replaceChildren(...optionButtons(options, () => false, pick));
      optionsBox.hidden = !sample;
      const stop = model.get("steps_state").stop_at_first;
      const stopText = stop != null ? ` · ${JSON.parse(stop)} ends the item` : "";
      how.textContent = steps.length
        ? `Step ${Math.min(current + 1, steps.length)} of ${steps.length}: press its label${stopText} · ↑ goes back one step`
        : "This item has no steps: skip it";
      how.hidden = !sample;
    },
  };
}

export default { render: (args) => mount(args, stepsView) };
