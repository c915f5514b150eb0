// The text views: classify, rate and review pick options, caption types free text (review
// can type a final label too). Joined after base.js, whose functions it uses by name.

// a review item: the sample, each annotator's label and reason, and the majority
CONTENT_TYPES.review = function renderReview(box, content, model, signal) {
  if (content.sample) {
    const inner = h("div", { class: "nblabel-review-sample" });
    renderContent(inner, content.sample, model, signal);
    box.append(inner);
  }
  const votes = h("table", { class: "nblabel-votes" });
  votes.append(h("tr", {}, h("th", { text: "annotator" }), h("th", { text: "label" }), h("th", { text: "why" })));
  for (const vote of content.votes) {
    votes.append(
      h(
        "tr",
        {},
        h("td", { text: vote.annotator }),
        h("td", { class: "nblabel-vote-label", dir: "auto", text: vote.label }),
        h("td", { dir: "auto", text: vote.rationale }),
      ),
    );
  }
  box.append(votes);
  if (content.suggestion != null) {
    box.append(h("div", { class: "nblabel-suggestion", text: `Majority: ${content.suggestion}` }));
  }
};

function textView(ctx) {
  const { model } = ctx;
  const kind = model.get("kind");
  const typed = kind === "caption" || kind === "review";
  let localSelection = null; // multi-label toggles not yet confirmed
  let newLabelAsked = null; // review: the typed label not among the options, Enter once
  const drafts = new Map(); // caption: item -> text sent from this view, back in the box after an undo

  const optionsBox = h("div", { class: "nblabel-options", role: "group" });
  // suggest=: the model's label for the item, marked; Enter accepts it (waiting for it when
  // it is still being computed: the kernel pushes it into the sample when it is ready)
  const suggestionLine = h("div", { class: "nblabel-suggestion-line", "aria-live": "polite" });
  let acceptWhenReady = null; // the item whose suggestion Enter asked for before it was ready
  const textInput = h("textarea", {
    class: "nblabel-input",
    rows: "3",
    placeholder: "Type here · Enter saves · Shift+Enter for a new line",
    "data-enter": "confirm",
  });
  if (kind === "caption") {
    ctx.body.append(textInput);
  } else {
    ctx.body.append(suggestionLine, optionsBox);
    if (kind === "review") {
      textInput.rows = 1;
      textInput.placeholder = "…or type the final label · Enter saves";
      ctx.body.append(textInput);
    }
  }
  model.on("change:selection", () => {
    localSelection = null;
    ctx.paint();
  });

  function pick(index) {
    if (model.get("multi")) {
      const chosen = new Set(localSelection ?? model.get("selection"));
      chosen.has(index) ? chosen.delete(index) : chosen.add(index);
      localSelection = [...chosen].sort((a, b) => a - b);
      ctx.paint();
      return;
    }
    const option = model.get("options")[index];
    if (option) ctx.labelIntent(option.value);
  }

  function acceptSuggestion(sample) {
    const suggestion = sample?.suggestion;
    if (!suggestion) return ctx.flash("Pick an option with its key");
    if (suggestion.value != null) {
      acceptWhenReady = null;
      return ctx.labelIntent(suggestion.value);
    }
    if (suggestion.error) return ctx.flash(`No suggestion to accept (${suggestion.error}): pick with a key`, 4000);
    acceptWhenReady = sample.item; // still computing: accepted as soon as it arrives
    ctx.paint();
  }

  function confirm() {
    if (!typed && !model.get("multi") && model.get("suggest_model")) return acceptSuggestion(ctx.displayed());
    if (typed) {
      const text = textInput.value;
      if (!text.trim()) return ctx.flash(kind === "caption" ? "Type a caption first" : "Pick or type a label first");
      if (kind === "review") {
        // a typed option is that option (a number stays a number); anything else is a new
        // label, saved only when Enter is pressed again for the same text
        const option = model.get("options").find((o) => o.label === text.trim());
        if (option) return ctx.labelIntent(option.value);
        if (newLabelAsked !== text) {
          newLabelAsked = text;
          return ctx.flash(`"${text}" is not an option: press Enter again to save it as a new label`, 8000);
        }
      }
      newLabelAsked = null;
      ctx.labelIntent(JSON.stringify(text));
    } else if (model.get("multi")) {
      // the chosen options' values, as one JSON list (each value is JSON text already)
      const options = model.get("options");
      const chosen = (localSelection ?? model.get("selection")).filter((i) => options[i]);
      if (!chosen.length && !model.get("allow_empty")) {
        const skip = ctx.keyHint("skip");
        return ctx.flash(`Select at least one, or ${skip ? `press ${skip}` : "click Skip"} to skip`);
      }
      ctx.labelIntent(`[${chosen.map((i) => options[i].value).join(",")}]`);
    }
  }

  const view = {
    pick,
    confirm,
    confirmShown: () => model.get("multi") || typed,
    show(sample) {
      newLabelAsked = null;
      acceptWhenReady = null;
      if (kind === "caption") {
        // the saved caption, else the text this view sent before (an undo brings it back)
        const held = sample.label != null ? JSON.parse(sample.label) : null;
        textInput.value = typeof held === "string" ? held : (drafts.get(sample.item) ?? "");
      }
    },
    sent(sample) {
      if (kind === "caption") drafts.set(sample.item, textInput.value);
      textInput.value = "";
      localSelection = null;
    },
    paint(sample) {
      if (kind === "caption") return;
      const suggestion = sample?.suggestion;
      if (suggestion && acceptWhenReady === sample.item && suggestion.value != null) {
        acceptWhenReady = null;
        // Enter was pressed while it was computed: accept it once this paint is over (what
        // the accept shows, such as a reason still missing, must not be painted over)
        setTimeout(() => {
          if (ctx.displayed()?.item === sample.item) ctx.labelIntent(suggestion.value);
        }, 0);
      }
      if (suggestion && acceptWhenReady === sample.item && suggestion.error) acceptWhenReady = null;
      suggestionLine.hidden = !suggestion;
      if (suggestion) {
        const enter = ctx.keyHint("confirm");
        const accept = enter && !model.get("multi") ? ` — ${enter} accepts` : "";
        const score = suggestion.score != null ? ` · ${Math.round(suggestion.score * 100)}%` : "";
        suggestionLine.dataset.state = suggestion.value != null ? "ready" : suggestion.error ? "error" : "pending";
        suggestionLine.textContent =
          suggestion.value != null
            ? `Suggested by ${suggestion.model}: ${suggestion.label}${score}${accept}`
            : suggestion.error
              ? `No suggestion from ${suggestion.model}: ${suggestion.error}`
              : acceptWhenReady === sample.item
                ? `Waiting for ${suggestion.model}'s suggestion… (it is saved as soon as it arrives)`
                : `${suggestion.model} is computing a suggestion…`;
      }
      const chosen = new Set(localSelection ?? model.get("selection"));
      const held = sample ? sample.label : null; // JSON text, like option.value
      const multi = model.get("multi");
      const isSelected = (index, option) => (multi ? chosen.has(index) : held != null && held === option.value);
      const buttons = optionButtons(model.get("options"), isSelected, pick);
      // each option's value as the kernel wrote it (JSON text), compared as text
      const suggested = new Set(suggestion?.values ?? []);
      const isSuggested = (option) => suggested.has(option.value);
      for (const [index, option] of model.get("options").entries()) {
        if (isSuggested(option)) buttons[index].classList.add("nblabel-suggested");
      }
      optionsBox.replaceChildren(...buttons);
    },
  };
  if (kind === "caption") {
    view.hint = "Click here to type the caption · ? lists the keys";
    // a letter pressed on the widget itself starts the caption in its box
    view.onKey = (event) => {
      if (event.key.length !== 1 || event.key === " ") return false;
      textInput.focus();
      return true;
    };
    view.hintTarget = textInput;
  }
  return view;
}

export default widget(textView);
