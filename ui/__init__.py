"""Streamlit glue shared by every page (the only code besides pages/ that imports streamlit).

Session-state keys (everything lives in ``st.session_state``; no module-level mutable state):

- ``trainer``: the session's ``micrograd.studio.trainer.Trainer`` (model, data, history). Read it with ``get_trainer()``.
- ``running``: True while the live fragment is training.
- ``tick``: ``{"steps", "seconds"}`` of the last live tick; ``clock``: the live run's pace anchor (ui.controls).
- ``live_feed``: the Train page's ``micrograd.views.live.LiveFeed`` (what its browser view holds).
- ``notices``: messages shown once on the next full run (e.g. "Architecture changed: weights re-initialised");
  ``url_warnings``: query parameters that were ignored, shown once as warnings.
- ``csv``: the uploaded CSV as ``{"name", "data" (bytes), "columns"}``; ``csv_error``: its problem, if any.
- ``weights_error``: problems of the last weights file that failed to import (list of sentences).
- ``uploads``: a counter in the uploaders' keys; bumping it clears them.
- ``on_step``: optional callable given to every new Trainer.
- ``recorder``: the session's ``micrograd.studio.recording.SessionRecorder``; every run is saved in the run store.
- ``snapshots``: the session's ``micrograd.views.graph_live.LiveSeries`` (graph snapshots every N steps and on pause).
- ``w_*``: the sidebar widgets' values; the query parameters mirror them. ``settings`` keeps a copy, because
  Streamlit drops a widget's value in any run that does not draw it (hidden widgets, page switches).
- ``view_*``: display-only widgets of the Train page (feature pair, log scale).
- ``tab_session``: this session's token in the Train view's updates (``session_token()``; ui/components/tab.js).
- ``_via_dashboard``: True while dashboard.py runs the page (see ``require_dashboard``).
- ``first_screen``: True while the session's first run of the Train page draws only its first screen (the run
  controls, the view, its messages); the view then asks for the rest (``ui.session.first_screen``).
  ``settle_pending``: the settings' values still wait for their widgets; ``settle_until``: until then each full run
  sends their values again. ``rest_due``: the view asked for the rest of the page; ``rest_keeps_view``: the full run
  that draws it keeps the view's static part (pages/train.py). ``control_rerun``: the view's own Start or Pause (shown
  where the sidebar is out of sight) was pressed: the fragment reruns the page once it has sent the view.
- ``_return_to``: the page a direct first request asked for; dashboard.py switches to it after set-up.
"""

from micrograd.studio.threads import one_blas_thread
from ui.controls import (
    ACTIONS,
    new_data,
    on_dataset_change,
    page_run_buttons,
    pause,
    reset,
    run_controls,
    start,
    step_once,
    steps_per_second,
    tick,
    view_speed,
)
from ui.guard import guard
from ui.options import (
    ACTIVATION_TITLES,
    DATA_FIELDS,
    FIRST_SCREEN,
    L2_OPTIONS,
    LR_OPTIONS,
    MAX_BATCH,
    MAX_LAYERS,
    MAX_SEED,
    MAX_STEPS,
    MAX_WIDTH,
    MODEL_FIELDS,
    MOMENTUM_OPTIONS,
    RETURN_TO,
    SETTLE_PENDING,
    SETTLE_SECONDS,
    SETTLE_UNTIL,
    SLOW_PARAMS,
    SPEED_OPTIONS,
    TICK_BUDGET,
    TICK_SECONDS,
    VIA_DASHBOARD,
    config_from_widgets,
    dataset_defaults,
    defaults,
    layer_sizes,
    url_settings,
    widgets_for,
)
from ui.picks import pick
from ui.reopen import open_run
from ui.session import (
    apply_settings,
    builtin_dataset,
    config_from_state,
    first_screen,
    get_trainer,
    init_state,
    is_running,
    load_dataset,
    new_trainer,
    replace_trainer,
    require_dashboard,
    restore_settings,
    run_state,
    save_settings,
    session_token,
    set_layer_widgets,
    show_notices,
    show_run_error,
)
from ui.sidebar import sidebar
from ui.uploads import check_loaded, mismatch_note, on_csv_upload, on_weights_upload
from ui.url import keep_sticky, projector, read_url, url_of, write_url

one_blas_thread()  # once per server process: the live trainer's small matrices run faster on one BLAS thread

__all__ = [
    "ACTIONS",
    "ACTIVATION_TITLES",
    "DATA_FIELDS",
    "FIRST_SCREEN",
    "L2_OPTIONS",
    "LR_OPTIONS",
    "MAX_BATCH",
    "MAX_LAYERS",
    "MAX_SEED",
    "MAX_STEPS",
    "MAX_WIDTH",
    "MODEL_FIELDS",
    "MOMENTUM_OPTIONS",
    "RETURN_TO",
    "SETTLE_PENDING",
    "SETTLE_SECONDS",
    "SETTLE_UNTIL",
    "SLOW_PARAMS",
    "SPEED_OPTIONS",
    "TICK_BUDGET",
    "TICK_SECONDS",
    "VIA_DASHBOARD",
    "apply_settings",
    "builtin_dataset",
    "check_loaded",
    "config_from_state",
    "first_screen",
    "config_from_widgets",
    "dataset_defaults",
    "defaults",
    "get_trainer",
    "guard",
    "init_state",
    "is_running",
    "run_state",
    "session_token",
    "layer_sizes",
    "load_dataset",
    "mismatch_note",
    "new_data",
    "new_trainer",
    "on_csv_upload",
    "on_dataset_change",
    "on_weights_upload",
    "open_run",
    "pause",
    "pick",
    "read_url",
    "replace_trainer",
    "require_dashboard",
    "reset",
    "restore_settings",
    "page_run_buttons",
    "run_controls",
    "save_settings",
    "set_layer_widgets",
    "show_notices",
    "show_run_error",
    "sidebar",
    "start",
    "step_once",
    "steps_per_second",
    "tick",
    "url_of",
    "url_settings",
    "view_speed",
    "widgets_for",
    "write_url",
    "keep_sticky",
    "projector",
]
