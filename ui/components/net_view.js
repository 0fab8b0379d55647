/* The Graph page's network view (needs player.js, paint.js, train_net.js): the Train view's network picture,
 * larger, and nothing else. Payloads come from micrograd/views/live_net.py: every frame is a network picture.
 * The element mounts once; each payload only feeds the player. A click on a neuron says which (trigger "neuron"). */
(function () {
  const mg = globalThis.mgLive;
  const { el } = mg.paint;

  function build(root) {
    const v = { root };
    v.wrap = el("div", "mgl-train mgl-netview", root);
    v.head = el("div", "mgl-head", v.wrap);
    v.net = el("div", "mgl-net", v.wrap);
    v.netNote = el("div", "mgl-legend", v.wrap);
    v.tip = el("div", "mgl-tip", v.wrap);
    v.player = new mg.Player((f) => show(v, f));
    return v;
  }

  function setStatic(v, s) {
    v.static = s;
    v.lut = mg.paint.colours(s.palette);
    mg.trainNet.build(v, s);
    v.netNote.textContent += " Click a neuron to open its scalar operations in the Computation graph tab.";
    v.nodes.forEach((box, k) => {
      box.style.cursor = "pointer";
      box.addEventListener("click", () => v.pickNeuron(k));
    });
    v.net.dataset.neurons = String(v.nodes.length);
  }

  /* k-th neuron box (hidden and output layers, in order) -> "layer.j", as the Graph page names it. */
  function neuronOf(v, k) {
    const sizes = v.static.sizes;
    for (let li = 1; li < sizes.length; li++) {
      if (k < sizes[li]) return `${li - 1}.${k}`;
      k -= sizes[li];
    }
    return null;
  }

  function show(v, f) {
    if (!v.static || !f.net) return;
    mg.trainNet.draw(v, f.net, f.step);
    v.shown = f.step;
    v.net.dataset.shown = String(+(v.net.dataset.shown || 0) + 1);
    v.net.dataset.skipped = v.player.skipped; // steps the player dropped (far behind): tests read it
    head(v);
    if (v.status && v.status.state === "running") mg.bus.dispatchEvent(new CustomEvent("status", { detail: { step: f.step } }));
  }

  function head(v) {
    const st = v.status;
    if (!st) return;
    const every = st.state === "running" && st.every > 1 ? ` · showing every ${mg.paint.ordinal(st.every)} step` : "";
    const step = v.shown !== undefined ? v.shown.toLocaleString("en-US") : "—";
    v.head.textContent = `${st.state} · step ${step}${mg.paint.budget(st.budget, "of")}${every}`;
    v.head.dataset.state = st.state;
  }

  /* One decoded payload (mg.receive): the static part, the status and the frames to play. */
  function apply(v, u) {
    const newRun = u.reset && u.status.run !== v.run;
    v.run = u.status.run;
    if (u.static) setStatic(v, u.static);
    v.status = u.status;
    v.player.speed = u.status.speed;
    if (u.frames) {
      // paused, a new element or a new run: the newest picture at once (never blank); else play them
      if (u.status.state !== "running" || newRun || !v.player.last) v.player.showNow(u.frames[u.frames.length - 1]);
      else v.player.push(u.frames);
    }
    head(v);
  }

  mg.views.net = function ({ data, parentElement, setTriggerValue: set }) {
    const setTriggerValue = globalThis.mgNav.guard(set, parentElement); // not while leaving for another page
    let v = mg.states.get(parentElement);
    if (!v) {
      v = build(parentElement);
      mg.states.set(parentElement, v);
    }
    v.pickNeuron = (k) => {
      const name = v.static && neuronOf(v, k);
      if (name) setTriggerValue("neuron", name);
    };
    v.need = (seq) => setTriggerValue("need", seq);
    if (!v.onControl) {
      // Pause says paused at once; the server's update then shows the step the model holds
      v.onControl = (e) => {
        if (e.detail.act === "pause" && v.status && v.status.state === "running") {
          v.status = { ...v.status, state: "paused" };
          v.player.jumpToNewest();
          head(v);
        }
      };
      mg.bus.addEventListener("control", v.onControl);
    }
    mg.receive(v, data, (u) => apply(v, u), "network view");
    return () => {
      v.player.destroy();
      mg.bus.removeEventListener("control", v.onControl);
      if (mg.states.get(parentElement) === v) mg.states.delete(parentElement);
    };
  };
})();
