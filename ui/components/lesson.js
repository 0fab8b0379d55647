/* The step-through lesson on the live graph view (loaded after graph_view.js, same library component).
 *
 * Python (micrograd/views/lesson.py) sends the steps in the view's header as `lesson`: {key, note, steps:
 * [{p: phase, f: focus node, ids, e: [[child, parent]...], t: [lines], d: [local derivative per edge]}]}, once
 * per lesson; later updates send {key} alone and the steps kept in LESSONS are replayed.
 * This file only plays them: step forward / back, play / pause at a speed, the nodes done so far lit and the rest
 * faded, the current edges drawn thick with their local derivative, a click on a node jumps to its chain rule.
 * Stepping is read-only: nothing goes back to Python. Lines are user text (feature names): textContent only.
 *
 * Test hooks: root.dataset.lessonStep / lessonSteps / lessonFocus / lessonPhase; root.mgg.lesson.{go(k), state()}.
 */
(function () {
  const g = globalThis;
  const mg = (g.mgGraph = g.mgGraph || {});
  const SPEEDS = [0.5, 1, 2, 4, 8, 16]; // steps per second
  const PHASES = { forward: "forward pass", backward: "backward pass", update: "update" };
  const CUR = "#d62728"; // the current step's nodes and edges

  function panel(st) {
    const box = document.createElement("div");
    box.className = "mgl-panel";
    box.innerHTML = `
      <div class="mgl-bar">
        <button type="button" data-l="first" title="Back to the start">start</button>
        <button type="button" data-l="back" title="Step back (←)">◀ back</button>
        <button type="button" data-l="play" title="Play / pause">▶ play</button>
        <button type="button" data-l="fwd" title="Step forward (→)">step ▶</button>
        <button type="button" data-l="bwd" title="Jump to the backward pass">backward</button>
        <button type="button" data-l="upd" title="Jump to the update">update</button>
        <label>speed <select data-l="speed">${SPEEDS.map((s) => `<option value="${s}">${s}/s</option>`).join("")}</select></label>
        <span class="mgl-pos"></span>
      </div>
      <div class="mgl-note"></div>
      <div class="mgl-lines" aria-live="polite"></div>`;
    st.root.insertBefore(box, st.root.querySelector(".mgg-stage"));
    box.querySelector("select").value = "2";
    box.addEventListener("click", (e) => {
      const act = e.target.closest("button")?.dataset.l;
      const L = st.lesson;
      if (!act || !L) return;
      if (act === "play") setPlaying(st, !L.playing);
      else {
        setPlaying(st, false);
        if (act === "fwd") go(st, L.k + 1);
        else if (act === "back") go(st, L.k - 1);
        else if (act === "first") go(st, 0);
        else if (act === "bwd") go(st, L.steps.findIndex((s) => s.p === "backward"));
        else if (act === "upd") go(st, L.steps.findIndex((s) => s.p === "update"));
      }
    });
    // ← and → step, as a presenter's clicker does (not while typing in a field or moving a slider)
    document.addEventListener("keydown", (e) => {
      const L = st.lesson;
      if (!L || box.hidden || !box.isConnected || e.target.closest?.("input, textarea, select, [role=slider]")) return;
      if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
      e.preventDefault();
      setPlaying(st, false);
      go(st, L.k + (e.key === "ArrowRight" ? 1 : -1));
    });
    box.querySelector("select").addEventListener("change", (e) => {
      if (st.lesson) st.lesson.speed = Number(e.target.value);
    });
    return box;
  }

  function setPlaying(st, on) {
    const L = st.lesson;
    L.playing = on && L.k < L.steps.length - 1;
    L.last = performance.now();
    L.box.querySelector('[data-l="play"]').textContent = L.playing ? "❚❚ pause" : "▶ play";
  }

  /* The lit nodes: those of the current phase's steps up to k (values computed so far, or gradients so far). */
  function lit(L) {
    const on = new Set();
    const phase = L.steps[L.k].p;
    for (let j = 0; j <= L.k; j++) if (L.steps[j].p === phase) for (const i of L.steps[j].ids) on.add(i);
    return on;
  }

  function go(st, k) {
    const L = st.lesson;
    if (!L || !L.steps.length) return;
    L.k = Math.max(0, Math.min(L.steps.length - 1, k));
    const s = L.steps[L.k];
    L.lit = lit(L);
    L.box.querySelector(".mgl-pos").textContent = `step ${L.k + 1} of ${L.steps.length} · ${PHASES[s.p] || s.p}`;
    const lines = L.box.querySelector(".mgl-lines");
    lines.replaceChildren(
      ...s.t.map((t) => {
        const d = document.createElement("div");
        d.className = "mgl-line";
        d.textContent = t; // feature names are user text: never HTML
        return d;
      }),
    );
    const r = st.root.dataset;
    r.lessonStep = String(L.k);
    r.lessonFocus = String(s.f);
    r.lessonPhase = s.p;
    // no focus ("Given: the inputs..."): its leftmost node, an input (QA: a small graph opened at its loss end)
    const xs = st.static ? st.static.x : null;
    const at = s.f >= 0 || !xs ? s.f : s.ids.reduce((a, i) => (a < 0 || xs[i] < xs[a] ? i : a), -1);
    if (at >= 0) centre(st, at, s.f < 0);
    st.dirty = true;
  }

  /* Pan so the current node is in view (zoom unchanged) when it is not: at the middle, or at the left edge. */
  function centre(st, i, left = false) {
    const S = st.static;
    if (!S || i >= S.n) return;
    const w = st.canvas.clientWidth, h = st.canvas.clientHeight;
    const x = st.tx + S.x[i] * st.s, y = st.ty + S.y[i] * st.s;
    const bw = S.node[0] * st.s, bh = S.node[1] * st.s;
    if (x >= 0 && y >= 0 && x + bw <= w && y + bh <= h) return;
    st.tx += left ? 20 - x : w / 2 - (x + bw / 2);
    st.ty += h / 2 - (y + bh / 2);
    st.placed = true;
  }

  /* Whether node i's value (what "value") or gradient ("grad") is known at the lesson's step, so the picture shows
   * it: the forward pass has computed the values of the nodes lit so far (the leaves are given) and no gradient yet,
   * the backward pass the gradients of the nodes lit so far (QA: the forward pass showed every gradient already). */
  mg.lessonKnows = function (st, i, what) {
    const L = st.lesson;
    if (!L || !L.lit) return true;
    const p = L.steps[L.k].p;
    if (p === "update") return true;
    return what === "grad" ? p === "backward" && L.lit.has(i) : p !== "forward" || L.lit.has(i);
  };

  const LESSONS = (mg.lessons = mg.lessons || new Map()); // lesson key -> its steps, kept across updates and re-mounts

  /* The lesson an update names: its steps come once per lesson (then kept here); later updates send only the key.
   * A key this page has never seen (a new element after a reload) asks Python for the steps once, as the layout does. */
  function resolve(st, data) {
    if (data.steps) {
      LESSONS.delete(data.key);
      LESSONS.set(data.key, data);
      while (LESSONS.size > 4) LESSONS.delete(LESSONS.keys().next().value);
      return data;
    }
    const known = LESSONS.get(data.key);
    if (known) return known;
    if (st.setTrigger && st.askedLesson !== data.key) {
      st.askedLesson = data.key;
      st.setTrigger("need", "lesson:" + data.key);
    }
    return null;
  }

  mg.lessonSet = function (st, sent) {
    const data = sent && resolve(st, sent);
    if (!data) {
      if (st.lesson) st.lesson.box.hidden = true;
      st.lesson = null;
      delete st.root.dataset.lessonSteps;
      st.dirty = true;
      return;
    }
    const box = st.lessonBox || (st.lessonBox = panel(st));
    box.hidden = false;
    const old = st.lesson;
    const same = old && old.key === data.key;
    st.lesson = { key: data.key, steps: data.steps, box, k: same ? old.k : 0, playing: same && old.playing, speed: Number(box.querySelector("select").value), last: performance.now() };
    box.querySelector(".mgl-note").textContent = data.note || "";
    box.querySelector(".mgl-note").hidden = !data.note;
    st.root.dataset.lessonSteps = String(data.steps.length);
    setPlaying(st, st.lesson.playing);
    if (data.start !== undefined && !same) go(st, data.start);
    else go(st, st.lesson.k);
  };

  mg.lessonTick = function (st, now) {
    const L = st.lesson;
    if (!L || !L.playing) return;
    if (now - L.last >= 1000 / L.speed) {
      L.last = now;
      go(st, L.k + 1);
      if (L.k >= L.steps.length - 1) setPlaying(st, false);
    }
  };

  /* A click on a node: its backward step (its chain rule), else its forward or update step. */
  mg.lessonJump = function (st, id) {
    const L = st.lesson;
    if (!L || id < 0) return;
    setPlaying(st, false);
    for (const phase of ["backward", "forward", "update"]) {
      const k = L.steps.findIndex((s) => s.p === phase && (s.f === id || s.ids.includes(id)));
      if (k >= 0) return go(st, k);
    }
  };

  /* Drawn over the graph in graph coordinates: unlit nodes faded, the current nodes and edges in red. */
  mg.lessonDraw = function (st, ctx) {
    const L = st.lesson, S = st.static;
    if (!L || !S || !L.lit) return;
    const [w, h] = S.node;
    const s = L.steps[L.k];
    ctx.fillStyle = "rgba(255,255,255,0.72)";
    for (let i = 0; i < S.n; i++) if (!L.lit.has(i)) ctx.fillRect(S.x[i] - 1, S.y[i] - 1, w + 2, h + 2);
    ctx.strokeStyle = CUR;
    ctx.lineWidth = 3.5 / Math.min(st.s, 1);
    ctx.beginPath();
    for (const [a, b] of s.e) {
      const ax = S.x[a] + w, ay = S.y[a] + h / 2, bx = S.x[b], by = S.y[b] + h / 2, mx = (ax + bx) / 2;
      ctx.moveTo(ax, ay);
      ctx.bezierCurveTo(mx, ay, mx, by, bx, by);
    }
    ctx.stroke();
    ctx.beginPath();
    for (const i of s.ids) ctx.rect(S.x[i] - 4, S.y[i] - 4, w + 8, h + 8);
    ctx.stroke();
    if (st.s * 11 >= 7 && s.d) {
      // the local derivative each highlighted edge carries, at its middle
      ctx.font = "bold 12px Helvetica, Arial, sans-serif";
      ctx.textBaseline = "middle";
      s.e.forEach(([a, b], j) => {
        const d = s.d[j];
        if (d === null || d === undefined || Number.isNaN(d)) return;
        const mx = (S.x[a] + w + S.x[b]) / 2, my = (S.y[a] + S.y[b] + h) / 2;
        const t = `×${mg.fmt(d)}`;
        const tw = ctx.measureText(t).width;
        ctx.fillStyle = "#ffffff";
        ctx.fillRect(mx - tw / 2 - 3, my - 9, tw + 6, 18);
        ctx.fillStyle = CUR;
        ctx.fillText(t, mx - tw / 2, my);
      });
    }
  };

  mg.lessonApi = (st) => ({
    go: (k) => go(st, k),
    state: () => (st.lesson && st.lesson.steps.length ? { k: st.lesson.k, n: st.lesson.steps.length, step: st.lesson.steps[st.lesson.k], lit: [...(st.lesson.lit || [])] } : null),
    text: () => (st.lesson ? st.lesson.box.querySelector(".mgl-lines").textContent : ""),
  });
})();
