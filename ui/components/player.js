/* mgLive core, shared by every live view: payload decoding, the playback clock, the status bus.
 *
 * A view registers `mgLive.views[kind] = (component) => cleanup`; its own tiny component hands its element over
 * with `mgLive.mount(kind, component)` (see ui/components/live.py). Payloads come from micrograd/views/live.py.
 */
const mg = (globalThis.mgLive = globalThis.mgLive || {});
mg.views = mg.views || {};
mg.bus = mg.bus || new EventTarget(); // "status" events: {detail: {state, step, budget, sps, note}}

/* The sidebar's Start and Pause (Streamlit buttons keyed btn_start / btn_pause) as "control" events on the bus, the
 * moment they are clicked: the views answer at once instead of after the server's rerun. */
if (!mg.controlsHooked) {
  mg.controlsHooked = true;
  document.addEventListener(
    "click",
    (e) => {
      const b = e.target.closest && e.target.closest("button");
      const act = !b || b.disabled ? null : b.closest(".st-key-btn_start") ? "start" : b.closest(".st-key-btn_pause") ? "pause" : null;
      if (act) mg.bus.dispatchEvent(new CustomEvent("control", { detail: { act } }));
    },
    true,
  );
}

const WIDTH = { i1: 1, u1: 1, f2: 2, f4: 4, f8: 8, i4: 4 }; // bytes per value of each dtype sent

mg.inflate = async function (bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Response(stream).arrayBuffer();
};

function half(h) {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/* Payload bytes -> the update dict, numpy arrays as typed arrays (float16 widened to Float32Array). */
mg.decode = async function (bytes) {
  const buf = await mg.inflate(bytes);
  const dv = new DataView(buf);
  if (new TextDecoder().decode(new Uint8Array(buf, 0, 4)) !== "MGL1") throw new Error("not a live-view payload");
  const n = dv.getUint32(4, true);
  const base = 8 + n;
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 8, n)));
  const typed = (dtype, b, at, count) => {
    if (dtype === "i1") return new Int8Array(b, at, count);
    if (dtype === "u1") return new Uint8Array(b, at, count);
    if (dtype === "f4") return new Float32Array(b, at, count);
    if (dtype === "f8") return new Float64Array(b.slice(at, at + 8 * count));
    if (dtype === "i4") return new Int32Array(b, at, count);
    if (dtype === "f2") {
      const h = new Uint16Array(b, at, count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = half(h[i]);
      return out;
    }
    throw new Error("unknown dtype " + dtype);
  };
  // a frame's pictures as changes (micrograd/views/wire.py): "x" 1, XORed with the previous array of the same dtype
  // and size in document order; "p", in byte planes. Both ends walk the arrays in the same order.
  const before = new Map();
  const chained = (v) => {
    const k = WIDTH[v.$], nb = k * v.n, src = new Uint8Array(buf, base + v.o, nb), out = new Uint8Array(nb);
    if (v.p) for (let j = 0; j < k; j++) for (let i = 0, at = j * v.n; i < v.n; i++) out[i * k + j] = src[at + i];
    else out.set(src);
    const key = v.$ + ":" + v.n;
    if (v.x) {
      const prev = before.get(key);
      for (let i = 0; i < nb; i++) out[i] ^= prev[i];
    }
    before.set(key, out);
    return typed(v.$, out.buffer, 0, v.n);
  };
  const arr = (v) => ("x" in v ? chained(v) : typed(v.$, buf, base + v.o, v.n));
  const walk = (v) => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") {
      if ("$" in v && "o" in v) return arr(v);
      const o = {};
      for (const k in v) o[k] = walk(v[k]);
      return o;
    }
    return v;
  };
  return walk(header);
};

/* Seconds between the server's live updates (ui.options.TICK_SECONDS, sent with the sidebar's status): the players
 * measure how far behind they are in ticks. */
mg.tickSeconds = () => (mg.tick > 0 ? mg.tick : 1);

/* Plays buffered frames ({step, ...}) back at `speed` steps per second, one picture per animation frame at
 * most; never interpolates. Behind by more than catchUp ticks (a late tick), it plays faster, in proportion, until
 * it is not; far behind (maxLag ticks: a stalled machine, a hidden tab), it drops the oldest frames. */
