/* Page links and the views' triggers.
 *
 * A view's trigger reruns the page it is on (its fragment, or the whole script). Streamlit keeps one pending rerun
 * per session and takes the page of the newest request, so a trigger sent after a click on another page's link, but
 * before that page started, undid the click: the page stayed, or the new page came up blank (a fragment rerun for a
 * fragment the new page does not have; seen in CI, where the Train page's first-screen trigger followed a quick
 * click on Sweeps). So from such a click until Streamlit shows the new page as the current one, the views' triggers
 * wait; a view whose element left meanwhile (its page has gone) sends nothing. And Streamlit sends a trigger on a
 * timer, which a busy page runs after a click made meanwhile (input goes first): a click that finds a trigger not
 * yet sent is replayed once it has been. Shared by the live views' and the graph view's libraries (one listener per
 * document). */
(function () {
  const g = globalThis;
  if (g.mgNav) return;
  const WAIT_MS = 10000; // a click the server never acted on holds the triggers back at most this long
  const NAV = '[data-testid="stSidebarNav"], [data-testid="stTopNav"]';
  const LINKS = `:is(${NAV}) a[href], a[data-testid="stPageLink-NavLink"]`;
  const nav = (g.mgNav = { to: null, at: 0, unsent: 0 }); // the path a click on a page link goes to, and when
  let replaying = false;
  const pathOf = (a) => new URL(a.href, location.href).pathname;
  const linkOf = (node) => (node instanceof Element ? node.closest(LINKS) : null);
  const arm = (a, at) => {
    if (a && pathOf(a) !== location.pathname) {
      nav.to = pathOf(a);
      nav.at = at;
    }
  };
  document.addEventListener(
    "click",
    (e) => {
      // with a modifier key too: Streamlit 1.67's links switch the page in place whatever keys are held (QA)
      if (e.button !== 0) return;
      const a = linkOf(e.target);
      if (a && nav.unsent > 0 && !replaying) {
        // a trigger is still to go: the click after it, so the switch is the newest request (Streamlit's flush
        // timer was set before ours)
        e.preventDefault();
        e.stopImmediatePropagation();
        setTimeout(() => {
          replaying = true; // once: a.click() runs this listener again, at once
          try {
            a.click();
          } finally {
            replaying = false;
          }
        }, 0);
        return;
      }
      arm(a, performance.now());
    },
    true, // before Streamlit's own handler, which starts the switch
  );
  // a click before this file arrived (a quick one on a first visit; the view it races may mount after it): the
  // browser keeps the page's first input, and reports it a frame after the click
  try {
    const first = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) arm(linkOf(e.target), e.startTime);
      first.disconnect();
    });
    first.observe({ type: "first-input", buffered: true });
  } catch (e) {
    // a browser without the Event Timing API: only the clicks from now on are seen
  }
  /* Whether a switch is under way: Streamlit marks the new page current in its navigation (and then shows its
   * address) once that page has started, after the old page's elements have gone. */
  nav.leaving = () => {
    if (nav.to === null) return false;
    const current = document.querySelector(`:is(${NAV}) a[aria-current="page"]`);
    const shown = (current && pathOf(current) === nav.to) || location.pathname === nav.to;
    if (shown || performance.now() - nav.at > WAIT_MS) nav.to = null;
    return nav.to !== null;
  };
  /* A view's setTriggerValue, held back while a page switch is under way; el is the view's element. */
  nav.guard = (set, el) =>
    function send(name, value) {
      if (!el.isConnected) return; // its page has gone: nothing to say
      if (nav.leaving()) return void setTimeout(() => send(name, value), 100);
      nav.unsent += 1;
      try {
        set(name, value); // Streamlit sends it from a setTimeout(0) it sets here, so before this one runs
      } finally {
        setTimeout(() => (nav.unsent -= 1), 0);
      }
    };
})();
