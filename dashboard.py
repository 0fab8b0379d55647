"""micrograd studio: watch a multi-layer perceptron train live on a scalar autograd engine.

Run with `streamlit run dashboard.py`. This script sets up the page, the session's state and the shared sidebar,
then runs the page the user picked.
"""

import streamlit as st

import ui
from micrograd.studio import threads

ui.keep_sticky()  # ?lesson= and ?projector= go with the person from page to page
# projector mode (?projector=1) opens with the sidebar collapsed: the picture gets the screen, its arrow the controls
PROJECTOR = ui.projector()
sidebar = "collapsed" if PROJECTOR else "auto"
st.set_page_config(page_title="micrograd studio", page_icon="🧠", layout="wide", initial_sidebar_state=sidebar)

PAGES = (  # (file, title, icon)
    ("pages/train.py", "Train", ":material/show_chart:"),
    ("pages/graph.py", "Graph", ":material/account_tree:"),
    ("pages/sandbox.py", "Sandbox", ":material/science:"),
    ("pages/experiments.py", "Experiments", ":material/table_chart:"),
    ("pages/sweeps.py", "Sweeps", ":material/grid_view:"),
)
nav = st.navigation([st.Page(f, title=t, icon=i, default=f == PAGES[0][0]) for f, t, i in PAGES])
with ui.guard("setting up the session"):
    ui.init_state()
    # the pages that tick offer Start (elsewhere it would train unseen); a first visit's Train page draws its first
    # screen first, the settings a moment later (ui.session.first_screen)
    ui.sidebar(live=nav.title in ("Train", "Graph"), settings=not ui.first_screen(nav.title))
    if nav.title != "Train":
        st.session_state.pop("rest_keeps_view", None)  # meant for the Train page's next run, which this is not
if "trainer" in st.session_state:
    back = st.session_state.pop(ui.RETURN_TO, None)
    titles = {f: t for f, t, _ in PAGES}
    if back in titles and titles[back] != nav.title:  # a direct link to a page: go there now that state exists
        st.switch_page(back, query_params=st.query_params.to_dict())
    st.session_state[ui.VIA_DASHBOARD] = True
    try:
        with ui.guard(f"showing the {nav.title} page"):
            nav.run()
    finally:
        st.session_state[ui.VIA_DASHBOARD] = False
    threads.freeze_startup()  # after a first page has run: the server's modules are loaded
