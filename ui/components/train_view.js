/* The Train page's live view: decision boundary, network view, loss and accuracy curves (needs player.js).
 * Everything drawn comes from micrograd/views/live.py payloads: score grids, activations and weights are computed
 * in Python; this file only paints them. The element mounts once; each payload only feeds the player. */
(function () {
  const mg = globalThis.mgLive;
  const B = 440; // boundary canvas side (px)
  const PAD = { l: 44, r: 8, t: 8, b: 36 };
  const NODE = 45; // neuron thumbnail side (px), as TF Playground's
  const ROW = NODE + 9;
  const COL = 118;
  const CURVE_W = 440, CURVE_H = 170;

  const hex = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
  const fmt = (v, d = 3) => (v === null || v === undefined || !isFinite(v) ? "—" : Number(v).toFixed(d));
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");

  /* int8 pictures -> RGBA with the palette: -127 orange ... 0 light grey ... 127 blue, -128 = NaN grey. */
  function colours(pal) {
    const pos = hex(pal.positive), neg = hex(pal.negative), mid = hex(pal.zero), nan = hex(pal.nan);
    const lut = new Uint8ClampedArray(256 * 4);
    for (let q = -128; q < 128; q++) {
      const i = (q + 128) * 4;
      let c = nan;
      if (q > -128) {
        const t = Math.abs(q) / 127, end = q > 0 ? pos : neg;
        c = mid.map((m, k) => Math.round(m + (end[k] - m) * t));
      }
      lut.set([...c, 255], i);
    }
    return lut;
  }

  /* Paint an n x n int8 grid (row-major, first row at the bottom) into a small canvas. */
  function paint(canvas, q, n, lut, offset = 0) {
    const ctx = canvas.getContext("2d");
    const img = ctx.createImageData(n, n);
    for (let r = 0; r < n; r++) {
      const src = offset + (n - 1 - r) * n;
      for (let c = 0; c < n; c++) img.data.set(lut.subarray((q[src + c] + 128) * 4, (q[src + c] + 128) * 4 + 4), (r * n + c) * 4);
    }
    ctx.putImageData(img, 0, 0);
  }

  function el(tag, cls, parent, attrs = {}) {
    const e = document.createElementNS(tag === "svg" || tag === "line" ? "http://www.w3.org/2000/svg" : "http://www.w3.org/1999/xhtml", tag);
    if (cls) e.setAttribute("class", cls);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }

  function build(root) {
    const v = { root };
    v.wrap = el("div", "mgl-train", root);
    v.head = el("div", "mgl-head", v.wrap);
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
    el("div", "mgl-title", left).textContent = "Decision boundary";
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
    v.layer.width = v.layer.height = B;
    v.curves = { step: [], train_loss: [], test_loss: [], train_accuracy: [], test_accuracy: [] };
    v.player = new mg.Player((f, now) => show(v, f, now));
    return v;
  }

  function toPx(v, x, y) {
    const s = v.static;
    const w = B - PAD.l - PAD.r, h = B - PAD.t - PAD.b;
    return [
      PAD.l + ((x - s.x_range[0]) / (s.x_range[1] - s.x_range[0])) * w,
      PAD.t + h - ((y - s.y_range[0]) / (s.y_range[1] - s.y_range[0])) * h,
    ];
  }

  function setStatic(v, s) {
    v.static = s;
    v.lut = colours(s.palette);
    v.grid.width = v.grid.height = s.grid_n;
    const ctx = v.layer.getContext("2d");
    ctx.clearRect(0, 0, B, B);
    ctx.fillStyle = "#555";
    ctx.strokeStyle = "#999";
    ctx.font = "11px sans-serif";
    ctx.strokeRect(PAD.l - 0.5, PAD.t - 0.5, B - PAD.l - PAD.r + 1, B - PAD.t - PAD.b + 1);
    for (let k = 0; k <= 4; k++) {
      const x = s.x_range[0] + ((s.x_range[1] - s.x_range[0]) * k) / 4;
      const y = s.y_range[0] + ((s.y_range[1] - s.y_range[0]) * k) / 4;
      const [px] = toPx(v, x, s.y_range[0]);
      const [, py] = toPx(v, s.x_range[0], y);
      ctx.textAlign = "center";
      ctx.fillText(x.toFixed(1), px, B - PAD.b + 14);
      ctx.textAlign = "right";
      ctx.fillText(y.toFixed(1), PAD.l - 4, py + 4);
    }
    ctx.textAlign = "center";
    ctx.fillText(s.x_name, PAD.l + (B - PAD.l - PAD.r) / 2, B - 6);
    ctx.save();
    ctx.translate(11, PAD.t + (B - PAD.t - PAD.b) / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(s.y_name, 0, 0);
    ctx.restore();
    const p = s.points;
    v.px = p.x.map((x, k) => toPx(v, x, p.y[k]));
    // for tests and benchmarks: where the plot sits on the canvas, and where point k is drawn
    v.canvas.dataset.plot = JSON.stringify({ left: PAD.l, top: PAD.t, width: B - PAD.l - PAD.r, height: B - PAD.t - PAD.b, x_range: s.x_range, y_range: s.y_range });
    v.canvas.mglPoint = (k) => v.px[k];
    v.canvas.mglView = v;
    for (let k = 0; k < p.x.length; k++) {
      const [x, y] = v.px[k];
      const test = k >= p.n_train;
      ctx.beginPath();
      ctx.arc(x, y, test ? 4.5 : 4, 0, 2 * Math.PI);
      ctx.fillStyle = p.label[k] > 0 ? s.palette.positive : s.palette.negative;
      ctx.fill();
      ctx.lineWidth = test ? 1.6 : 1.2;
      ctx.strokeStyle = test ? s.palette.test : "#ffffff";
      ctx.stroke();
    }
    v.legend.innerHTML =
      `<span class="mgl-sw" style="background:${s.palette.positive}"></span> score &gt; 0 · class +1 (${esc(s.class_names[1])}) ` +
      `<span class="mgl-sw" style="background:${s.palette.negative}"></span> score &lt; 0 · class −1 (${esc(s.class_names[0])}) · ` +
      `dots: training points, black rings: test points, ✕ misclassified. Hover a point for its numbers; click a training point to trace it on the Graph page.`;
    buildNet(v, s);
  }

  function buildNet(v, s) {
    v.net.innerHTML = "";
    const sizes = s.sizes;
    const tall = Math.max(...sizes) * ROW;
    const W = (sizes.length - 1) * COL + NODE + 40, H = tall + 10;
    v.net.style.width = W + "px";
    v.net.style.height = H + "px";
    v.svg = el("svg", "mgl-edges", v.net, { width: W, height: H });
    const pos = sizes.map((n, c) => Array.from({ length: n }, (_, j) => [20 + c * COL, 5 + (tall - n * ROW) / 2 + j * ROW]));
    v.pos = pos;
    v.edges = [];
    for (let li = 0; li < sizes.length - 1; li++) {
      for (let j = 0; j < sizes[li + 1]; j++) {
        for (let i = 0; i < sizes[li]; i++) {
          const [x1, y1] = pos[li][i], [x2, y2] = pos[li + 1][j];
          v.edges.push(el("line", "", v.svg, { x1: x1 + NODE, y1: y1 + NODE / 2, x2, y2: y2 + NODE / 2 }));
        }
      }
    }
    v.nodes = [];
    const inputs = s.feature_names;
    sizes.forEach((n, c) => {
      for (let j = 0; j < n; j++) {
        const box = el("div", "mgl-node", v.net);
        box.style.left = pos[c][j][0] + "px";
        box.style.top = pos[c][j][1] + "px";
        const name = c === 0 ? inputs[j] : s.neurons[c - 1][j];
        box.dataset.name = name;
        if (s.thumb_n) {
          const cv = el("canvas", "", box, { width: s.thumb_n, height: s.thumb_n });
          if (c === 0) inputThumb(cv, s, j, v.lut);
          box.cv = cv;
        }
        el("span", "mgl-name", box).textContent = name;
        box.addEventListener("mouseenter", () => neuronTip(v, c, j, box));
        box.addEventListener("mouseleave", () => (v.tip.style.display = "none"));
        if (c > 0) v.nodes.push(box);
      }
    });
    v.netNote.textContent =
      "Edges: weights (blue > 0, orange < 0, thicker = larger |w|). Squares: each neuron's activation over the input plane " +
      "(blue > 0, orange < 0, scaled per neuron). Hover a neuron for its formula with the current numbers.";
  }

  /* An input's picture is its own coordinate: a ramp across the plane (no model math involved). */
  function inputThumb(cv, s, j, lut) {
    const n = s.thumb_n, q = new Int8Array(n * n);
    for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) q[r * n + c] = Math.round(127 * (2 * (j === 0 ? c : r) / (n - 1) - 1));
    paint(cv, q, n, lut);
  }

  function neuronTip(v, c, j, box) {
    const s = v.static, w = v.weights;
    let html = `<b>${esc(box.dataset.name)}</b>`;
    if (c > 0 && w) {
      const sizes = s.sizes;
      let at = 0;
      for (let li = 0; li < c - 1; li++) at += (sizes[li] + 1) * sizes[li + 1];
      const nin = sizes[c - 1], nout = sizes[c];
      const names = c === 1 ? s.feature_names : s.neurons[c - 2];
      const terms = [];
      for (let i = 0; i < nin; i++) {
        if (i === 6) {
          terms.push(` + … (${nin - 6} more terms)`);
          break;
        }
        const wi = w[at + j * nin + i];
        terms.push((i ? (wi < 0 ? " − " : " + ") : wi < 0 ? "−" : "") + Math.abs(wi).toFixed(2) + "·" + esc(names[i]));
      }
      const b = w[at + nout * nin + j];
      const body = terms.join("") + (b < 0 ? " − " : " + ") + Math.abs(b).toFixed(2);
      const act = s.activations[c - 1];
      html += `<br>a = ${act === "linear" ? body : act + "(" + body + ")"}<br><small>weights at step ${v.netStep}</small>`;
    }
    v.tip.innerHTML = html;
    const r = box.getBoundingClientRect(), o = v.wrap.getBoundingClientRect();
    v.tip.style.left = r.right - o.left + 6 + "px";
    v.tip.style.top = r.top - o.top + "px";
    v.tip.style.display = "block";
  }

  function drawNet(v, net, step) {
    const s = v.static;
    v.weights = net.weights;
    v.netStep = step;
    const w = net.weights, sizes = s.sizes;
    let maxw = 1e-9;
    for (let k = 0; k < w.length; k++) if (isFinite(w[k])) maxw = Math.max(maxw, Math.abs(w[k]));
    let e = 0, at = 0;
    for (let li = 0; li < sizes.length - 1; li++) {
      const nin = sizes[li], nout = sizes[li + 1];
      for (let j = 0; j < nout; j++) {
        for (let i = 0; i < nin; i++) {
          const wi = w[at + j * nin + i];
          const line = v.edges[e++];
          line.setAttribute("stroke", wi > 0 ? s.palette.positive : s.palette.negative);
          line.setAttribute("stroke-width", (0.4 + 4 * Math.min(1, Math.abs(wi) / maxw)).toFixed(2));
          line.setAttribute("stroke-opacity", (0.25 + 0.6 * Math.min(1, Math.abs(wi) / maxw)).toFixed(2));
        }
      }
      at += (nin + 1) * nout;
    }
    if (net.thumbs && s.thumb_n) {
      const n2 = s.thumb_n * s.thumb_n;
      v.nodes.forEach((box, k) => paint(box.cv, net.thumbs, s.thumb_n, v.lut, k * n2));
    }
  }

  function show(v, f, now = performance.now()) {
    const s = v.static;
    if (!s) return;
    paint(v.grid, f.grid, s.grid_n, v.lut);
    const ctx = v.canvas.getContext("2d");
    const w = B - PAD.l - PAD.r, h = B - PAD.t - PAD.b;
    const cw = w / (s.grid_n - 1), ch = h / (s.grid_n - 1);
    ctx.save();
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, B, B); // one frame's picture replaces the last in full: never a blank frame
    ctx.beginPath();
    ctx.rect(PAD.l, PAD.t, w, h);
    ctx.clip();
    ctx.imageSmoothingEnabled = true;
    // cell centres sit on the grid's points (numpy.linspace over the extents, ends included)
    ctx.drawImage(v.grid, PAD.l - cw / 2, PAD.t - ch / 2, w + cw, h + ch);
    ctx.restore();
    ctx.drawImage(v.layer, 0, 0);
    v.scores = f.scores;
    const p = s.points;
    ctx.strokeStyle = "#111";
    ctx.lineWidth = 1.6;
    ctx.beginPath();
    for (let k = 0; k < p.x.length; k++) {
      const sc = f.scores[k];
      if (!(isFinite(sc) && sc > 0 === p.label[k] > 0)) {
        const [x, y] = v.px[k];
        ctx.moveTo(x - 4, y - 4);
        ctx.lineTo(x + 4, y + 4);
        ctx.moveTo(x + 4, y - 4);
        ctx.lineTo(x - 4, y + 4);
      }
    }
    ctx.stroke();
    if (f.net) drawNet(v, f.net, f.step);
    v.shown = f.step;
    v.canvas.dataset.step = f.step;
    v.canvas.dataset.shown = (+(v.canvas.dataset.shown || 0) + 1).toString();
    v.canvas.dataset.skipped = v.player.skipped;
    // the curves move by one point a step: ~8 redraws a second look the same and leave the frame budget to the boundary
    if (!v.curvesAt || now - v.curvesAt > 120 || !v.player.buf.length) {
      v.curvesAt = now;
      drawCurves(v, f.step);
    }
    head(v);
    mg.bus.dispatchEvent(new CustomEvent("status", { detail: { step: f.step, sps: v.status && v.status.sps } }));
  }

  /* The metric row at the step on screen (the newest curve point at or before it). */
  function metricsAt(v) {
    const c = v.curves, step = v.shown;
    let lo = 0, hi = c.step.length - 1, k = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (c.step[mid] <= step) (k = mid), (lo = mid + 1);
      else hi = mid - 1;
    }
    const pct = (a) => (a === null || a === undefined || !isFinite(a) ? "—" : (100 * a).toFixed(1) + " %");
    const at = (key) => (k >= 0 ? c[key][k] : null);
    v.mv["Step"].textContent = step === undefined ? "—" : String(step);
    v.mv["Train loss"].textContent = fmt(at("train_loss"), 4);
    v.mv["Test loss"].textContent = fmt(at("test_loss"), 4);
    v.mv["Train accuracy"].textContent = pct(at("train_accuracy"));
    v.mv["Test accuracy"].textContent = pct(at("test_accuracy"));
    const sps = v.status && v.status.state === "running" ? v.status.sps : null;
    v.mv["Steps / s"].textContent = sps ? Math.round(sps).toString() : "—";
  }

  function head(v) {
    const st = v.status;
    if (!st) return;
    metricsAt(v);
    const every = st.every > 1 ? ` · showing every ${st.every}th step` : "";
    const lr = st.lr !== null && st.lr !== undefined ? ` · next learning rate ${Number(st.lr).toPrecision(3)}` : "";
    v.head.textContent = `${st.state} · step ${v.shown !== undefined ? v.shown.toLocaleString("en-US") : "—"} of ${st.budget.toLocaleString("en-US")}${lr}${every}`;
    v.head.dataset.state = st.state;
  }

  function drawCurves(v, upto) {
    const c = v.curves, log = v.status && v.status.log_loss;
    plot(v.loss, "Loss" + (log ? " (log scale)" : ""), c.step, [c.train_loss, c.test_loss], upto, log, null);
    plot(v.acc, "Accuracy (%)", c.step, [c.train_accuracy.map((a) => (a === null ? null : 100 * a)), c.test_accuracy.map((a) => (a === null ? null : 100 * a))], upto, false, [0, 100]);
  }

  function plot(cv, title, xs, series, upto, log, fixed) {
    const ctx = cv.getContext("2d");
    const W = cv.width, H = cv.height, L = 46, R = 8, T = 18, Bt = 22;
    ctx.clearRect(0, 0, W, H);
    ctx.font = "11px sans-serif";
    ctx.fillStyle = "#333";
    ctx.fillText(title, L, 12);
    let n = xs.length;
    while (n > 0 && xs[n - 1] > upto) n--;
    if (n < 1) return;
    const tr = (y) => (y === null ? null : log ? (y > 0 ? Math.log10(y) : null) : y);
    let lo = Infinity, hi = -Infinity;
    if (fixed) [lo, hi] = fixed;
    else
      for (const ys of series)
        for (let k = 0; k < n; k++) {
          const y = tr(ys[k]);
          if (y !== null && isFinite(y)) (lo = Math.min(lo, y)), (hi = Math.max(hi, y));
        }
    if (!isFinite(lo)) return;
    if (hi - lo < 1e-9) (hi += 0.5), (lo -= 0.5);
    const x0 = xs[0], x1 = Math.max(xs[n - 1], x0 + 1);
    const X = (x) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
    const Y = (y) => T + (1 - (y - lo) / (hi - lo)) * (H - T - Bt);
    ctx.strokeStyle = "#ccc";
    ctx.strokeRect(L, T, W - L - R, H - T - Bt);
    ctx.textAlign = "right";
    for (const y of [lo, hi]) ctx.fillText(log ? (10 ** y).toPrecision(2) : y.toPrecision(3), L - 3, Y(y) + 4);
    ctx.textAlign = "center";
    ctx.fillText(`step ${x0}`, L + 20, H - 6);
    ctx.fillText(`step ${xs[n - 1]}`, W - R - 30, H - 6);
    ctx.textAlign = "left";
    series.forEach((ys, si) => {
      ctx.strokeStyle = si ? "#999999" : "#222222";
      ctx.setLineDash(si ? [4, 3] : []);
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      let pen = false;
      for (let k = 0; k < n; k++) {
        const y = tr(ys[k]);
        if (y === null || !isFinite(y)) {
          pen = false;
          continue;
        }
        pen ? ctx.lineTo(X(xs[k]), Y(y)) : ctx.moveTo(X(xs[k]), Y(y));
        pen = true;
      }
      ctx.stroke();
    });
    ctx.setLineDash([]);
    ctx.fillStyle = "#222";
    ctx.fillText("— train", W - R - 110, 12);
    ctx.fillStyle = "#999";
    ctx.fillText("- - test", W - R - 55, 12);
  }

  function addMetrics(v, m) {
    const c = v.curves;
    for (const k in c) c[k].push(...m[k]);
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
    const k = nearest(v, ev, false);
    if (k < 0) return (v.tip.style.display = "none");
    const s = v.static, p = s.points;
    const feats = s.feature_names.map((n, i) => `${esc(n)} = ${fmt(p.features[k][i])}`).join(", ");
    const which = k < p.n_train ? `training point ${k}` : `test point ${k - p.n_train}`;
    const score = v.scores ? v.scores[k] : null;
    v.tip.innerHTML = `<b>${which}</b><br>${feats}<br>label ${p.label[k] > 0 ? "+1" : "−1"} (${esc(s.class_names[p.label[k] > 0 ? 1 : 0])}) · score ${fmt(score)} at step ${v.shown}`;
    const o = v.wrap.getBoundingClientRect();
    v.tip.style.left = ev.clientX - o.left + 12 + "px";
    v.tip.style.top = ev.clientY - o.top + 12 + "px";
    v.tip.style.display = "block";
  }

  mg.views.train = function ({ data, parentElement, setTriggerValue }) {
    let v = mg.states.get(parentElement);
    if (!v) {
      v = build(parentElement);
      mg.states.set(parentElement, v);
      v.canvas.addEventListener("mousemove", (ev) => pointTip(v, ev));
      v.canvas.addEventListener("mouseleave", () => (v.tip.style.display = "none"));
      v.canvas.addEventListener("click", (ev) => {
        const k = nearest(v, ev, true);
        if (k >= 0) v.pick(k);
      });
      v.queue = Promise.resolve();
    }
    v.pick = (k) => setTriggerValue("pick", k); // the newest mount's setter
    if (data && data !== v.bytes) {
      const bytes = (v.bytes = data); // an effect re-run with the same payload changes nothing
      // payloads decode asynchronously; chain them so they land in order
      v.queue = v.queue
        .then(() => mg.decode(bytes))
        .then((u) => {
          if (u.feed === v.feed && u.seq <= v.seq) return; // an old payload seen again
          if (u.feed === v.feed && u.seq > v.seq + 1) v.gaps = (v.gaps || 0) + 1;
          v.feed = u.feed;
          v.seq = u.seq;
          v.canvas.dataset.gaps = v.gaps || 0;
          if (u.reset) {
            for (const k in v.curves) v.curves[k] = [];
            v.player.buf = [];
          }
          if (u.static) setStatic(v, u.static);
          if (u.metrics) addMetrics(v, u.metrics);
          v.status = u.status;
          v.player.speed = u.status.speed;
          if (u.frames) {
            if (u.reset || !v.player.last) {
              // a new element or run: its newest picture at once, so the canvas is never blank
              const f = u.frames[u.frames.length - 1];
              v.player.clear();
              v.player.last = f;
              v.player.lastAt = performance.now();
              show(v, f);
              v.player.push(u.frames.slice(0, -1).filter((g) => g.step > f.step));
            } else v.player.push(u.frames);
          }
          head(v);
        })
        .catch((e) => console.error("live view:", e));
    }
    return () => {
      // the element left the page (mg.mount's release): stop playing and forget it; safe to run twice
      v.player.destroy();
      if (mg.states.get(parentElement) === v) mg.states.delete(parentElement);
    };
  };
})();
