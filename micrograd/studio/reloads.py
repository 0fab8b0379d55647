"""A run left behind by its session: the tab names it to the new session, which ends it and says what is kept.

A run lives in its page's session; reloading (or closing) the page ends that session, and so does a server restart
or a session the server dropped while the page was away. Before this the run stayed "running" in the store until the
two-minute sweep (runs.STALE_SECONDS) and the new session said nothing. The browser remembers the run it was
recording in the tab's sessionStorage (ui/components/tab.js), so only that tab names it: after a reload, or when its
updates come from a new session; a link never carries it.
"""

from __future__ import annotations

import json
import secrets

from micrograd.studio.runs import SESSION_GONE, RunStore
from micrograd.studio.status import Status
from micrograd.studio.store_base import PROCESS_GONE

# why a run ended: (the store's message, the notice's words after "Run #N (name) ended when")
CAUSES = {
    "reload": (
        "its page was reloaded or closed, which ends a run; weights as last saved",
        "this page was reloaded: a run lives in its page",
    ),
    "restart": (
        "the server restarted, which ends every run; weights as last saved",
        "the server restarted: a run lives in the server's memory",
    ),
    "session": (
        "its page's session ended (the page was away from the server too long); weights as last saved",
        "this page's session ended (it was away from the server too long): a run lives in its session",
    ),
}
SERVER = secrets.token_hex(4)  # this server process; a page whose session names another saw the server restart


def session_token(session: str) -> str:
    """What a page's updates carry to name their session: this server process and the session's own token."""
    return f"{SERVER}:{session}"


def cause(previous: object) -> str:
    """Why the page's session is new, from the token its previous session's updates carried: "restart" when that
    was another server process, else "session"."""
    server = previous.split(":", 1)[0] if isinstance(previous, str) else ""
    return "restart" if server != SERVER else "session"


def saved_step(weights_json: str | None) -> int | None:
    """The step of a stored weights file (None: no weights, or a file without it)."""
    if not weights_json:
        return None
    try:
        step = json.loads(weights_json).get("metrics", {}).get("step")
    except (ValueError, AttributeError):
        return None
    return step if isinstance(step, int) else None


def left_behind(store: RunStore, run_id: object, current: int | None, why: str = "reload") -> str | None:
    """End run ``run_id``, which this tab recorded in an earlier session, and say so; None when there is nothing to
    say (it is this session's own run, unknown, or already ended). why: a key of CAUSES. Only a reload or a new
    session names a run (tab.js), so the session that trained it is gone; if it were not, its next heartbeat would
    take the run back (RunRecorder.beat)."""
    message, words = CAUSES[why]
    if not isinstance(run_id, int) or isinstance(run_id, bool) or run_id == current:
        return None
    try:
        run = store.get_run(run_id)
    except KeyError:
        return None
    if run["status"] == Status.INTERRUPTED.value and why != "reload":
        # the store's own sweeps may have ended it first: a restarted server's at open, or the two-minute one (then
        # the session ended, whatever the token says); said all the same, once (the tab forgets a run it named).
        # Any other interrupted run ended for its own reason (e.g. replaced by a new run): nothing to say
        said = run.get("message") or ""
        if said.startswith(SESSION_GONE):
            why = "session"
        elif not said.startswith(PROCESS_GONE):
            return None
        message, words = CAUSES[why]
    elif run["status"] not in (Status.RUNNING.value, Status.PAUSED.value):
        return None
    store.update_run(run_id, status=Status.INTERRUPTED, message=message)
    steps, saved = run.get("steps") or 0, saved_step(run.get("weights"))
    kept = (
        f"and its weights at step {saved:,}: open it on the Experiments page to go on from there"
        if saved is not None
        else "but no weights (it ended before they were first saved)"
    )
    return f"Run #{run_id} ({run['name']}) ended when {words}. The run store has its first {steps:,} steps {kept}."
