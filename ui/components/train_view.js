/* The Train page's live view: decision boundary, network view, loss and accuracy curves (needs player.js).
 * Everything drawn comes from micrograd/views/live.py payloads: score grids, activations and weights are computed
 * in Python; this file only paints them. The element mounts once; each payload only feeds the player. */
(function () {
  const mg = globalThis.mgLive;
  const B = 440; // boundary canvas side (px)
  const PAD = { l: 44, r: 8, t: 8, b: 36 };
  const PW = B - PAD.l - PAD.r, PH = B - PAD.t - PAD.b; // the plot's width and height inside the axes
  const CURVE_W = 440, CURVE_H = 170, { fmt, esc, el, paint, text } = mg.paint;

  function build(root) {
    const v = { root };
    v.wrap = el("div", "mgl-train", root);
    v.head = el("div", "mgl-head", v.wrap);
    mg.runButtons.build(v, v.wrap); // a narrow screen's Start and Pause (the sidebar is folded away there)
    v.metrics = el("div", "mgl-metrics", v.wrap);
    v.mv = {};
    for (const label of ["Step", "Train loss", "Test loss", "Train accuracy", "Test accuracy", "Steps / s"]) {
      const box = el("div", "mgl-metric", v.metrics, { "data-label": label });
      el("div", "mgl-mlabel", box).textContent = label;
      v.mv[label] = el("div", "mgl-mvalue", box);
      v.mv[label].textContent = "—";
    }
    const top = el("div", "mgl-row", v.wrap);
    const left = el("div", "mgl-cell", top);
    v.title = el("div", "mgl-title", left);
    v.title.textContent = "Decision boundary";
    v.tools = el("div", "mgl-tools", left); // Trace / Draw (draw.js)
    v.canvas = el("canvas", "mgl-boundary", left, { width: B, height: B, "data-testid": "mgl-boundary" });
    v.legend = el("div", "mgl-legend", left);
    v.loss = el("canvas", "mgl-curve", left, { width: CURVE_W, height: CURVE_H });
    v.acc = el("canvas", "mgl-curve", left, { width: CURVE_W, height: CURVE_H });
    const right = el("div", "mgl-cell", top);
    el("div", "mgl-title", right).textContent = "Network";
    v.net = el("div", "mgl-net", right);
    v.netNote = el("div", "mgl-legend", right);
    v.tip = el("div", "mgl-tip", v.wrap);
    v.grid = document.createElement("canvas");
    v.layer = document.createElement("canvas"); // the static part: axes and points, drawn once
    v.axes = document.createElement("canvas"); // the axes alone (Draw mode draws its own points)
    v.layer.width = v.layer.height = v.axes.width = v.axes.height = B;
    v.curves = { step: [], train_loss: [], test_loss: [], train_metric: [], test_metric: [], lr: [] };
    v.player = new mg.Player((f, now) => show(v, f, now));
    return v;
  }

  function toPx(v, x, y) {
    const [x0, x1] = v.static.x_range, [y0, y1] = v.static.y_range;
    return [PAD.l + ((x - x0) / (x1 - x0)) * PW, PAD.t + PH - ((y - y0) / (y1 - y0)) * PH];
  }

  /* Plot pixels -> data coordinates (Draw mode). */
  function fromPx(v, px, py) {
    const [x0, x1] = v.static.x_range, [y0, y1] = v.static.y_range;
    return [x0 + ((px - PAD.l) / PW) * (x1 - x0), y0 + ((PAD.t + PH - py) / PH) * (y1 - y0)];
  }

  /* A point's colour: its class (binary ±1, multi-class index) or its target on the value scale (regression). */
  function pointColour(v, k) {
    const s = v.static, p = s.points;
    if (s.task === "regression") {
      if (s.mode === "curve") return "#444444";
      const i = (p.tq[k] + 128) * 4;
      return `rgb(${v.lut[i]},${v.lut[i + 1]},${v.lut[i + 2]})`;
    }
    if (s.task === "multiclass") return s.palette.classes[p.label[k]] || s.palette.nan;
    return p.label[k] > 0 ? s.palette.positive : s.palette.negative;
  }

  function setStatic(v, s) {
    v.static = s;
    v.lut = mg.paint.colours(s.palette);
    v.clut = s.task === "multiclass" ? mg.paint.classColours(s.palette) : v.lut;
    v.grid.width = v.grid.height = s.grid_n;
    const ctx = v.axes.getContext("2d");
    ctx.clearRect(0, 0, B, B);
    ctx.fillStyle = "#555";
    ctx.strokeStyle = "#999";
    ctx.font = "11px sans-serif";
    ctx.strokeRect(PAD.l - 0.5, PAD.t - 0.5, PW + 1, PH + 1);
    for (let k = 0; k <= 4; k++) {
      const x = s.x_range[0] + ((s.x_range[1] - s.x_range[0]) * k) / 4;
      const y = s.y_range[0] + ((s.y_range[1] - s.y_range[0]) * k) / 4;
      const [px] = toPx(v, x, s.y_range[0]);
      const [, py] = toPx(v, s.x_range[0], y);
      ctx.textAlign = "center";
      ctx.fillText(mg.paint.fixed(x, 1), px, B - PAD.b + 14);
      ctx.textAlign = "right";
      ctx.fillText(mg.paint.fixed(y, 1), PAD.l - 4, py + 4);
    }
    ctx.textAlign = "center";
    ctx.fillText(s.x_name, PAD.l + PW / 2, B - 6);
    ctx.save();
    ctx.translate(11, PAD.t + PH / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(s.y_name, 0, 0);
    ctx.restore();
    const p = s.points;
    v.px = p.x.map((x, k) => toPx(v, x, p.y[k]));
    const lctx = v.layer.getContext("2d");
    lctx.clearRect(0, 0, B, B);
    lctx.drawImage(v.axes, 0, 0);
    // for tests and benchmarks: where the plot sits on the canvas, and where point k is drawn
    v.canvas.dataset.plot = JSON.stringify({ left: PAD.l, top: PAD.t, width: PW, height: PH, x_range: s.x_range, y_range: s.y_range });
    v.canvas.mglPoint = (k) => v.px[k];
    v.canvas.mglView = v;
    v.canvas.dataset.task = s.task;
    for (let k = 0; k < p.x.length; k++) {
      const [x, y] = v.px[k];
      const test = k >= p.n_train;
      lctx.beginPath();
      lctx.arc(x, y, test ? 4.5 : 4, 0, 2 * Math.PI);
      lctx.fillStyle = pointColour(v, k);
      lctx.fill();
      lctx.lineWidth = test ? 1.6 : 1.2;
      lctx.strokeStyle = test ? s.palette.test : "#ffffff";
      lctx.stroke();
    }
    legend(v, s);
    v.title.textContent = s.task === "regression" ? (s.mode === "curve" ? "Fitted curve" : "Prediction") : s.task === "multiclass" ? "Class regions" : "Decision boundary";
    const reg = s.task === "regression";
    for (const which of ["Train", "Test"]) {
      const box = v.metrics.children[which === "Train" ? 3 : 4];
      const label = `${which} ${reg ? "R²" : "accuracy"}`;
      box.dataset.label = label;
      box.firstChild.textContent = label;
    }
    mg.trainNet.build(v, s);
    if (mg.draw) mg.draw.reset(v);
  }

  function legend(v, s) {
    const key = (c, words) => `<span class="mgl-key"><span class="mgl-sw" style="background:${c}"></span> ${words}</span>`; // one line
    const tail = "dots: training points" + (s.points.x.length > s.points.n_train ? ", black rings: test points" : ""); // drawn data has no test set
    const hint = " Hover a point for its numbers; click a training point to trace it on the Graph page (or Draw your own points).";
    if (s.task === "multiclass") {
      const names = s.class_names.map((n, k) => key(s.palette.classes[k], esc(n))).join(" ");
      v.legend.innerHTML = `Regions: the winning class, lighter where the network is less sure. ${names} · ${tail}, ✕ misclassified.${hint}`;
    } else if (s.task === "regression") {
      const [lo, hi] = s.value_range, t = esc(s.class_names[0] || "target");
      v.legend.innerHTML =
        s.mode === "curve"
          ? `Line: the network's prediction of ${t} (in the data's units); ${tail}.${hint}`
          : `Background: the predicted ${t}, ${key(s.palette.negative, fmt(lo, 2))} … ${key(s.palette.positive, fmt(hi, 2))}; dots: the targets on the same scale (${tail}).${hint}`;
    } else
      v.legend.innerHTML =
        `${key(s.palette.positive, "score &gt; 0")} · class +1 (${esc(s.class_names[1])}) ` +
        `${key(s.palette.negative, "score &lt; 0")} · class −1 (${esc(s.class_names[0])}) · ${tail}, ✕ misclassified.${hint}`;
  }

  function show(v, f, now = performance.now()) {
    const s = v.static;
    if (!s) return;
    if (f.grid) paint(v.grid, f.grid, s.grid_n, v.clut);
    const ctx = v.canvas.getContext("2d");
    const cw = PW / (s.grid_n - 1), ch = PH / (s.grid_n - 1);
    ctx.save();
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, B, B); // one frame's picture replaces the last in full: never a blank frame
    ctx.beginPath();
    ctx.rect(PAD.l, PAD.t, PW, PH);
    ctx.clip();
    ctx.imageSmoothingEnabled = true;
    // cell centres sit on the grid's points (numpy.linspace over the extents, ends included)
    if (f.grid) ctx.drawImage(v.grid, PAD.l - cw / 2, PAD.t - ch / 2, PW + cw, PH + ch);
    ctx.restore();
    const drawing = mg.draw && mg.draw.active(v);
    ctx.drawImage(drawing ? v.axes : v.layer, 0, 0);
    if (f.curve) curve(v, ctx, f.curve);
    v.frame = f;
    v.scores = f.scores || f.pred;
    if (drawing) mg.draw.paintDraft(v, ctx);
    else wrong(v, ctx, f);
    const conf = f.conf || (f.net && f.net.conf);
    if (conf) (v.conf = conf), (v.confStep = f.step);
    if (f.net) mg.trainNet.draw(v, f.net, f.step);
    v.shown = f.step;
    v.canvas.dataset.step = f.step;
    v.canvas.dataset.shown = (+(v.canvas.dataset.shown || 0) + 1).toString();
    v.canvas.dataset.skipped = v.player.skipped;
    // the curves move by one point a step: ~8 redraws a second look the same and leave the frame budget to the boundary
    if (!v.curvesAt || now - v.curvesAt > 120 || !v.player.buf.length) {
      v.curvesAt = now;
      drawCurves(v, f.step);
    }
    if (v.ending && !v.player.buf.length && f.step >= v.ending.step) end(v);
    head(v);
    if (v.pointTip) v.pointTip(); // a point's numbers on screen are this frame's
    const st = v.status || {};
    mg.bus.dispatchEvent(new CustomEvent("status", { detail: { step: f.step, sps: st.sps, state: st.state } }));
  }

  /* A one-feature regression: the prediction over x as a line. */
  function curve(v, ctx, ys) {
    const s = v.static, n = ys.length;
    ctx.save();
    ctx.beginPath();
    ctx.rect(PAD.l, PAD.t, PW, PH);
    ctx.clip();
    ctx.strokeStyle = s.palette.positive;
    ctx.lineWidth = 2.5;
    ctx.beginPath();
    let pen = false;
    for (let k = 0; k < n; k++) {
      if (!isFinite(ys[k])) {
        pen = false;
        continue;
      }
      const [x, y] = toPx(v, s.x_range[0] + ((s.x_range[1] - s.x_range[0]) * k) / (n - 1), ys[k]);
      pen ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
      pen = true;
    }
    ctx.stroke();
    ctx.restore();
  }

  /* ✕ on the points the network gets wrong (classes only). */
  function wrong(v, ctx, f) {
    const s = v.static, p = s.points;
    if (s.task === "regression") return;
    ctx.strokeStyle = "#111";
    ctx.lineWidth = 1.6;
    ctx.beginPath();
    for (let k = 0; k < p.x.length; k++) {
      const bad = s.task === "multiclass" ? f.pred[k] !== p.label[k] : !(isFinite(f.scores[k]) && f.scores[k] > 0 === p.label[k] > 0);
      if (bad) {
        const [x, y] = v.px[k];
        ctx.moveTo(x - 4, y - 4);
        ctx.lineTo(x + 4, y + 4);
        ctx.moveTo(x + 4, y - 4);
        ctx.lineTo(x - 4, y + 4);
      }
    }
    ctx.stroke();
  }

  /* The metric row at the step on screen (the newest curve point at or before it). */
  function metricsAt(v) {
    const c = v.curves, step = v.shown;
    const k = step === undefined ? -1 : mg.paint.lastAtOrBefore(c.step, step);
    const pct = (a) => (a === null || a === undefined || !isFinite(a) ? "—" : (100 * a).toFixed(1) + " %");
    const at = (key) => (k >= 0 ? c[key][k] : null);
    v.rowLr = at("lr"); // the learning rate of the step after the one on screen
    text(v.mv["Step"], step === undefined ? "—" : String(step));
    text(v.mv["Train loss"], fmt(at("train_loss"), 4));
    text(v.mv["Test loss"], fmt(at("test_loss"), 4));
    const score = v.static && v.static.task === "regression" ? (a) => fmt(a, 3) : pct;
    text(v.mv["Train accuracy"], score(at("train_metric")));
    text(v.mv["Test accuracy"], score(at("test_metric")));
    const sps = v.status && v.status.state === "running" ? v.status.sps : null;
    text(v.mv["Steps / s"], sps ? Math.round(sps).toString() : "—");
  }

  function head(v) {
    const st = v.status;
    if (!st) return;
    metricsAt(v);
    const running = st.state === "running";
    const every = running && st.every > 1 ? ` · showing every ${mg.paint.ordinal(st.every)} step` : "";
    // the network's thumbnails and weights cost more bytes than a boundary: they may follow fewer steps; say so
    const net = running && st.net_every > Math.max(st.every, 1) ? ` · network every ${mg.paint.ordinal(st.net_every)} step` : "";
    const more = st.state === "running" || st.state === "paused" || st.state === "ready"; // a step may follow
    const rate = v.rowLr !== null && v.rowLr !== undefined ? v.rowLr : st.lr;
    const lr = more && rate !== null && rate !== undefined ? ` · next learning rate ${Number(rate).toPrecision(3)}` : "";
    // the page's message of why and what to try sits below the view, out of sight on a laptop's screen (QA)
    const why = st.state === "diverged" || st.state === "failed" ? " · why, and what to try: below the pictures" : "";
    text(v.head, `${st.state} · step ${v.shown !== undefined ? v.shown.toLocaleString("en-US") : "—"}${mg.paint.budget(st.budget, "of")}${lr}${every}${net}${why}`);
    v.head.dataset.state = st.state;
    mg.runButtons.update(v, st.state);
  }

  function drawCurves(v, upto) {
    const c = v.curves, log = v.status && v.status.log_loss;
    mg.paint.plot(v.loss, "Loss" + (log ? " (log scale)" : ""), c.step, [c.train_loss, c.test_loss], upto, log, null);
    if (v.static && v.static.task === "regression") mg.paint.plot(v.acc, "R² (1 = perfect; clipped at −1)", c.step, [c.train_metric, c.test_metric], upto, false, [-1, 1]);
    else {
      const pc = (ys) => ys.map((a) => (a === null ? null : 100 * a));
      mg.paint.plot(v.acc, "Accuracy (%)", c.step, [pc(c.train_metric), pc(c.test_metric)], upto, false, [0, 100]);
    }
  }

  /* Metric points (micrograd/views/curves.py) onto the curves. A record of step k holds the metrics measured before
   * its update: those of the weights after k - 1 steps, so its point goes at step k - 1, beside that picture. A point
   * at the newest step replaces it (the run's own record of a point played ahead or sent as next_metrics); older
   * ones are already there. */
  function addMetrics(v, m, lr) {
    const c = v.curves;
    const cols = { train_loss: m.train_loss, test_loss: m.test_loss, train_metric: m.train_accuracy || m.train_r2, test_metric: m.test_accuracy || m.test_r2, lr };
    const at = m.step.map((s) => s - 1);
    for (let i = 0; i < at.length; i++) {
      const n = c.step.length, last = n ? c.step[n - 1] : -1;
      if (at[i] < last) continue;
      const j = at[i] === last ? n - 1 : n;
      c.step[j] = at[i];
      for (const k in cols) c[k][j] = cols[k] ? cols[k][i] : null;
    }
    if (c.step.length > 4000) for (const k in c) c[k] = c[k].filter((_, i) => i % 2 === 0 || i === c[k].length - 1);
  }

  function nearest(v, ev, trainOnly) {
    if (!v.px) return -1;
    const r = v.canvas.getBoundingClientRect();
    const x = ((ev.clientX - r.left) * B) / r.width, y = ((ev.clientY - r.top) * B) / r.height;
    let best = -1, bd = 64;
    const n = trainOnly ? v.static.points.n_train : v.px.length;
    for (let k = 0; k < n; k++) {
      const d = (v.px[k][0] - x) ** 2 + (v.px[k][1] - y) ** 2;
      if (d < bd) (bd = d), (best = k);
    }
    return best;
  }

  function pointTip(v, ev) {
    const k = mg.draw && mg.draw.active(v) ? -1 : nearest(v, ev, false);
    if (k < 0) return (v.tip.style.display = "none");
    const s = v.static, p = s.points, f = v.frame || {};
    const feats = p.features
      ? s.feature_names.map((n, i) => `${esc(n)} = ${fmt(p.features[k][i])}`).join(", ")
      : `${esc(s.x_name)} = ${fmt(p.x[k])}` + (s.y_index !== null ? `; ${esc(s.y_name)} = ${fmt(p.y[k])}` : ""); // "; ": a name may say ", standardised"
    const which = k < p.n_train ? `training point ${k}` : `test point ${k - p.n_train}`;
    let what;
    if (s.task === "multiclass") {
      const pred = f.pred ? f.pred[k] : 255;
      const when = v.confStep !== v.shown ? ` at step ${v.confStep}` : "";
      const conf = v.conf ? ` (${Math.round((100 * v.conf[k]) / 255)} % sure${when})` : "";
      const guess = pred === 255 ? "—" : `${esc(s.class_names[pred])}${conf}`;
      what = `class ${esc(s.class_names[p.label[k]])} · predicted ${guess}`;
    } else if (s.task === "regression") what = `target ${fmt(p.target[k])} · predicted ${mg.paint.half(f.pred ? f.pred[k] : null)}`;
    else what = `label ${p.label[k] > 0 ? "+1" : "−1"} (${esc(s.class_names[p.label[k] > 0 ? 1 : 0])}) · score ${mg.paint.half(f.scores ? f.scores[k] : null)}`;
    v.tip.innerHTML = `<b>${which}</b><br>${feats}<br>${what} at step ${v.shown}`;
    const o = v.wrap.getBoundingClientRect();
    v.tip.style.left = ev.clientX - o.left + 12 + "px";
    v.tip.style.top = ev.clientY - o.top + 12 + "px";
    v.tip.style.display = "block";
  }

  /* The sidebar's Start and Pause, the moment they are clicked (player.js): Start plays the steps sent ahead, if
   * they begin at the step on screen, while the server starts the run; Pause says paused at once (the server's
   * update then shows the step the model holds). */
  function control(v, act) {
    const st = v.status, last = v.player.last, a = v.ahead;
    if (!st) return;
    if (act === "start") (v.pauseSaid = false), mg.runButtons.confirmStart(v);
    else if (act === "pause") clearTimeout(v.startRetry);
    if (act === "start" && mg.draw) mg.draw.leave(v);
    if (act === "start" && st.state !== "running" && a && last && last.step === a.base && !v.player.buf.length) {
      v.played = a.from;
      v.ahead = null;
      v.aheadAt = v.curves.step.length; // the curves' points before the ones played ahead (dropped if not the run's)
      if (a.metrics) addMetrics(v, a.metrics, a.metrics_lr);
      v.player.lastAt = performance.now() - 1000 / Math.max(v.player.speed, 1e-6); // the first step is due now
      v.player.push(a.frames);
      v.status = { ...st, state: "running" };
    } else if (act === "pause" && st.state === "running") {
      v.status = { ...st, state: "paused" };
      v.pauseSaid = true; // until the server's paused update: a tick's update already on its way still says running
      // steps played ahead of the server (Start) are not yet the trainer's: stay until it says where it stopped
      v.played ? v.player.dropBuffered() : v.player.jumpToNewest();
    } else return;
    head(v);
  }

  /* One decoded payload (mg.receive): the static part, the metrics, the status and the frames to play. */
  function apply(v, u) {
    if (u.status.state !== "ready" && u.status.state !== "paused") clearTimeout(v.startRetry); // Start was heard
    v.canvas.dataset.gaps = v.gaps || 0;
    document.body.classList.toggle("mg-projector", !!u.projector); // large fonts, no sidebar (live.css)
    // a tick's update sent before a Pause click reached the server: its steps were taken, so show the newest at once
    const late = v.pauseSaid && u.status.state === "running" && !(u.reset && u.status.run !== v.run);
    if (late) u.status = { ...u.status, state: "paused" };
    else v.pauseSaid = false;
    const running = u.status.state === "running";
    if (running && v.status?.state !== "running" && mg.draw) mg.draw.leave(v); // a run started (Start in Draw mode)
    const newRun = u.reset && u.status.run !== v.run; // a re-sent static part of the same run is no new run
    // a new run's metrics come again from the start; the same run's re-sent history is already here, and the points
    // played ahead of the server (Start) stay
    if (newRun) for (const k in v.curves) v.curves[k] = [];
    // the budget reached while steps are still to play: play them out, and say finished at the last one
    const playOut = u.status.state === "finished" && v.status && v.status.state === "running" && !newRun && !!v.player.last;
    if (running && v.played && v.played !== u.status.from) {
      // the steps played ahead were not this run's: neither their pictures nor their metric points
      v.player.clear();
      for (const k in v.curves) v.curves[k].length = Math.min(v.curves[k].length, v.aheadAt);
    }
    if (running) v.played = null;
    v.run = u.status.run;
    if (u.static) setStatic(v, u.static);
    if (u.metrics) addMetrics(v, u.metrics, u.metrics_lr);
    if (u.next_metrics) addMetrics(v, u.next_metrics, u.next_lr); // the newest picture's own numbers
    v.status = playOut ? { ...u.status, state: "running", sps: v.status.sps } : u.status;
    v.ending = playOut ? u.status : null;
    v.player.speed = u.status.speed;
    v.ahead = !running && u.ahead ? { ...u.ahead, base: u.status.step } : null;
    if (u.frames) {
      // paused (the step the model holds), a new element or a new run: the newest picture at once, so the canvas is
      // never blank; a re-sent static part of the same running run keeps its frames playing
      if (!running && !playOut || newRun || !v.player.last) v.player.showNow(u.frames[u.frames.length - 1]);
      else v.player.push(u.frames);
    }
    if (v.ending && !v.player.buf.length) end(v);
    head(v);
  }

  /* The last step of a finished run is on screen: the view and the sidebar say finished now. */
  function end(v) {
    v.status = v.ending;
    v.ending = null;
    mg.bus.dispatchEvent(new CustomEvent("status", { detail: { step: v.shown, state: v.status.state } }));
  }

  /* What draw.js needs of this view. */
  mg.trainView = { B, PAD, toPx, fromPx, pointColour, redraw: (v) => v.player.last && show(v, v.player.last) };

  mg.views.train = function ({ data, parentElement, setTriggerValue: set }) {
    const setTriggerValue = globalThis.mgNav.guard(set, parentElement); // not while leaving for another page
    let v = mg.states.get(parentElement);
    if (!v) {
      v = build(parentElement);
      mg.states.set(parentElement, v);
      v.canvas.addEventListener("mousemove", (ev) => {
        v.pointTip = () => pointTip(v, ev); // redrawn with every frame while the mouse stays
        v.pointTip();
      });
      v.canvas.addEventListener("mouseleave", () => {
        v.pointTip = null;
        v.tip.style.display = "none";
      });
      v.canvas.addEventListener("click", (ev) => {
        if (mg.draw && mg.draw.active(v)) return; // Draw mode owns the clicks
        const k = nearest(v, ev, true);
        if (k >= 0) v.pick(k);
      });
      if (mg.draw) mg.draw.attach(v);
    }
    v.pick = (k) => setTriggerValue("pick", k); // the newest mount's setter
    v.control = (act) => setTriggerValue("control", act);
    if (!v.onControl) {
      v.onControl = (e) => control(v, e.detail.act);
      mg.bus.addEventListener("control", v.onControl);
    }
    v.send = (drawing) => setTriggerValue("drawn", drawing);
    v.need = (seq) => setTriggerValue("need", seq);
    v.rest = () => setTriggerValue("rest", true); // a first screen (ui.session.first_screen) asks for the rest
    const got = (u) => (apply(v, u), mg.tab.note(u, setTriggerValue), u.rest && requestAnimationFrame(v.rest));
    mg.receive(v, data, got, "live view"); // rest: on the frame after the player's, which draws the picture
    return () => {  // the element left the page (mg.mount's release): stop playing and forget it; safe to run twice
      v.player.destroy();
      clearTimeout(v.startRetry);
      mg.bus.removeEventListener("control", v.onControl);
      if (mg.states.get(parentElement) === v) mg.states.delete(parentElement);
    };
  };
})();