mg.Player = class {
  constructor(show) {
    this.show = show; // show(frame, nowMs)
    this.buf = [];
    this.speed = 10;
    this.last = null; // the frame on screen
    this.lastAt = 0;
    this.skipped = 0;
    this.catchUp = 1.4; // ticks behind the newest buffered step before playing faster (one tick's steps come at once)
    this.maxLag = 3.5; // ticks of steps kept buffered at most
    this.loop = this.loop.bind(this);
    this.raf = requestAnimationFrame(this.loop);
    this.onVisible = () => {
      if (!document.hidden && this.buf.length) {
        this.skipped += this.buf.length - 1;
        this.buf = this.buf.slice(-1); // jump to the newest step
      }
    };
    document.addEventListener("visibilitychange", this.onVisible);
  }
  push(frames) {
    const newest = this.buf.length ? this.buf[this.buf.length - 1].step : this.last ? this.last.step : -1;
    for (const f of frames) if (f.step > newest) this.buf.push(f);
    if (document.hidden && this.buf.length > 1) {
      // a hidden tab paints nothing: keep the newest step only, shown at once when the tab is back
      this.skipped += this.buf.length - 1;
      this.buf = this.buf.slice(-1);
    }
  }
  clear() {
    this.buf = [];
    this.last = null;
  }
  loop(now) {
    this.raf = requestAnimationFrame(this.loop);
    if (!this.buf.length || document.hidden) return;
    const speed = Math.max(this.speed, 1e-6);
    const newest = this.buf[this.buf.length - 1].step;
    let jumped = false;
    const tick = mg.tickSeconds();
    const catchUp = this.catchUp * tick;
    if (this.last && (newest - this.last.step) / speed > this.maxLag * tick) {
      const keep = newest - speed * this.maxLag * tick * 0.3;
      while (this.buf.length > 1 && this.buf[0].step < keep) {
        this.buf.shift();
        this.skipped++;
        jumped = true;
      }
    }
    const next = this.buf[0];
    const lag = this.last ? (newest - this.last.step) / speed : 0;
    const pace = lag > catchUp ? speed * Math.min(lag / catchUp, 4) : speed; // every step still shown
    // after a jump the next frame is due now: timing it from the frame on screen would wait out the skipped
    // steps too, and as new ticks kept the lag up, the view froze (dropping frames, never showing one)
    const due = this.last && !jumped ? this.lastAt + ((next.step - this.last.step) * 1000) / pace : now;
    if (now + 4 < due) return; // not yet (4 ms: an animation frame that lands just early still shows it)
    this.buf.shift();
    this.last = next;
    this.lastAt = Math.max(due, now - 50); // no drift beyond one late frame
    this.show(next, now);
  }
  /* Show frame f now, dropping the buffer (paused, a new element, a new run): the canvas is never blank. */
  showNow(f) {
    this.clear();
    this.last = f;
    this.lastAt = performance.now();
    this.show(f, this.lastAt);
  }
  /* Pause: the buffered steps, already taken, jump to the newest at once (a count going on under "paused" reads
   * as training). */
  jumpToNewest() {
    const buf = this.buf;
    if (!buf.length) return;
    this.skipped += buf.length - 1;
    this.showNow(buf[buf.length - 1]);
  }
  /* Pause before the server has confirmed Start: the steps buffered ahead are not the trainer's yet; the picture
   * on screen stays until the server says where it stopped. */
  dropBuffered() {
    this.buf = [];
  }
  destroy() {
    cancelAnimationFrame(this.raf);
    document.removeEventListener("visibilitychange", this.onVisible);
  }
};

mg.states = mg.states || new WeakMap(); // parentElement -> the view's state

/* A live view's payloads (micrograd/views/live.py), decoded in order: apply(u) gets each new one. An old payload
 * seen again is dropped; a new element that missed the static part (no full run re-sent it) asks Python for it with
 * v.need(seq), once per feed. v.gaps counts updates that never arrived (a dropped message). */
mg.receive = function (v, data, apply, what) {
  if (!data || data === v.bytes) return; // an effect re-run with the same payload changes nothing
  const bytes = (v.bytes = data);
  // payloads decode asynchronously; chain them so they land in order
  v.queue = (v.queue || Promise.resolve())
    .then(() => mg.decode(bytes))
    .then((u) => {
      if (u.feed === v.feed && u.seq <= v.seq) return;
      if (u.feed === v.feed && u.seq > v.seq + 1) v.gaps = (v.gaps || 0) + 1;
      if (!u.static && !v.static) {
        if (v.asked !== u.feed) (v.asked = u.feed), v.need(u.seq);
        return;
      }
      v.feed = u.feed;
      v.seq = u.seq;
      apply(u);
    })
    .catch((e) => console.error(what + ":", e));
};

