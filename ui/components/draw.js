/* Draw mode of the Train view (needs paint.js and train_view.js): click to add a point of the chosen class (or of
 * the chosen value; or, for a curve, a point whose height is its target), drag to paint, the eraser removes. The drawing stays in the
 * browser until "Train on these points" sends it to Python (a `drawn` trigger: {kind, x, y, c} in the plane's
 * units), which makes it the session's dataset (micrograd/studio/drawn.py). */
(function () {
  const mg = globalThis.mgLive;
  const { el } = mg.paint;
  const MAX = 200; // micrograd.studio.drawn.MAX_POINTS: what a link carries
  const GAP = 14; // px between the points a drag paints
  const ERASE = 12; // eraser radius (px)
  const D = (mg.draw = {});

  D.active = (v) => !!(v.draw && v.draw.on);

  function button(parent, label, id, cls = "mgl-btn") {
    const b = el("button", cls, parent, { type: "button", "data-testid": id });
    b.textContent = label;
    return b;
  }

  D.attach = function (v) {
    const d = (v.draw = { on: false, kind: "classes", cls: 0, eraser: false, pts: [], dirty: false, down: false });
    const bar = v.tools;
    d.trace = button(bar, "Trace", "mgl-mode-trace", "mgl-btn mgl-on");
    d.drawBtn = button(bar, "Draw", "mgl-mode-draw");
    d.panel = el("span", "mgl-draw-panel", bar);
    d.panel.style.display = "none";
    d.kindSel = el("select", "mgl-select", d.panel, { "data-testid": "mgl-draw-kind" });
    d.kindSel.innerHTML =
      '<option value="classes">classes</option><option value="values">values (x1, x2 → value)</option>' +
      '<option value="curve">curve (x → y)</option>';
    d.swatches = el("span", "mgl-swatches", d.panel);
    d.valueBox = el("span", "mgl-value", d.panel);
    el("span", "", d.valueBox).textContent = "value";
    d.value = el("input", "", d.valueBox, { type: "range", min: -1, max: 1, step: 0.1, value: 1, "data-testid": "mgl-draw-value" });
    d.valueText = el("span", "mgl-count", d.valueBox);
    d.value.oninput = () => (d.valueText.textContent = Number(d.value.value).toFixed(1));
    d.value.oninput();
    d.eraser = button(d.panel, "Eraser", "mgl-draw-eraser");
    d.clear = button(d.panel, "Clear", "mgl-draw-clear");
    d.fromData = button(d.panel, "From data", "mgl-draw-from-data");
    d.apply = button(d.panel, "Train on these points", "mgl-draw-apply", "mgl-btn mgl-primary");
    d.count = el("span", "mgl-count", d.panel);
    d.kept = el("span", "mgl-count", bar, { "data-testid": "mgl-draw-kept" }); // said when a run ends Draw mode
    d.trace.onclick = () => mode(v, false);
    d.drawBtn.onclick = () => mode(v, true);
    d.kindSel.onchange = () => {
      d.kind = d.kindSel.value;
      d.pts = [];
      edited(v);
    };
    d.eraser.onclick = () => {
      d.eraser_on = !d.eraser_on;
      d.eraser.classList.toggle("mgl-on", d.eraser_on);
    };
    d.clear.onclick = () => {
      d.pts = [];
      edited(v);
    };
    d.fromData.onclick = () => {
      fromStatic(v);
      d.dirty = false;
      edited(v, false);
    };
    d.apply.onclick = () => {
      const pts = d.pts;
      // micrograd.studio.drawn.problem's rules, checked here so an unusable drawing is never sent (and lost)
      const classes = new Set(pts.map((p) => p[2])).size;
      const why = pts.length < 4 ? `Draw at least 4 points (${pts.length} so far).` : d.kind === "classes" && classes < 2 ? "Draw points of at least two classes." : "";
      if (why) return (d.count.textContent = why);
      v.send({ kind: d.kind, x: pts.map((p) => p[0]), y: pts.map((p) => p[1]), c: pts.map((p) => p[2]) });
      d.dirty = false;
      d.count.textContent = `${pts.length} points sent: training data updating…`;
    };
    const c = v.canvas;
    c.addEventListener("pointerdown", (ev) => {
      if (!d.on) return;
      d.down = true;
      c.setPointerCapture(ev.pointerId);
      d.last = null;
      stroke(v, ev);
    });
    c.addEventListener("pointermove", (ev) => d.on && d.down && stroke(v, ev));
    const up = () => (d.down = false);
    c.addEventListener("pointerup", up);
    c.addEventListener("pointercancel", up);
    c.mglDraft = () => d.pts.map((p) => [...mg.trainView.toPx(v, p[0], p[1]), p[2]]); // for tests: drawn points in px
  };

  /* Start pressed in Draw mode: the run trains the data it had, so the view shows that data again (QA: the drawing
   * stayed on screen over another dataset's regions, with that dataset's accuracy); a drawing not trained on is kept
   * for Draw to show again. */
  D.leave = function (v) {
    if (!D.active(v)) return;
    mode(v, false);
    // no word of the run here: the line stays while the drawing waits (the run may pause or end meanwhile)
    if (v.draw.dirty) v.draw.kept.textContent = "Your drawing (not trained on) is kept: Draw shows it again.";
  };

  function mode(v, on) {
    const d = v.draw;
    d.on = on;
    if (on) d.kept.textContent = "";
    d.trace.classList.toggle("mgl-on", !on);
    d.drawBtn.classList.toggle("mgl-on", on);
    d.panel.style.display = on ? "" : "none";
    v.canvas.dataset.mode = on ? "draw" : "trace";
    v.canvas.style.cursor = on ? "cell" : "";
    if (on && !d.dirty) fromStatic(v);
    edited(v, d.dirty);
  }

  /* The current data's points as the drawing (a heat-map regression cannot be drawn: it starts empty). */
  function fromStatic(v) {
    const d = v.draw, s = v.static;
    if (!s) return;
    const p = s.points, pts = [];
    const index = s.class_names.map((n, k) => (/^\d$/.test(n) ? +n : k)); // "2" stays class 2 when redrawn
    if (s.mode === "curve") {
      d.kind = "curve";
      for (let k = 0; k < p.x.length && pts.length < MAX; k++) pts.push([p.x[k], p.target[k], 0]);
    } else if (s.task !== "regression") {
      d.kind = "classes";
      for (let k = 0; k < p.x.length && pts.length < MAX; k++) {
        const c = s.task === "binary" ? (p.label[k] > 0 ? 1 : 0) : p.label[k];
        pts.push([p.x[k], p.y[k], index[c] ?? c]);
      }
    } else {
      d.kind = "values"; // a heat-map regression: each point with its target
      for (let k = 0; k < p.x.length && pts.length < MAX; k++) pts.push([p.x[k], p.y[k], p.target[k]]);
    }
    d.kindSel.value = d.kind;
    d.pts = pts;
    d.names = {};
    s.class_names.forEach((n, k) => (d.names[index[k]] = n));
    d.k = Math.max(2, ...pts.map((q) => q[2] + 1), s.task === "multiclass" ? s.class_names.length : 2);
  }

  /* A new static part (new data or a re-mount): an unsent drawing stays, otherwise it follows the data. */
  D.reset = function (v) {
    const d = v.draw;
    if (!d || d.dirty) return;
    fromStatic(v);
    if (d.on) edited(v, false);
  };

  function swatches(v) {
    const d = v.draw, pal = v.static.palette.draw;
    d.swatches.innerHTML = "";
    d.swatches.style.display = d.kind === "classes" ? "" : "none";
    d.valueBox.style.display = d.kind === "values" ? "" : "none";
    for (let c = 0; c < d.k; c++) {
      const b = button(d.swatches, (d.names && d.names[c]) || String(c), `mgl-draw-class-${c}`, "mgl-btn mgl-class");
      b.style.borderColor = pal[c];
      b.style.background = c === d.cls ? pal[c] : "#fff";
      b.style.color = c === d.cls ? "#fff" : "#262730";
      b.onclick = () => {
        d.cls = c;
        d.eraser_on = false;
        d.eraser.classList.remove("mgl-on");
        swatches(v);
      };
    }
    if (d.k < pal.length) {
      const add = button(d.swatches, "+ class", "mgl-draw-add-class");
      add.onclick = () => {
        d.cls = d.k++;
        swatches(v);
      };
    }
  }

  function edited(v, dirty = true) {
    const d = v.draw;
    if (!v.static) return;
    d.dirty = d.dirty || dirty;
    swatches(v);
    d.count.textContent = `${d.pts.length} / ${MAX} points` + (d.dirty ? " (not trained on yet)" : "");
    v.canvas.dataset.drawn = d.pts.length;
    mg.trainView.redraw(v);
  }

  function stroke(v, ev) {
    const d = v.draw, T = mg.trainView;
    const r = v.canvas.getBoundingClientRect();
    const px = ((ev.clientX - r.left) * T.B) / r.width, py = ((ev.clientY - r.top) * T.B) / r.height;
    if (px < T.PAD.l || px > T.B - T.PAD.r || py < T.PAD.t || py > T.B - T.PAD.b) return; // outside the plot
    if (d.eraser_on) {
      const before = d.pts.length;
      d.pts = d.pts.filter((p) => {
        const [x, y] = T.toPx(v, p[0], p[1]);
        return (x - px) ** 2 + (y - py) ** 2 > ERASE * ERASE;
      });
      if (d.pts.length !== before) edited(v);
      return;
    }
    if (d.last && (d.last[0] - px) ** 2 + (d.last[1] - py) ** 2 < GAP * GAP) return;
    if (d.pts.length >= MAX) return (d.count.textContent = `${MAX} points: the most a drawing holds (erase some)`);
    d.last = [px, py];
    const [x, y] = T.fromPx(v, px, py);
    d.pts.push([x, y, d.kind === "classes" ? d.cls : d.kind === "values" ? Number(d.value.value) : 0]);
    edited(v);
  }

  /* A drawn value's colour: -1 orange ... 0 light grey ... 1 blue (values beyond ±1 take the end colours). */
  function valueColour(v, x) {
    const i = (Math.round(127 * Math.max(-1, Math.min(1, x))) + 128) * 4;
    return `rgb(${v.lut[i]},${v.lut[i + 1]},${v.lut[i + 2]})`;
  }

  /* The drawing over the current picture (instead of the data's points). */
  D.paintDraft = function (v, ctx) {
    const d = v.draw, pal = v.static.palette.draw;
    for (const p of d.pts) {
      const [x, y] = mg.trainView.toPx(v, p[0], p[1]);
      ctx.beginPath();
      ctx.arc(x, y, 5, 0, 2 * Math.PI);
      ctx.fillStyle = d.kind === "curve" ? "#444444" : d.kind === "values" ? valueColour(v, p[2]) : pal[p[2]];
      ctx.fill();
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = "#ffffff";
      ctx.stroke();
    }
  };
})();
