// The annotators' shapes under review, for images.js (joined after edit.js, before images.js):
// each annotator's shapes drawn on the picture in a colour and dash of their own, the pairs
// matched by IoU (agreement.shapes) joined by a dotted line with their IoU, and a legend whose
// entries (or Shift + the annotator's number) take that annotator's shapes as the draft. Only
// a review of shapes sends votes; otherwise nothing here shows. Original pixels throughout.

const VOTE_STYLES = [
  { color: "#ffe119", dash: [] },
  { color: "#00e5ff", dash: [9, 5] },
  { color: "#ffffff", dash: [2, 4] },
  { color: "#bfef45", dash: [12, 4, 2, 4] },
  { color: "#fabed4", dash: [5, 5] },
];
const voteStyle = (k) => VOTE_STYLES[k % VOTE_STYLES.length];

// `v` gives the view's commit(list, select), boundsOf(shape) (a mask's extent too), unit(),
// drawPicture(), paint(), flash(text), and its root element `el` and abort `signal`
function reviewVotes(v) {
  let votes = []; // [{annotator, shapes}]
  let matches = []; // [{a, i, b, j, iou}]
  let threshold = 0.5;
  let shown = true;
  const legend = h("div", { class: "nblabel-votes", role: "group", "aria-label": "annotators" });
  legend.hidden = true;

  function swatch(k) {
    const c = h("canvas", { class: "nblabel-vote-swatch", width: 30, height: 10 });
    const g = c.getContext("2d");
    const { color, dash } = voteStyle(k);
    g.fillStyle = "#333";
    g.fillRect(0, 0, 30, 10);
    g.strokeStyle = color;
    g.lineWidth = 2.5;
    g.setLineDash(dash.map((d) => d * 0.8));
    g.beginPath();
    g.moveTo(2, 5);
    g.lineTo(28, 5);
    g.stroke();
    return c;
  }

  function renderLegend() {
    legend.hidden = !votes.length;
    const entries = votes.map(({ annotator, shapes }, k) => {
      const button = h("button", { class: "nblabel-vote", type: "button", title: `Take ${annotator}'s shapes (Shift+${k + 1})` });
      button.append(swatch(k), h("kbd", { text: `⇧${k + 1}` }), h("span", { text: annotator }), h("span", { class: "nblabel-vote-count", text: `${shapes.length} shape${shapes.length === 1 ? "" : "s"}` }));
      button.addEventListener("click", () => take(k));
      return button;
    });
    const note = h("span", {
      class: "nblabel-vote-note",
      text: `${matches.length} matched pair${matches.length === 1 ? "" : "s"} (IoU ≥ ${threshold}) joined by dotted lines · V ${shown ? "hides" : "shows"} them`,
    });
    legend.replaceChildren(h("span", { class: "nblabel-vote-title", text: "Annotators:" }), ...entries, note);
  }

  function take(k) {
    if (!votes[k]) return false;
    const shapes = structuredClone(votes[k].shapes);
    for (const s of shapes) delete s.prelabel;
    v.commit(shapes, -1);
    v.flash(`${votes[k].annotator}'s shapes taken: correct them, Enter saves`);
    return true;
  }

  function centre(s) {
    const b = v.boundsOf(s);
    return b ? [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2] : null;
  }

  function outline(g, s, u) {
    g.beginPath();
    if (s.type === "polygon") {
      s.points.forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y)));
      g.closePath();
    } else if (s.type === "point") {
      g.arc(s.x, s.y, 6 * u, 0, 2 * Math.PI);
    } else {
      const b = v.boundsOf(s); // a box, or a mask's extent
      if (b) g.rect(b[0], b[1], b[2] - b[0], b[3] - b[1]);
    }
  }

  // on the picture, under the draft; g maps original pixels, u is image pixels per screen pixel
  function draw(g, u) {
    if (!shown || !votes.length) return;
    g.save();
    votes.forEach(({ shapes }, k) => {
      const { color, dash } = voteStyle(k);
      for (const s of shapes) {
        outline(g, s, u);
        g.setLineDash([]);
        g.strokeStyle = "rgba(0, 0, 0, 0.7)"; // a dark halo: the colour shows on any picture
        g.lineWidth = 4.5 * u;
        g.stroke();
        g.setLineDash(dash.map((d) => d * u));
        g.strokeStyle = color;
        g.lineWidth = 2 * u;
        g.stroke();
      }
    });
    g.font = `${11 * u}px sans-serif`;
    for (const m of matches) {
      const p = centre(votes[m.a].shapes[m.i]);
      const q = centre(votes[m.b].shapes[m.j]);
      if (!p || !q) continue;
      g.setLineDash([2 * u, 3 * u]);
      g.strokeStyle = "#fff";
      g.lineWidth = 1.5 * u;
      g.beginPath();
      g.moveTo(...p);
      g.lineTo(...q);
      g.stroke();
      const text = `IoU ${m.iou.toFixed(2)}`;
      const [x, y] = [(p[0] + q[0]) / 2, (p[1] + q[1]) / 2];
      const w = g.measureText(text).width + 6 * u;
      g.fillStyle = "rgba(0, 0, 0, 0.75)";
      g.fillRect(x - w / 2, y - 8 * u, w, 15 * u);
      g.fillStyle = "#fff";
      g.fillText(text, x - w / 2 + 3 * u, y + 3 * u);
    }
    g.restore();
  }

  // Shift + a digit takes an annotator's shapes. Caught before the key map (which would read
  // some layouts' Shift+2 as the digit, a class) and by the key's place, not its character
  v.el.addEventListener(
    "keydown",
    (event) => {
      const typing = ["TEXTAREA", "INPUT"].includes(event.target.tagName) || event.target.isContentEditable;
      if (typing || !votes.length || !event.shiftKey || event.ctrlKey || event.metaKey || event.altKey) return;
      if (!/^Digit[1-9]$/.test(event.code)) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      if (!event.repeat) take(Number(event.code.slice(5)) - 1);
    },
    { capture: true, signal: v.signal },
  );

  return {
    legend,
    draw,
    get active() {
      return votes.length > 0;
    },
    // the image's votes (from its payload), or none
    set(content) {
      votes = content?.votes ?? [];
      matches = content?.matches ?? [];
      threshold = content?.iou ?? 0.5;
      renderLegend();
    },
    onKey(event, key) {
      if (!votes.length) return false;
      if (key === "v") {
        shown = !shown;
        renderLegend();
        v.drawPicture();
        return true;
      }
      return false;
    },
  };
}
