/* Start and Pause inside the Train view, shown only where the sidebar's are out of sight (live.css: a narrow screen,
 * where Streamlit folds the sidebar away; a folded sidebar; projector mode. QA: a phone read "then press Start" and
 * showed none). A click says so on the bus at once,
 * as the sidebar's buttons do, and asks the server through the view's "control" trigger (pages/train.py). */
(function () {
  const mg = globalThis.mgLive;
  const { el } = mg.paint;

  function build(v, parent) {
    const row = el("div", "mgl-run", parent);
    v.runButtons = ["start", "pause"].map((act) => {
      const b = el("button", act === "start" ? "mgl-run-start" : "", row, { type: "button", disabled: "" });
      b.textContent = act === "start" ? "Start" : "Pause";
      b.addEventListener("click", () => {
        if (b.disabled || !v.control) return;
        mg.bus.dispatchEvent(new CustomEvent("control", { detail: { act } }));
        v.control(act);
      });
      return b;
    });
  }

  /* Enable what the run's state allows (as the sidebar's: Start unless running or spent, Pause while running). */
  function update(v, state) {
    if (!v.runButtons || v.runState === state) return;
    v.runState = state;
    const [start, pause] = v.runButtons, ended = state === "finished" || state === "diverged" || state === "failed";
    start.disabled = state === "running" || ended;
    pause.disabled = state !== "running";
  }

  mg.runButtons = { build, update };
})();
