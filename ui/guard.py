"""The error guard: an unexpected exception becomes a message on the page, never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from micrograd.views import text

log = logging.getLogger(__name__)


@contextmanager
def guard(what: str = "showing this page", advice: str = "Press Reset") -> Iterator[None]:
    """Turn an unexpected exception into an error message instead of a traceback; advice: what to try first.

    Streamlit's rerun and stop signals derive from BaseException (ScriptControlException), so they pass through.
    """
    try:
        yield
    except Exception as e:
        log.exception("dashboard error while %s", what)
        st.error(
            f"Something went wrong while {text.md(what)}: {type(e).__name__}: {text.md(e)}. "
            f"{advice}; if it happens again, report it with this page's URL (it holds every setting)."
        )
