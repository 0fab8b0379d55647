/* The Train view's network picture (needs paint.js): edges coloured by the weights, each neuron's activation
 * thumbnail over the input plane, a formula on hover. Weights and thumbnails come from micrograd/views/live.py. */
(function () {
  const mg = globalThis.mgLive;
  const { esc, el, paint } = mg.paint;
  const NODE = 45; // neuron thumbnail side (px), as TF Playground's
  const ROW = NODE + 12; // room for the name above each box (11 px)
  const COL = 118, MIN_COL = 80; // between columns' left edges: as wide as there is room for, up to COL
  // a column of more than MANY units (digits' 64 pixels) gets small squares, their names on hover: at full size
  // the picture was ~3,700 px tall and pushed the evaluation below it out of reach
  const MANY = 16, TINY = 10, TINY_ROW = 13;

  function buildNet(v, s) {
    v.net.innerHTML = "";
    v.netTip = null;
    const sizes = s.sizes;
    const side = sizes.map((n) => (n > MANY ? TINY : NODE)), row = sizes.map((n) => (n > MANY ? TINY_ROW : ROW));
    const tall = Math.max(...sizes.map((n, c) => n * row[c]));
    const zoom = parseFloat(getComputedStyle(v.net).zoom) || 1;
    // columns closer together where the view is narrower than the picture (a phone: QA saw the output cut off)
    const room = v.wrap.clientWidth / zoom, spread = (sizes.length - 1) * COL + NODE + 40;
    const col = room > 0 && spread > room ? Math.max(MIN_COL, Math.floor((room - NODE - 40) / (sizes.length - 1))) : COL;
    const W = (sizes.length - 1) * col + NODE + 40, H = tall + 20; // room above the first row for its names
    v.net.style.width = W + "px";
    v.net.style.height = H + "px";
    // the edges in one canvas, every square in another above it: an SVG line per weight cost a restyle and a
    // repaint per change, and a canvas per neuron made each (and the name over it) a compositor layer, ~80 layers
    // whose upkeep cost more of a training tab's main thread than their painting
    // backing pixels per CSS pixel: the screen's, times the page's zoom (the Graph page's 1.3), at least 1, at most 2
    const R = Math.max(1, Math.min(2, (window.devicePixelRatio || 1) * zoom));
    const canvas = (cls) => {
      const cv = el("canvas", cls, v.net, { width: W * R, height: H * R });
      cv.style.width = W + "px";
      cv.style.height = H + "px";
      cv.getContext("2d").setTransform(R, 0, 0, R, 0, 0);
      return cv;
    };
    v.edgeCanvas = canvas("mgl-edges");
    v.squares = canvas("mgl-squares");
    v.sq = v.squares.getContext("2d");
    v.scratch = document.createElement("canvas"); // one n x n picture, drawn scaled into its square
    v.thumbN = v.scratch.width = v.scratch.height = s.thumb_n || 1;
    // whole pixels: a square on a half pixel leaves a blended edge row that each repaint does not clear
    const pos = sizes.map((n, c) => Array.from({ length: n }, (_, j) => [20 + c * col, Math.round(14 + (tall - n * row[c]) / 2) + j * row[c]]));
    v.pos = pos;
    v.edges = [];
    v.looks = []; // each edge's colour, width and opacity as last set
    for (let li = 0; li < sizes.length - 1; li++) {
      for (let j = 0; j < sizes[li + 1]; j++) {
        for (let i = 0; i < sizes[li]; i++) {
          const [x1, y1] = pos[li][i], [x2, y2] = pos[li + 1][j], a = side[li], b = side[li + 1];
          v.edges.push([x1 + a, y1 + a / 2, x2, y2 + b / 2]);
        }
      }
    }
    // for tests: each edge's ends and the weight it was last drawn for
    v.edgeCanvas.mglEdges = () => v.edges.map((e, k) => ({ x1: e[0], y1: e[1], x2: e[2], y2: e[3], w: v.edgeW[k] }));
    v.edgeW = [];
    v.nodes = [];
    const inputs = s.feature_names;
    sizes.forEach((n, c) => {
      for (let j = 0; j < n; j++) {
        const box = el("div", side[c] === TINY ? "mgl-node mgl-tiny" : "mgl-node", v.net);
        box.style.left = pos[c][j][0] + "px";
        box.style.top = pos[c][j][1] + "px";
        const name = c === 0 ? inputs[j] : s.neurons[c - 1][j];
        box.dataset.name = name;
        box.sq = [pos[c][j][0] + 1, pos[c][j][1] + 1, side[c] - 2]; // its square in the canvas (inside the border)
        v.sq.fillStyle = "#fff";
        v.sq.fillRect(box.sq[0] - 1, box.sq[1] - 1, box.sq[2] + 2, box.sq[2] + 2); // the whole box, under its border
        if (s.thumb_n && c === 0) inputThumb(v, box, s, j);
        box.mglSquare = () => square(v, box); // for tests: the square's pixels as drawn
        const label = el("span", "mgl-name", box);
        label.textContent = label.title = name; // the title: the whole of a name the column cuts short
        box.addEventListener("mouseenter", () => {
          v.netTip = () => neuronTip(v, c, j, box); // redrawn with every network frame while the mouse stays
          v.netTip();
        });
        box.addEventListener("mouseleave", () => {
          v.netTip = null;
          v.tip.style.display = "none";
        });
        box.addEventListener("pointerup", (ev) => {
          if (ev.pointerType === "mouse") return; // a touch has no hover: a tap shows the formula, a second hides it
          const open = v.tipBox === box && v.tip.style.display === "block";
          v.tipBox = open ? null : box;
          v.netTip = open ? null : () => neuronTip(v, c, j, box);
          if (open) v.tip.style.display = "none";
          else v.netTip();
        });
        if (c > 0) v.nodes.push(box);
      }
    });
    const f = s.feature_names, plane =
      s.sizes[0] === 1 ? "x, left to right"
      : s.sizes[0] === 2 ? "the input plane"
      : `${f[s.x_index]} × ${f[s.y_index]} (the other features at their mean)`;
    const squares = !s.thumb_n
      ? "Squares: the neurons. "
      : `Squares: each neuron's activation over ${plane} (blue > 0, orange < 0, scaled per neuron${s.task === "binary" ? "; the output as the boundary draws it" : ""}). `;
    v.netNote.textContent =
      "Edges: weights (blue > 0, orange < 0, thicker = larger |w|). " + squares + "Hover (or tap) a neuron for its formula with the current numbers.";
  }

  /* An input's picture is its own coordinate: a ramp across the plane along its axis, flat (its mean) for a feature
   * the plane does not show (no model math involved). */
  function inputThumb(v, box, s, j) {
    const n = s.thumb_n, q = new Int8Array(n * n);
    const ramp = (t) => Math.round(127 * (2 * t / (n - 1) - 1));
    for (let r = 0; r < n; r++)
      for (let c = 0; c < n; c++) q[r * n + c] = j === s.x_index ? ramp(c) : j === s.y_index ? ramp(r) : 0;
    drawSquare(v, box, q, 0);
  }

  /* Paint box's n x n picture (q from offset) into its square of the canvas, smoothed as a scaled image is; out to
   * under the box's border, so that a zoom putting the square on a fraction of a pixel leaves no gap (QA). */
  function drawSquare(v, box, q, offset) {
    const n = v.thumbN, [x, y, side] = box.sq;
    paint(v.scratch, q, n, v.lut, offset);
    v.sq.clearRect(x - 1, y - 1, side + 2, side + 2);
    v.sq.drawImage(v.scratch, 0, 0, n, n, x - 1, y - 1, side + 2, side + 2);
  }

  /* Every edge, in the order they were laid out (later over earlier), as each one's look says. */
  function drawEdges(v, pal) {
    const ctx = v.edgeCanvas.getContext("2d");
    ctx.clearRect(0, 0, v.edgeCanvas.width, v.edgeCanvas.height); // in backing pixels: more than enough (R >= 1)
    v.edges.forEach(([x1, y1, x2, y2], k) => {
      const look = v.looks[k], [width, alpha] = look.slice(1).split(" ");
      ctx.strokeStyle = look[0] === "+" ? pal.positive : look[0] === "-" ? pal.negative : pal.nan;
      ctx.lineWidth = +width;
      ctx.globalAlpha = +alpha;
      ctx.beginPath();
      ctx.moveTo(x1, y1);
      ctx.lineTo(x2, y2);
      ctx.stroke();
    });
    ctx.globalAlpha = 1;
  }

  function square(v, box) {
    const R = v.squares.width / parseFloat(v.squares.style.width), [x, y, side] = box.sq.map((a) => Math.round(a * R));
    return v.sq.getImageData(x, y, side, side);
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
    v.tip.style.top = r.top - o.top + "px";
    v.tip.style.display = "block";
    // beside the box, on its right, or on its left where the right has no room (the output's formula was squeezed
    // into a column there, QA): measured first where nothing squeezes it
    v.tip.style.left = "0px";
    const tw = v.tip.offsetWidth, right = r.right - o.left + 6, room = v.wrap.clientWidth + v.wrap.scrollLeft;
    v.tip.style.left = (right + tw <= room ? right : Math.max(0, r.left - o.left - tw - 6)) + "px";
  }

  function drawNet(v, net, step) {
    const s = v.static;
    v.weights = net.weights;
    v.netStep = step;
    const w = net.weights, sizes = s.sizes;
    let maxw = 1e-9;
    for (let k = 0; k < w.length; k++) if (isFinite(w[k])) maxw = Math.max(maxw, Math.abs(w[k]));
    let e = 0, at = 0, changed = false;
    for (let li = 0; li < sizes.length - 1; li++) {
      const nin = sizes[li], nout = sizes[li + 1];
      for (let j = 0; j < nout; j++) {
        for (let i = 0; i < nin; i++) {
          const wi = w[at + j * nin + i], m = Math.min(1, Math.abs(wi) / maxw);
          // the look, rounded: a picture whose edges all look the same as before is not drawn again; a weight that is
          // no longer finite (a diverged run) in the NaN grey, thin
          const look = !isFinite(wi) ? "n1.00 0.60" : (wi > 0 ? "+" : "-") + (0.4 + 4 * m).toFixed(2) + " " + (0.25 + 0.6 * m).toFixed(2);
          if (v.looks[e] !== look) (v.looks[e] = look), (changed = true);
          v.edgeW[e++] = wi;
        }
      }
      at += (nin + 1) * nout;
    }
    if (changed) drawEdges(v, s.palette);
    if (net.thumbs && s.thumb_n) {
      const n2 = s.thumb_n * s.thumb_n, q = net.thumbs;
      v.nodes.forEach((box, k) => {
        // a square that looks the same is not painted again (bench/main_thread.py: the squares were a fifth of a
        // training tab's main thread)
        const was = box.q;
        let same = !!was;
        for (let i = 0; same && i < n2; i++) same = was[i] === q[k * n2 + i];
        if (same) return;
        box.q = Array.prototype.slice.call(q, k * n2, (k + 1) * n2);
        drawSquare(v, box, q, k * n2);
      });
    }
    v.net.dataset.step = step; // the network picture's step (the boundary's is the canvas's): tests and bench/ read it
    if (v.netTip) v.netTip(); // a formula on screen shows this frame's numbers
  }

  mg.trainNet = { build: buildNet, draw: drawNet };
})();
