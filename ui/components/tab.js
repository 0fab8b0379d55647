/* The tab: its history and what it remembers across a reload.
 *
 * History: Streamlit pushes a history entry whenever a script changes the query parameters, and the pages mirror
 * every setting into them (ui/url.py), so a page switch made two entries (the page, then its settings) and each
 * setting changed made one: Back needed several presses per page (QA). A change of the query alone now replaces
 * the current entry; a new page still pushes one, so Back goes to the previous page.
 *
 * Storage: a tab remembers the run it records, in sessionStorage: this tab only, kept across a reload, never in a
 * link. After a reload the new session's first update has no run yet; the view then names the one left behind
 * (trigger "was"), and the page ends it and says so (micrograd/studio/reloads.py). A page can also outlive its
 * session without a reload: the server restarted, or dropped the session while the page was away, and Streamlit
 * reconnects it to a new one. Each update names its session (u.session); when it changes, the view names the run
 * and the session it came from (trigger "lost"). */
(function () {
  const mg = globalThis.mgLive;
  if (!history.mgSamePage) {
    const push = history.pushState.bind(history);
    history.pushState = function (state, title, url) {
      const to = url == null ? location : new URL(url, location.href);
      if (to.pathname === location.pathname) return history.replaceState(state, title, url); // the query alone
      return push(state, title, url);
    };
    history.mgSamePage = true; // once per document, however often the library is mounted
  }
  const KEY = "mg_recorded_run";
  const forget = () => sessionStorage.removeItem(KEY); // a run is named once
  mg.tab = {
    seen: false, // the first update of this page load has been looked at
    session: null, // the session the last update came from
    note(u, setTriggerValue) {
      if (!("recorded" in u)) return;
      let was = null;
      try {
        was = sessionStorage.getItem(KEY);
        if (u.recorded != null) sessionStorage.setItem(KEY, String(u.recorded));
      } catch (e) {
        return; // storage blocked (a privacy setting): nothing is remembered
      }
      const before = mg.tab.session;
      mg.tab.session = u.session;
      if (mg.tab.seen) {
        if (before && u.session && before !== u.session && was !== null && Number(was) !== u.recorded) {
          setTriggerValue("lost", { run: Number(was), from: before });
          forget();
        } else if (before === u.session && u.recorded == null && was !== null) {
          forget(); // this session records no run now: the one remembered ended here (Reset, new settings)
        }
        return;
      }
      mg.tab.seen = true;
      // only a reload: a duplicated or restored tab has this storage too, but the session it names may be alive;
      // such a tab forgets it, so it can never name another tab's run later (trigger "lost")
      const nav = performance.getEntriesByType("navigation")[0];
      if (!nav || nav.type !== "reload") {
        if (u.recorded == null) forget();
        return;
      }
      if (was !== null && Number(was) !== u.recorded) {
        setTriggerValue("was", Number(was));
        forget();
      }
    },
  };
})();
