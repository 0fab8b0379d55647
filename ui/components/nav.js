/* Page links and the views' triggers.
 *
 * A view's trigger reruns the page it is on (its fragment, or the whole script). Streamlit keeps one pending rerun
 * per session and takes the page of the newest request, so a trigger sent after a click on another page's link, but
 * before that page started, undid the click: the page stayed, or the new page came up blank (a fragment rerun for a
 * fragment the new page does not have; seen in CI, where the Train page's first-screen trigger followed a quick
 * click on Sweeps). So from such a click until the address shows the new page, the views' triggers wait; a view
 * whose element left meanwhile sends nothing. Shared by the live views' and the graph view's libraries (one listener
 * per document). */
(function () {
  const g = globalThis;
  if (g.mgNav) return;
  const WAIT_MS = 10000; // a click the server never acted on holds the triggers back at most this long
  const LINKS = '[data-testid="stSidebarNav"] a[href], [data-testid="stTopNav"] a[href], a[data-testid="stPageLink-NavLink"]';
  const nav = (g.mgNav = { from: null, at: 0 }); // the path a click leaves, and when
  document.addEventListener(
    "click",
    (e) => {
      if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return; // a new tab or window: we stay
      const a = e.target instanceof Element ? e.target.closest(LINKS) : null;
      if (a && new URL(a.href, location.href).pathname !== location.pathname) {
        nav.from = location.pathname;
        nav.at = performance.now();
      }
    },
    true, // before Streamlit's own handler, which starts the switch
  );
  // the address changes after the old page's elements have gone (measured: elements at 50 ms, address at 200 ms)
  nav.leaving = () => nav.from === location.pathname && performance.now() - nav.at < WAIT_MS;
  /* A view's setTriggerValue, held back while a page switch is under way; el is the view's element. */
  nav.guard = (set, el) =>
    function send(name, value) {
      if (!el.isConnected) return; // its page has gone: nothing to say
      if (nav.leaving()) return void setTimeout(() => send(name, value), 100);
      set(name, value);
    };
})();