/* Hand a component's element to the registered view; returns the cleanup st.components.v2 keeps.
 *
 * st.components.v2 calls a component's function again on every data update, with the same parentElement, and
 * awaits it (our stub awaits a dynamic import and the library). When the next update lands before that await
 * settles, the runtime calls the superseded call's cleanup at once, while the element stays on the page. A view
 * torn down then (its state dropped, its animation loop stopped) froze, and the next update built a second view
 * beside it in the same element. So the cleanup only tears a view down once its element has left the page: React
 * runs an unmounted element's cleanups after removing it from the DOM. */
mg.mount = function (kind, component) {
  const view = mg.views[kind];
  if (!view) throw new Error("no live view named " + kind);
  const el = component.parentElement;
  const teardown = view(component); // the view's own teardown: stops its loops, forgets el's state
  return () => mg.release(el, teardown);
};

mg.release = function (el, teardown) {
  setTimeout(() => {
    if (!el.isConnected) teardown(); // still on the page: a superseded update's cleanup, the view lives on
  }, 0);
};

/* Where no view plays (the Graph page's "Why training fails" tab), each tick says the trainer's step (live.py). */
mg.views.step = function ({ data }) {
  if (data) mg.bus.dispatchEvent(new CustomEvent("status", { detail: { step: data.step } }));
  return () => {};
};

/* The sidebar's run status: the newest full run says the state; the playing view says the step on screen. */
mg.views.status = function ({ data, parentElement }) {
  let st = mg.states.get(parentElement);
  if (!st) {
    const el = document.createElement("div");
    el.className = "mgl-status";
    el.innerHTML = '<strong class="mgl-state"></strong> <span class="mgl-step"></span>';
    parentElement.appendChild(el);
    st = { el, state: el.querySelector(".mgl-state"), step: el.querySelector(".mgl-step") };
    st.listener = (e) => {
      const d = e.detail;
      if (d.step !== undefined) st.shown = d.step;
      st.viewState = d.state; // only the Train page's view says its state (undefined from the others)
      st.viewAt = performance.now();
      if (d.sps !== undefined) st.sps = d.sps;
      render();
    };
    mg.bus.addEventListener("status", st.listener);
    st.control = (e) => {
      // what a click on Start or Pause means, shown until the server's rerun sends the state
      st.said = e.detail.act === "pause" ? "paused" : "running";
      render();
    };
    mg.bus.addEventListener("control", st.control);
    mg.states.set(parentElement, st);
  }
  const render = () => {
    const d = st.data;
    // a finished run whose last steps a view still plays: running, at the step on screen, until it shows the last
    const playing =
      d.state === "finished" && st.viewState === "running" && st.shown !== undefined && st.shown < d.step && performance.now() - st.viewAt < 2000;
    clearTimeout(st.timer);
    if (playing) st.timer = setTimeout(render, 2000); // a view that went quiet (it left the page) no longer holds it
    const state = st.said || (playing ? "running" : d.state); // what a click said shows at once; data-state stays the server's
    st.el.dataset.state = d.state;
    st.el.dataset.said = st.said || "";
    mg.paint.text(st.state, state);
    // while running, or after a click said paused (until the server answers): the step on screen
    const step = (state === "running" || st.said) && st.shown !== undefined ? Math.max(st.shown, 0) : d.step;
    st.el.dataset.step = step;
    mg.paint.text(st.step, `· step ${step.toLocaleString("en-US")}${mg.paint.budget(d.budget)}`);
  };
  if (data) {
    if (data.tick > 0) mg.tick = data.tick; // seconds between the server's live updates: the players' unit
    // a re-render with the data already shown keeps what a click said; the next rerun's data replaces it
    if (JSON.stringify(data) !== JSON.stringify(st.data)) st.said = null;
    st.data = data;
    if (data.state !== "running" && data.state !== "finished") st.shown = undefined; // finished: a view may play on
  }
  render();
  return () => {
    clearTimeout(st.timer);
    mg.bus.removeEventListener("status", st.listener);
    mg.bus.removeEventListener("control", st.control);
    if (mg.states.get(parentElement) === st) mg.states.delete(parentElement);
  };
};
