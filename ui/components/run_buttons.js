/* Start, Pause, Step and Reset inside the Train view, shown only where the sidebar's are out of sight (live.css: a
 * narrow screen, where Streamlit folds the sidebar away; a folded sidebar; projector mode. QA: a phone read "then
 * press Start" and showed none, and a finished run had no Reset). A click on Start or Pause says so on the bus at
 * once, as the sidebar's buttons do; each asks the server through the view's "control" trigger (pages/train.py). */
(function () {
  const mg = globalThis.mgLive;
  const { el } = mg.paint;
  const ACTS = { start: "Start", pause: "Pause", step: "Step", reset: "Reset" };

  function build(v, parent) {
    const row = el("div", "mgl-run", parent);
    v.runButtons = Object.entries(ACTS).map(([act, text]) => {
      const b = el("button", act === "start" ? "mgl-run-start" : "", row, { type: "button", disabled: "" });
      b.textContent = text;
      b.addEventListener("click", () => {
        if (b.disabled || !v.control) return;
        if (act === "start" || act === "pause") mg.bus.dispatchEvent(new CustomEvent("control", { detail: { act } }));
        v.control(act);
      });
      return b;
    });
  }

  /* Enable what the run's state allows, as the sidebar's: Start unless running or spent, Pause while running, Step
   * unless spent, Reset always. */
  function update(v, state) {
    if (!v.runButtons || v.runState === state) return;
    v.runState = state;
    const [start, pause, step, reset] = v.runButtons;
    const ended = state === "finished" || state === "diverged" || state === "failed";
    start.disabled = state === "running" || ended;
    pause.disabled = state !== "running";
    step.disabled = ended;
    reset.disabled = false;
  }

  /* A Start the server never heard of (QA: about one click in fifteen, pressed the moment a first visit's picture
   * appeared, played the steps sent ahead and then stood at "running · step 56" with Pause off): unless an update
   * says the run started within START_CONFIRM ticks (train_view.js's apply clears v.startRetry), the view asks again
   * through its own trigger (the server's start does nothing more to a running run). */
  const START_CONFIRM = 2.5;
  function confirmStart(v) {
    clearTimeout(v.startRetry);
    v.startRetry = setTimeout(() => v.control && v.control("start"), START_CONFIRM * 1000 * mg.tickSeconds());
  }

  mg.runButtons = { build, update, confirmStart };
})();
