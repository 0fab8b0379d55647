/* The live computation-graph view: one canvas, laid out once per architecture (positions come from Python,
 * micrograd/views/layout.py), recoloured and relabelled per frame (micrograd/views/graph_live.py payloads).
 *
 * Loaded once per full run as the library component (globalThis.mgGraph); each update of the view component
 * calls mgGraph.mount(component). Per element state lives in a WeakMap, so updates never re-mount.
 *
 * Hooks for tests and for the step-through lesson (lesson.js, loaded after this file):
 *   root.dataset.step / seq / scale / nodes / pictures / selected;  root.mgg.{shown(id), box(id), select(id),
 *   setHighlight(ids), frame()}; the "select" trigger sends {id, title, step} to Python on a click.
 */
(function () {
  const g = globalThis;
  const mg = (g.mgGraph = g.mgGraph || {});
  const STATES = (mg.states = mg.states || new WeakMap()); // parentElement -> view state, across reloads
  const STATICS = (mg.statics = mg.statics || new Map()); // layout key -> static part, kept across re-mounts
  const { POS, NEG } = mg;
  // seconds between the server's live updates, from the live library (player.js) that every page's sidebar loads
  const tickSeconds = () => (g.mgLive && g.mgLive.tickSeconds ? g.mgLive.tickSeconds() : 1);
  const KIND_STYLE = {
    input: { stroke: "#1a9850", width: 2, dash: [] },
    label: { stroke: "#1a9850", width: 2, dash: [5, 3] },
    param: { stroke: "#762a83", width: 2, dash: [] },
    const: { stroke: "#999999", width: 1, dash: [2, 2] },
    op: { stroke: "#555555", width: 1, dash: [] },
    loss: { stroke: "#000000", width: 3, dash: [] },
  };
  const SMALL = 150; // graphs up to this many nodes open zoomed in to READABLE rather than fitted
  const READABLE = 0.8;
  const MIN_LABEL_PX = 7;
  const MAX_QUEUE = 120; // frames waiting to be shown (rAF stops in a hidden tab while updates keep coming) // below this many screen pixels of text, boxes are drawn without labels

  const { fmt, decode, colour, maxAbs } = mg; // graph_codec.js, loaded first
  const { showDetail, labelLines, setStatic } = mg; // graph_text.js, loaded next

  function build(parent, st) {
    const root = document.createElement("div");
    root.className = "mgg-root";
    root.innerHTML = `
      <div class="mgg-bar">
        <button type="button" data-act="out" title="Zoom out">−</button>
        <button type="button" data-act="in" title="Zoom in">+</button>
        <button type="button" data-act="fit" title="Show the whole graph">Fit</button>
        <button type="button" data-act="one" title="Zoom to 100 %: labels at full size">Zoom 100 %</button>
        <button type="button" data-act="colour" title="Colour nodes by their gradient or their value">colour: gradient</button>
        <span class="mgg-status"></span>
      </div>
      <div class="mgg-stage"><canvas class="mgg-canvas"></canvas><div class="mgg-zoom"></div>
        <div class="mgg-detail" aria-live="polite">Click a node to see its numbers.</div></div>
      <div class="mgg-legend">
        <span class="mgg-swatch" style="background:rgb(${NEG})"></span><span class="mgg-ltext">&lt; 0</span>
        <span class="mgg-ramp"></span>
        <span class="mgg-swatch" style="background:rgb(${POS})"></span><span class="mgg-ltext">&gt; 0</span>
        <span class="mgg-lnote"></span>
        <span class="mgg-kind mgg-k-input">input</span><span class="mgg-kind mgg-k-label">label y</span>
        <span class="mgg-kind mgg-k-param">parameter</span><span class="mgg-kind mgg-k-const">constant</span>
        <span class="mgg-kind mgg-k-op">operation</span><span class="mgg-kind mgg-k-loss">loss</span>
      </div>`;
    parent.appendChild(root);
    st.root = root;
    st.canvas = root.querySelector("canvas");
    st.ctx = st.canvas.getContext("2d", { alpha: false });
    st.status = root.querySelector(".mgg-status");
    st.detail = root.querySelector(".mgg-detail");
    st.zoomText = root.querySelector(".mgg-zoom");
    st.lnote = root.querySelector(".mgg-lnote");
    st.colourBtn = root.querySelector('[data-act="colour"]');
    root.querySelector(".mgg-bar").addEventListener("click", (e) => {
      const act = e.target.closest("button")?.dataset.act;
      const w = st.canvas.clientWidth, h = st.canvas.clientHeight;
      if (act === "in") zoomAt(st, 1.5, w / 2, h / 2);
      else if (act === "out") zoomAt(st, 1 / 1.5, w / 2, h / 2);
      else if (act === "fit") fit(st);
      else if (act === "one") zoomAt(st, 1 / st.s, w / 2, h / 2);
      else if (act === "colour") {
        st.by = st.by === "grad" ? "value" : "grad";
        st.colourBtn.textContent = `colour: ${st.by === "grad" ? "gradient" : "value"}`;
        sayFill(st); // paused, no frame comes to say it (the legend kept saying "gradient")
        st.dirty = true;
      }
    });
    st.canvas.addEventListener(
      "wheel",
      (e) => {
        e.preventDefault();
        const r = st.canvas.getBoundingClientRect();
        zoomAt(st, Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
      },
      { passive: false },
    );
    let drag = null;
    st.canvas.addEventListener("pointerdown", (e) => {
      drag = { x: e.clientX, y: e.clientY, tx: st.tx, ty: st.ty, moved: false };
      st.canvas.setPointerCapture(e.pointerId);
    });
    st.canvas.addEventListener("pointermove", (e) => {
      if (!drag) return;
      const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 4) drag.moved = true;
      if (drag.moved) {
        st.tx = drag.tx + dx;
        st.ty = drag.ty + dy;
        st.dirty = true;
      }
    });
    st.canvas.addEventListener("pointerup", (e) => {
      if (drag && !drag.moved) {
        const r = st.canvas.getBoundingClientRect();
        const id = hit(st, e.clientX - r.left, e.clientY - r.top);
        select(st, id, true);
      }
      drag = null;
    });
    st.resize = new ResizeObserver(() => resize(st));
    st.resize.observe(st.canvas);
    resize(st);
  }

  function resize(st) {
    const dpr = g.devicePixelRatio || 1;
    const w = Math.max(1, st.canvas.clientWidth), h = Math.max(1, st.canvas.clientHeight);
    if (st.canvas.width !== Math.round(w * dpr) || st.canvas.height !== Math.round(h * dpr)) {
      st.canvas.width = Math.round(w * dpr);
      st.canvas.height = Math.round(h * dpr);
      if (!st.placed && st.static) fit(st);
      st.dirty = true;
    }
  }

  function zoomAt(st, f, cx, cy) {
    const s = Math.min(4, Math.max(0.02, st.s * f));
    st.tx = cx - ((cx - st.tx) * s) / st.s;
    st.ty = cy - ((cy - st.ty) * s) / st.s;
    st.s = s;
    st.placed = true;
    st.dirty = true;
  }

  function fit(st) {
    const S = st.static;
    if (!S) return;
    const w = st.canvas.clientWidth, h = st.canvas.clientHeight;
    const [gw, gh] = S.size;
    st.s = Math.min(1, (w - 20) / Math.max(gw, 1), (h - 20) / Math.max(gh, 1));
    st.tx = (w - gw * st.s) / 2;
    st.ty = (h - gh * st.s) / 2;
    if (!st.placed && S.n <= SMALL && st.s < READABLE) {
      // a small graph opens with readable labels at its start, the inputs and weights the forward pass reads first
      // (QA: it opened at the loss end, x1, x2 and the weights out of sight); pan or Fit for the rest
      st.s = READABLE;
      st.tx = 10 - Math.min(...S.x) * st.s;
      st.ty = (h - gh * st.s) / 2;
    }
    st.placed = st.canvas.clientWidth > 1;
    st.dirty = true;
  }

  function hit(st, sx, sy) {
    const S = st.static;
    if (!S) return -1;
    const px = (sx - st.tx) / st.s, py = (sy - st.ty) / st.s;
    const [w, h] = S.node;
    for (let i = 0; i < S.n; i++) {
      if (px >= S.x[i] && px <= S.x[i] + w && py >= S.y[i] && py <= S.y[i] + h) return i;
    }
    return -1;
  }

  function select(st, id, fromClick) {
    st.selected = id >= 0 ? id : -1;
    st.root.dataset.selected = String(st.selected);
    st.dirty = true;
    showDetail(st);
    if (fromClick && st.lesson) mg.lessonJump(st, id); // lesson.js: a click opens the node's chain rule
    if (fromClick && id >= 0 && st.setTrigger) {
      st.setTrigger("select", { id, title: st.static.titles[id], step: st.shown ? st.shown.step : null });
    }
  }

  function draw(st) {
    const S = st.static, f = st.shown, ctx = st.ctx;
    const dpr = g.devicePixelRatio || 1;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, st.canvas.width, st.canvas.height);
    if (!S) return;
    ctx.setTransform(dpr * st.s, 0, 0, dpr * st.s, dpr * st.tx, dpr * st.ty);
    const [w, h] = S.node;
    const vw = st.canvas.clientWidth, vh = st.canvas.clientHeight;
    const x0 = -st.tx / st.s - w, y0 = -st.ty / st.s - h, x1 = (vw - st.tx) / st.s, y1 = (vh - st.ty) / st.s;
    const visible = (i) => S.x[i] >= x0 && S.x[i] <= x1 && S.y[i] >= y0 && S.y[i] <= y1;
    // edges under the nodes: one path, hairline on screen
    ctx.lineWidth = 1 / st.s;
    ctx.strokeStyle = "#b8bec6";
    ctx.beginPath();
    const sel = st.selected, hl = st.highlight;
    for (let e = 0; e < S.src.length; e++) {
      const a = S.src[e], b = S.dst[e];
      const ax = S.x[a] + w, ay = S.y[a] + h / 2, bx = S.x[b], by = S.y[b] + h / 2;
      if (Math.max(ax, bx) < x0 || Math.min(ax, bx) > x1 + w || Math.max(ay, by) < y0 || Math.min(ay, by) > y1 + h) continue;
      const mx = (ax + bx) / 2;
      ctx.moveTo(ax, ay);
      ctx.bezierCurveTo(mx, ay, mx, by, bx, by);
    }
    ctx.stroke();
    if (sel >= 0 || hl.size) {
      ctx.lineWidth = 2.5 / st.s;
      ctx.strokeStyle = "#222222";
      ctx.beginPath();
      for (let e = 0; e < S.src.length; e++) {
        const a = S.src[e], b = S.dst[e];
        if (a !== sel && b !== sel && !(hl.has(a) && hl.has(b))) continue;
        const ax = S.x[a] + w, ay = S.y[a] + h / 2, bx = S.x[b], by = S.y[b] + h / 2, mx = (ax + bx) / 2;
        ctx.moveTo(ax, ay);
        ctx.bezierCurveTo(mx, ay, mx, by, bx, by);
      }
      ctx.stroke();
    }
    // fills
    let q = null, qmax = 0;
    if (f) {
      q = st.by === "grad" ? f.grads : f.values;
      if (st.prev) {
        const p = st.by === "grad" ? st.prev.grads : st.prev.values;
        q = q.map((v, i) => v - p[i]);
      }
      qmax = maxAbs(q, S.n);
    }
    for (let i = 0; i < S.n; i++) {
      if (!visible(i)) continue;
      ctx.fillStyle = q && (!mg.lessonKnows || mg.lessonKnows(st, i, st.by)) ? colour(q[i], qmax) : "#ffffff";
      ctx.fillRect(S.x[i], S.y[i], w, h);
    }
    // borders, one path per kind
    for (let k = 0; k < S.kinds.length; k++) {
      const style = KIND_STYLE[S.kinds[k]] || KIND_STYLE.op;
      ctx.lineWidth = Math.max(style.width, 1 / st.s);
      ctx.strokeStyle = style.stroke;
      ctx.setLineDash(style.dash);
      ctx.beginPath();
      for (let i = 0; i < S.n; i++) if (S.kind[i] === k && visible(i)) ctx.rect(S.x[i], S.y[i], w, h);
      ctx.stroke();
    }
    ctx.setLineDash([]);
    if (sel >= 0 || hl.size) {
      ctx.lineWidth = 4 / st.s;
      ctx.strokeStyle = "#111111";
      ctx.beginPath();
      if (sel >= 0) ctx.rect(S.x[sel] - 3, S.y[sel] - 3, w + 6, h + 6);
      for (const i of hl) ctx.rect(S.x[i] - 2, S.y[i] - 2, w + 4, h + 4);
      ctx.stroke();
    }
    // labels when they are readable: 11-12 px at 100 %
    if (st.s * 11 >= MIN_LABEL_PX) {
      ctx.fillStyle = "#111111";
      ctx.textBaseline = "top";
      ctx.font = "bold 11px Helvetica, Arial, sans-serif";
      for (let i = 0; i < S.n; i++) if (visible(i)) ctx.fillText(S.short[i], S.x[i] + 5, S.y[i] + 3);
      ctx.font = "12px Helvetica, Arial, sans-serif";
      if (f) {
        for (let i = 0; i < S.n; i++) {
          if (!visible(i)) continue;
          const [a, b] = labelLines(st, i);
          ctx.fillText(a, S.x[i] + 5, S.y[i] + 17);
          ctx.fillText(b, S.x[i] + 5, S.y[i] + 31);
        }
      }
    }
    if (st.lesson) mg.lessonDraw(st, ctx);
    st.zoomText.textContent = `${Math.round(st.s * 100)} %`;
    st.root.dataset.scale = st.s.toFixed(4);
  }

  function useStatic(st, S) {
    if (st.static === S) return;
    const fresh = !st.static || st.static.n !== S.n;
    st.static = S;
    st.queue = [];
    st.shown = null;
    st.lastSeq = -1;
    st.root.dataset.nodes = String(S.n);
    if (fresh || !st.placed) fit(st);
    if (st.selected >= S.n) select(st, -1, false);
  }

  /* The sidebar's run status (player.js, globalThis.mgLive's bus) says this step while training. */
  function sayStep(step, sps) {
    const bus = g.mgLive && g.mgLive.bus;
    if (bus) bus.dispatchEvent(new CustomEvent("status", { detail: sps ? { step, sps } : { step } }));
  }

  /* The legend's note: what the fill shows (the colour button's choice, or its change in the Δ view). */
  function sayFill(st) {
    const what = st.by === "grad" ? "gradient d loss / d node" : "value";
    st.lnote.textContent = `fill = ${st.prev ? "change of the " : ""}${what}, log scale over 4 decades`;
  }

  /* live: a frame of the running trainer (not a snapshot from its history), whose step the sidebar's status says. */
  function show(st, fr, live = false) {
    st.shown = fr;
    st.pictures += 1;
    st.root.dataset.step = String(fr.step);
    st.root.dataset.seq = String(fr.seq);
    st.root.dataset.pictures = String(st.pictures);
    const loss = fr.loss === null ? "not finite" : fmt(fr.loss);
    const every = st.every > 1 ? ` · showing every ${mg.ordinal(st.every)} step` : "";
    const rate = st.rate ? ` · ${st.rate.toFixed(1)} steps/s` : "";
    st.status.textContent = `${st.title ? st.title + " · " : ""}step ${fr.step} · loss ${loss}${every}${rate}`;
    sayFill(st);
    showDetail(st);
    st.dirty = true;
    if (live) sayStep(fr.step, st.rate);
  }

  function update(st, msg) {
    const { header: H, arrays: A } = msg;
    let S = STATICS.get(H.key) || null;
    if (H.static && !S) S = setStatic(st, { ...H.static }, A); // the layout of an architecture is built once
    if (!S) {
      // this element has never seen the architecture: ask Python for the static part (a cheap fragment rerun)
      if (st.setTrigger && st.asked !== H.key) {
        st.asked = H.key;
        st.setTrigger("need", H.key);
      }
      return;
    }
    useStatic(st, S);
    document.body.classList.toggle("mg-projector", !!H.projector); // large fonts, no sidebar (graph_view.css)
    if (mg.lessonSet) mg.lessonSet(st, H.lesson || null);
    st.title = H.title || "";
    st.nLayers = H.layers || 0;
    st.rate = H.rate;
    st.every = H.every || 1;
    const n = S.n;
    const frames = H.seq.map((seq, k) => ({
      seq,
      step: H.steps[k],
      loss: H.losses[k],
      values: A.values.subarray(k * n, (k + 1) * n),
      grads: A.grads.subarray(k * n, (k + 1) * n),
    }));
    st.prev = H.diff ? { values: A.prev_values, grads: A.prev_grads } : null;
    if (H.mode === "still") {
      // a picture from the history while the trainer runs on: the sidebar's status still says the trainer's step
      if (H.trainer_step != null) sayStep(H.trainer_step);
      st.queue = [];
      if (frames.length) {
        st.lastSeq = frames[frames.length - 1].seq;
        show(st, frames[frames.length - 1]);
      }
      return;
    }
    for (const fr of frames) {
      if (fr.seq > st.lastSeq) {
        st.queue.push(fr);
        st.lastSeq = fr.seq;
      }
    }
    if (st.queue.length > MAX_QUEUE) st.queue.splice(0, st.queue.length - MAX_QUEUE); // a hidden tab: keep the newest
    // paused (no trainer step is said while it is not running): the step the trainer stopped at, at once, as the
    // Train page does; playing a tick's steps out at the paused rate (none: 10 a second) took seconds
    const paused = H.mode === "live" && H.trainer_step == null;
    if (st.queue.length && (paused || !st.shown)) {
      if (paused) st.queue = st.queue.slice(-1);
      show(st, st.queue.shift(), true);
      st.shownAt = performance.now();
    }
  }

  /* Playback: each frame is a real training step; frames are spaced by their steps at the training rate, and a queue
   * more than 1.6 ticks behind jumps ahead (a slow tick, a hidden tab). Never blank: the last frame stays. */
  function tick(st, now) {
    if (st.lesson) mg.lessonTick(st, now);
    if (st.queue.length) {
      const rate = st.rate > 0 ? st.rate : 10;
      const newest = st.queue[st.queue.length - 1];
      const cur = st.shown;
      let jumped = false;
      if (cur && (newest.step - cur.step) / rate > 1.6 * tickSeconds()) {
        while (st.queue.length > 1 && (newest.step - st.queue[0].step) / rate > 0.3 * tickSeconds()) {
          st.queue.shift();
          jumped = true;
        }
      }
      const next = st.queue[0];
      // after a jump the next frame is due now (timing it from the shown frame would wait out the skipped steps)
      // (a frame shown by update() has no time yet: paused, a Step's frame waited on NaN forever and the view froze)
      const at = st.shownAt ?? now;
      const due = cur && !jumped && next.step > cur.step ? at + ((next.step - cur.step) * 1000) / rate : now;
      if (now + 4 >= due) {
        st.queue.shift();
        show(st, next, true);
        st.shownAt = Math.max(due, now - 50);
      }
    }
    if (st.dirty) {
      st.dirty = false;
      const t0 = performance.now();
      draw(st);
      const ms = performance.now() - t0;
      // the benchmark reads (and resets) the longest time one picture took to draw
      st.root.dataset.drawMs = ms.toFixed(1);
      st.root.dataset.drawMax = Math.max(Number(st.root.dataset.drawMax || 0), ms).toFixed(1);
    }
  }

  mg.mount = function (component) {
    const { data, parentElement } = component;
    const setTriggerValue = globalThis.mgNav.guard(component.setTriggerValue, parentElement); // see nav.js
    let st = STATES.get(parentElement);
    if (!st) {
      st = { s: 1, tx: 0, ty: 0, by: "grad", queue: [], lastSeq: -1, pictures: 0, selected: -1, highlight: new Set() };
      st.setTrigger = setTriggerValue;
      build(parentElement, st);
      st.root.mgg = {
        shown: (i) => (st.shown ? { step: st.shown.step, data: st.shown.values[i], grad: st.shown.grads[i], lines: labelLines(st, i), title: st.static.titles[i] } : null),
        box: (i) => ({
          x: st.tx + st.static.x[i] * st.s,
          y: st.ty + st.static.y[i] * st.s,
          w: st.static.node[0] * st.s,
          h: st.static.node[1] * st.s,
        }),
        select: (i) => select(st, i, false),
        setHighlight: (ids) => {
          st.highlight = new Set(ids);
          st.dirty = true;
        },
        frame: () => st.shown,
      };
      if (mg.lessonApi) st.root.mgg.lesson = mg.lessonApi(st);
      const loop = (now) => {
        st.raf = requestAnimationFrame(loop);
        tick(st, now);
      };
      st.raf = requestAnimationFrame(loop);
      STATES.set(parentElement, st);
    }
    st.setTrigger = setTriggerValue;
    if (data) {
      try {
        update(st, decode(data));
      } catch (err) {
        st.status.textContent = `The graph view could not read its data: ${err.message}`;
      }
    }
    // st.components.v2 also calls a superseded update's cleanup (an update that landed while the previous call
    // still awaited its import) with the element still on the page: tearing the view down then froze it and the
    // next update built a second one beside it. Tear down only once the element has left the page.
    return () =>
      setTimeout(() => {
        if (parentElement.isConnected) return;
        cancelAnimationFrame(st.raf);
        st.resize.disconnect();
        if (STATES.get(parentElement) === st) STATES.delete(parentElement);
      }, 0);
  };
})();
