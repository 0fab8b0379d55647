"""A run left behind by a reload: its tab names it to the new session, which ends it and says what is kept.

A run lives in its page's session; reloading (or closing) the page ends that session, and before this the run stayed
"running" in the store until the two-minute sweep (runs.STALE_SECONDS) and the new page said nothing. The browser
remembers the run it was recording in the tab's sessionStorage (ui/components/tab.js), so only that tab, after a
reload, names it; a link never carries it.
"""

from __future__ import annotations

import json

from micrograd.studio.runs import RunStore
from micrograd.studio.status import Status

WHY = "its page was reloaded or closed, which ends a run; weights as last saved"


def saved_step(weights_json: str | None) -> int | None:
    """The step of a stored weights file (None: no weights, or a file without it)."""
    if not weights_json:
        return None
    try:
        step = json.loads(weights_json).get("metrics", {}).get("step")
    except (ValueError, AttributeError):
        return None
    return step if isinstance(step, int) else None


def left_behind(store: RunStore, run_id: object, current: int | None) -> str | None:
    """End run ``run_id``, which this tab recorded before a reload, and say so; None when there is nothing to say
    (it is this session's own run, unknown, or already ended). Only a reload names a run (tab.js), so the session
    that trained it is gone; if it were not, its next heartbeat would take the run back (RunRecorder.beat)."""
    if not isinstance(run_id, int) or isinstance(run_id, bool) or run_id == current:
        return None
    try:
        run = store.get_run(run_id)
    except KeyError:
        return None
    if run["status"] not in (Status.RUNNING.value, Status.PAUSED.value):
        return None
    store.update_run(run_id, status=Status.INTERRUPTED, message=WHY)
    steps, saved = run.get("steps") or 0, saved_step(run.get("weights"))
    kept = (
        f"and its weights at step {saved:,}: open it on the Experiments page to go on from there"
        if saved is not None
        else "but no weights (it ended before they were first saved)"
    )
    return (
        f"Run #{run_id} ({run['name']}) ended when this page was reloaded: a run lives in its page. The run store "
        f"has its first {steps:,} steps {kept}."
    )
