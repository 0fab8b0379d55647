"""A selectbox over items whose labels change (a renamed run, a sweep's status) that stays on its item."""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import streamlit as st


def pick(label: str, labels: Mapping[Hashable, str], key: str, **kwargs):
    """st.selectbox over ``labels``' keys, shown by their labels; the choice follows its item when its label changes.

    The browser keeps a selectbox's choice as the label it showed. When that label changes (a rename, a new status),
    Streamlit no longer finds it and falls back to the first item on the next click, while the box still shows the
    old label. So whenever the labels change, the item chosen (read with the labels the browser was last sent) is
    set again, which sends its new label to the browser.
    """
    ss = st.session_state
    shown = f"{key}__labels"  # the labels the browser was last sent
    labels = dict(labels)
    if ss.get(shown) != labels and key in ss and ss[key] in labels:
        ss[key] = ss[key]
    ss[shown] = labels
    return st.selectbox(label, list(labels), format_func=labels.get, key=key, **kwargs)
