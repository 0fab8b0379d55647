"""The run store of this server process: one RunStore per database path, shared by every session."""

from __future__ import annotations

import streamlit as st

from micrograd.studio.runs import RunStore, StoreError, default_db_path


class SharedStore(RunStore):
    """A RunStore that stays open while the server runs: ``with store:`` and ``close()`` leave it to the others.

    One connection serves every session (RunStore serialises its threads), so the migrations and the
    interrupted-run check run once per server and path, not on every rerun.
    """

    def close(self) -> None:
        """Do nothing: other sessions share this store (the connection closes with the process)."""

    def __exit__(self, *exc: object) -> None:
        return None


# keyed by the path, so tests (and servers) with their own MICROGRAD_DB stay apart; an open that fails raises
# and is not cached, so fixing the file needs no restart. A few paths at most per process; old ones are dropped.
@st.cache_resource(show_spinner=False, max_entries=8)
def _shared(path: str) -> SharedStore:
    return SharedStore(path)


def run_store() -> RunStore:
    """The shared store at $MICROGRAD_DB (or ~/.micrograd/runs.db); StoreError (a banner message) if unusable."""
    return _shared(str(default_db_path()))


def open_run_store() -> tuple[RunStore | None, str]:
    """(the shared store, "") or (None, why it cannot be used): the opener a session's Recorder takes."""
    try:
        return run_store(), ""
    except StoreError as e:
        return None, str(e)
