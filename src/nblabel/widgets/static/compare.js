// The compare view: a prompt on top, its candidate answers side by side (stacked on narrow
// screens) in the order the kernel shuffled for this item; key N picks the candidate shown
// N-th, and the label sent names that candidate (its column), never the side. With rank=True
// keys pressed in order rank the candidates; with criteria each candidate first gets a score
// per criterion (digit keys in turn, or clicks), then a key chooses and saves. Joined after base.js, whose functions it uses by name.
// Candidate HTML was rendered from Markdown and sanitised in Python (markdown-it-py, nh3):
// only that sanitised markup is inserted as HTML; the prompt and every name are text.

function compareView(ctx) {
  const { model } = ctx;
  let candidates = []; // [{name, html, missing}] of the item on screen, in screen order
  let ranking = []; // screen places pressed so far (rank=True)
  let choice = null; // JSON text of the chosen candidate or extra choice (criteria)
  let scores = {}; // {candidate name: {criterion: score}}

  const grid = h("div", { class: "nblabel-candidates" });
  const extras = h("div", { class: "nblabel-options nblabel-extra-choices", role: "group" });
  const how = h("div", { class: "nblabel-compare-how" });
  ctx.body.append(grid, extras, how);

  const state = () => model.get("compare_state");
  const placeText = (i) => `Response ${i + 1}`;

  // a saved label as the cards name candidates, by their place on screen for that item
  // (`names`: its candidates in screen order); a ranking best first; an extra choice as is
  function placesText(label, names) {
    const place = (value) => {
      const at = names.findIndex((name) => JSON.stringify(name) === JSON.stringify(value));
      return at < 0 ? labelText(value) : placeText(at);
    };
    return Array.isArray(label) ? label.map(place).join(" > ") : place(label);
  }

  function reset() {
    ranking = [];
    choice = null;
    scores = {};
  }

  function send(value) {
    const { criteria } = state();
    const text = criteria.length ? JSON.stringify({ choice: JSON.parse(value), scores }) : value;
    if (ctx.labelIntent(text)) reset();
    ctx.paint();
  }

  // the first score still to give, in screen order: {place, name, criterion}, or null
  function nextCell() {
    for (const [place, candidate] of candidates.entries()) {
      for (const criterion of state().criteria) {
        if (scores[candidate.name]?.[criterion] == null) return { place, name: candidate.name, criterion };
      }
    }
    return null;
  }

  function missingScore() {
    const cell = nextCell();
    return cell ? `${cell.criterion} for ${placeText(cell.place)}` : null;
  }

  function setScore(name, criterion, value) {
    scores = { ...scores, [name]: { ...(scores[name] ?? {}), [criterion]: value } };
    ctx.paint();
  }

  // a digit key while scores are missing scores the next cell: "a digit each"
  function scoreByKey(key) {
    const { scale } = state();
    const cell = nextCell();
    const value = Number(key);
    if (!cell || !/^[0-9]$/.test(key)) return false;
    if (!scale.includes(value)) {
      ctx.flash(`Scores go from ${scale[0]} to ${scale[scale.length - 1]}`);
      return true;
    }
    setScore(cell.name, cell.criterion, value);
    return true;
  }

  // a key bound to an option: with scores missing it is a score, else a choice
  function pick(index) {
    const { criteria } = state();
    const key = model.get("options")[index]?.key;
    if (criteria.length && nextCell() && key != null && scoreByKey(key)) return;
    choose(index);
  }

  // choose the candidate shown at `index` (or the extra choice): with criteria, saved at once
  // when every score is given, else kept until the scores are (then Enter saves)
  function choose(index) {
    const { n, rank, criteria } = state();
    const ready = () => !criteria.length || !nextCell();
    if (index >= n) {
      // an extra choice ("tie", "both bad"): its value is the option's JSON text
      const option = model.get("options")[index];
      if (!option) return;
      if (!ready()) {
        choice = option.value;
        return ctx.paint();
      }
      return send(option.value);
    }
    if (!candidates[index]) return;
    if (rank) {
      ranking = ranking.includes(index) ? ranking.filter((i) => i !== index) : [...ranking, index];
      if (ranking.length >= n - 1) {
        const order = [...ranking, ...candidates.map((_, i) => i).filter((i) => !ranking.includes(i))];
        const value = JSON.stringify(order.map((i) => candidates[i].name));
        if (ready()) return send(value);
        choice = value;
      }
      return ctx.paint();
    }
    const value = JSON.stringify(candidates[index].name);
    if (!ready()) {
      choice = value;
      return ctx.paint();
    }
    send(value);
  }

  function confirm() {
    const { rank, criteria } = state();
    if (!criteria.length) {
      return ctx.flash(rank ? "Rank the candidates: press their keys, best first" : "Press a candidate's key to choose it");
    }
    if (choice == null) {
      return ctx.flash(rank ? "Rank the candidates first: press their keys, best first" : "Choose a candidate (or an extra choice) first");
    }
    const missing = missingScore();
    if (missing) return ctx.flash(`Give every score first: ${missing} is missing`, 3000);
    send(choice);
  }

  function candidateCard(candidate, index, held) {
    const { rank, criteria, scale } = state();
    const key = Object.entries(model.get("keymap")).find(([, bound]) => bound === index)?.[0];
    const head = h("button", { class: "nblabel-candidate-head", type: "button", title: "choose this answer" });
    if (key != null) head.append(h("kbd", { text: keyName(key) }));
    head.append(h("span", { class: "nblabel-candidate-place", text: placeText(index) }));
    const place = ranking.indexOf(index);
    const chosen = choice != null && (rank ? JSON.parse(choice)[0] === candidate.name : choice === JSON.stringify(candidate.name));
    const heldRank = Array.isArray(held) ? held.indexOf(candidate.name) : -1;
    if (rank && (place >= 0 || heldRank >= 0 || choice != null)) {
      const shown = choice != null ? JSON.parse(choice).indexOf(candidate.name) : place >= 0 ? place : heldRank;
      head.append(h("span", { class: "nblabel-rank-badge", text: `#${shown + 1}` }));
    }
    if (!rank && held === candidate.name) head.append(h("span", { class: "nblabel-saved-badge", text: "saved" }));
    head.addEventListener("click", () => choose(index));
    const body = h("div", { class: "nblabel-md", dir: "auto" });
    if (candidate.missing) body.append(h("span", { class: "nblabel-missing", text: "(missing answer)" }));
    else body.innerHTML = candidate.html; // sanitised in Python (markdown-it-py, then nh3)
    const card = h("div", { class: "nblabel-candidate" }, head, body);
    if (chosen || place >= 0) card.classList.add("nblabel-selected");
    if (held === candidate.name || heldRank === 0) card.classList.add("nblabel-held-choice");
    const cell = nextCell();
    for (const criterion of criteria) {
      const row = h("div", { class: "nblabel-score-row" }, h("span", { class: "nblabel-score-name", text: criterion }));
      if (cell && cell.name === candidate.name && cell.criterion === criterion) row.classList.add("nblabel-score-current");
      for (const value of scale) {
        const on = scores[candidate.name]?.[criterion] === value;
        const button = h("button", { class: "nblabel-score", type: "button", text: String(value), "aria-pressed": String(on) });
        if (on) button.classList.add("nblabel-selected");
        button.addEventListener("click", () => setScore(candidate.name, criterion, value));
        row.append(button);
      }
      card.append(row);
    }
    return card;
  }

  return {
    hint: "Click here, then press a response's key · ? lists the keys",
    content(box, sample) {
      const content = sample.content;
      if (!content || content.type !== "compare") return renderContent(box, content, model, ctx.signal);
      box.replaceChildren(
        content.prompt == null
          ? h("div", { class: "nblabel-text nblabel-missing", text: "(missing prompt)" })
          : h("div", { class: "nblabel-text nblabel-prompt", dir: "auto", text: content.prompt }),
      );
    },
    show(sample) {
      reset();
      candidates = sample.content?.type === "compare" ? sample.content.candidates : [];
    },
    pick,
    confirm,
    heldText: (label) => placesText(label, candidates.map((c) => c.name)),
    labelText: (label, entry) => (entry?.shown ? placesText(label, entry.shown) : labelText(label)),
    confirmShown: () => state().criteria.length > 0,
    onKey(event, key) {
      // a digit no option has (such as 5 with two candidates) may still be a score
      if (state().criteria.length && scoreByKey(key)) return true;
      // Esc clears a ranking under way (else it leaves the widget, as everywhere)
      if (key !== "Escape" || (!ranking.length && choice == null && !Object.keys(scores).length)) return false;
      reset();
      ctx.paint();
      return true;
    },
    paint(sample) {
      const held = sample && sample.label != null ? JSON.parse(sample.label) : null;
      const { n } = state();
      grid.replaceChildren(...candidates.map((c, i) => candidateCard(c, i, held)));
      grid.hidden = !sample || !candidates.length;
      const options = model.get("options");
      const extraOptions = options.slice(n);
      const isSelected = (index, option) => (held != null && JSON.stringify(held) === option.value) || choice === option.value;
      extras.replaceChildren(
        ...optionButtons(extraOptions, (i, option) => isSelected(i, option), (i) => choose(n + i)),
      );
      extras.hidden = !extraOptions.length || !sample;
      // what the keys do here, in a line: the sides are shuffled, so say it once
      const { rank, criteria, scale } = state();
      const cell = nextCell();
      if (criteria.length && cell) {
        how.textContent =
          `Score ${placeText(cell.place)} on ${cell.criterion}: press ${scale[0]}–${scale[scale.length - 1]}` +
          " (or click the scores) · Esc starts over";
        how.hidden = !sample || !candidates.length;
        return;
      }
      const parts = [
        rank
          ? ranking.length
            ? `Ranked ${ranking.length} of ${n}: press the next best (again: take it back) · Esc starts over`
            : "Press the responses' keys best first; the last one is placed for you"
          : "Press a response's key to choose it",
      ];
      if (criteria.length) parts.push(choice != null ? "Enter saves" : "then it is saved");
      how.textContent = parts.join(" · ");
      how.hidden = !sample || !candidates.length;
    },
    sent() {
      reset();
    },
  };
}

export default widget(compareView);
