/* A tab remembers the run it records, in sessionStorage: this tab only, kept across a reload, never in a link.
 * After a reload the new session's first update has no run yet; the view then names the one left behind (trigger
 * "was"), and the page ends it and says so (micrograd/studio/reloads.py). */
(function () {
  const mg = globalThis.mgLive;
  const KEY = "mg_recorded_run";
  mg.tab = {
    seen: false, // the first update of this page load has been looked at
    note(u, setTriggerValue) {
      if (!("recorded" in u)) return;
      let was = null;
      try {
        was = sessionStorage.getItem(KEY);
        if (u.recorded != null) sessionStorage.setItem(KEY, String(u.recorded));
      } catch (e) {
        return; // storage blocked (a privacy setting): nothing is remembered
      }
      if (mg.tab.seen) return;
      mg.tab.seen = true;
      // only a reload: a duplicated or restored tab has this storage too, but the session it names may be alive
      const nav = performance.getEntriesByType("navigation")[0];
      if (!nav || nav.type !== "reload") return;
      if (was !== null && Number(was) !== u.recorded) setTriggerValue("was", Number(was));
    },
  };
})();
