/* mgLive painting helpers shared by the live views (needs player.js): colour tables, grids, curves, DOM.
 * Byte layouts come from micrograd/views/live.py and micrograd/views/classes.py:
 * - an Int8Array grid is a signed picture (binary score, a regression value, an activation): -127 orange ... 0 light
 *   grey ... 127 blue, -128 = NaN grey;
 * - a Uint8Array grid holds K classes: class in the low nibble, confidence level 0..15 in the high one, 255 = NaN. */
(function () {
  const mg = globalThis.mgLive;
  const P = (mg.paint = {});

  P.hex = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
  // huge values (a diverging run) in short exponent form: toFixed prints all 17 digits of them
  P.fmt = (v, d = 3) =>
    v === null || v === undefined || !isFinite(v) ? "—" : Math.abs(v) >= 1e6 ? Number(v).toExponential(2) : Number(v).toFixed(d);
  /* A value sent as float16 (a point's score or prediction): 3 significant digits, what it holds; one clipped at
   * float16's range (±60,000) says it is beyond it, not a false exact number. */
  P.half = (v) =>
    v === null || v === undefined || !isFinite(v) ? "—" : Math.abs(v) >= 6e4 ? (v < 0 ? "< −60000" : "> 60000") : String(Number(Number(v).toPrecision(3)));
  /* x with d decimals, never "-0.0" (a tick just below zero reads as zero). */
  P.fixed = (x, d) => {
    const t = Number(x).toFixed(d);
    return /^-0(\.0*)?$/.test(t) ? t.slice(1) : t;
  };
  /* A step budget after "step N": " / 3,000" (or " of 3,000" with word "of"); 0 is no budget (train until Pause). */
  P.budget = (b, word = "/") => (b ? ` ${word} ${b.toLocaleString("en-US")}` : " · no budget");
  /* An axis label: 3 significant digits without trailing zeros (0, 50, 100, 0.693), tiny or huge in exponent form. */
  P.tick = (y) => {
    const a = Math.abs(y);
    return y === 0 ? "0" : a >= 1e5 || a < 1e-3 ? y.toExponential(1) : String(Number(y.toPrecision(3)));
  };
  P.ordinal = (n) => n + (n % 100 >= 11 && n % 100 <= 13 ? "th" : ["th", "st", "nd", "rd"][n % 10] || "th");
  /* The index of the last sorted value at or before x (-1 when none is): binary search. */
  P.lastAtOrBefore = (sorted, x) => {
    let lo = 0, hi = sorted.length - 1, k = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid] <= x) (k = mid), (lo = mid + 1);
      else hi = mid - 1;
    }
    return k;
  };
  /* Set an element's text, touching the DOM only when it changed (a new text node each frame costs a layout). */
  P.text = (e, t) => {
    const n = e.firstChild;
    if (n && n.nodeType === 3 && !n.nextSibling) {
      if (n.data !== t) n.data = t;
    } else e.textContent = t;
  };
  P.esc = (s) => String(s).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");

  /* int8 pictures -> RGBA (256 entries indexed by q + 128): -127 negative ... 0 zero ... 127 positive. */
  P.colours = function (pal) {
    const pos = P.hex(pal.positive), neg = P.hex(pal.negative), mid = P.hex(pal.zero), nan = P.hex(pal.nan);
    const lut = new Uint8ClampedArray(256 * 4);
    for (let q = -128; q < 128; q++) {
      let c = nan;
      if (q > -128) {
        const t = Math.abs(q) / 127, end = q > 0 ? pos : neg;
        c = mid.map((m, k) => Math.round(m + (end[k] - m) * t));
      }
      lut.set([...c, 255], (q + 128) * 4);
    }
    return lut;
  };

  /* uint8 class cells -> RGBA (256 entries): the class colour, lighter the less confident; 255 = NaN grey. */
  P.classColours = function (pal) {
    const mid = P.hex(pal.zero), nan = P.hex(pal.nan), cols = pal.classes.map(P.hex);
    const lut = new Uint8ClampedArray(256 * 4);
    for (let b = 0; b < 256; b++) {
      const k = b & 15, level = b >> 4;
      let c = nan;
      if (b !== 255 && k < cols.length) {
        const t = 0.25 + (0.75 * level) / 15; // even an unsure cell shows its class's hue
        c = mid.map((m, i) => Math.round(m + (cols[k][i] - m) * t));
      }
      lut.set([...c, 255], b * 4);
    }
    return lut;
  };

  /* Paint an n x n grid (row-major, first row at the bottom) into a small canvas. */
  P.paint = function (canvas, q, n, lut, offset = 0) {
    const ctx = canvas.getContext("2d");
    const img = ctx.createImageData(n, n);
    const bias = q instanceof Int8Array ? 128 : 0;
    for (let r = 0; r < n; r++) {
      const src = offset + (n - 1 - r) * n;
      for (let c = 0; c < n; c++) {
        const i = (q[src + c] + bias) * 4;
        img.data.set(lut.subarray(i, i + 4), (r * n + c) * 4);
      }
    }
    ctx.putImageData(img, 0, 0);
  };

  P.el = function (tag, cls, parent, attrs = {}) {
    const ns = tag === "svg" || tag === "line" ? "http://www.w3.org/2000/svg" : "http://www.w3.org/1999/xhtml";
    const e = document.createElementNS(ns, tag);
    if (cls) e.setAttribute("class", cls);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  };

  /* A small line chart of series (train solid, test dashed) up to step `upto`; fixed: [lo, hi] or null. */
  P.plot = function (cv, title, xs, series, upto, log, fixed) {
    const ctx = cv.getContext("2d");
    const W = cv.width, H = cv.height, L = 46, R = 8, T = 18, Bt = 22;
    ctx.fillStyle = "#ffffff"; // a white panel, as the boundary's: its dark lines and words read in either theme
    ctx.fillRect(0, 0, W, H);
    ctx.font = "11px sans-serif";
    ctx.fillStyle = "#333";
    ctx.fillText(title, L, 12);
    let n = xs.length;
    while (n > 0 && xs[n - 1] > upto) n--;
    if (n < 1) {
      // before the first step: the frame and what will appear in it, not an empty space
      ctx.strokeStyle = "#ccc";
      ctx.strokeRect(L, T, W - L - R, H - T - Bt);
      ctx.fillStyle = "#888";
      ctx.textAlign = "center";
      ctx.fillText("no steps yet: the curves grow as the network trains", L + (W - L - R) / 2, T + (H - T - Bt) / 2 + 4);
      ctx.textAlign = "left";
      return;
    }
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
    const one = n === 1; // one step: its point in the middle, one label under it
    const X = (x) => (one ? L + (W - L - R) / 2 : L + ((x - x0) / (x1 - x0)) * (W - L - R));
    const Y = (y) => T + (1 - (Math.min(Math.max(y, lo), hi) - lo) / (hi - lo)) * (H - T - Bt);
    ctx.strokeStyle = "#ccc";
    ctx.strokeRect(L, T, W - L - R, H - T - Bt);
    ctx.textAlign = "right";
    for (const y of [lo, hi]) ctx.fillText(P.tick(log ? 10 ** y : y), L - 3, Y(y) + 4);
    ctx.textAlign = "center";
    if (one) ctx.fillText(`step ${x0}`, X(x0), H - 6);
    else {
      ctx.fillText(`step ${x0}`, L + 20, H - 6);
      ctx.fillText(`step ${xs[n - 1]}`, W - R - 30, H - 6);
    }
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
      const y = one ? tr(ys[0]) : null; // one point is no line: a dot, so the first step shows
      if (y !== null && isFinite(y)) {
        ctx.fillStyle = ctx.strokeStyle;
        ctx.beginPath();
        ctx.arc(X(xs[0]), Y(y), 3, 0, 2 * Math.PI);
        ctx.fill();
      }
    });
    ctx.setLineDash([]);
    ctx.fillStyle = "#222";
    ctx.fillText("— train", W - R - 110, 12);
    ctx.fillStyle = "#666"; // #999 on the white panel read faintly (QA); this is 5.7:1
    ctx.fillText("- - test", W - R - 55, 12);
  };
})();
