"""A shared link to a page other than Train, as the very first request a freshly started server gets.

Streamlit runs the page file directly until st.navigation has run once; ui.require_dashboard sends that request
through dashboard.py, which must then come back to the page the link named. Its own module, so its own server.
"""

import pytest

pytestmark = pytest.mark.browser


def test_the_first_request_to_a_fresh_server_can_be_a_link_to_the_graph_page(app_url, page):
    page.goto(f"{app_url}/graph?layers=4&activation=tanh")
    page.get_by_role("heading", name="Computation graph").wait_for(timeout=60_000)
    assert "/graph" in page.url and "layers=4" in page.url
    view = "document.querySelector('.mgg-root')"  # the live graph view (a canvas) says how many nodes it drew
    page.wait_for_function(f"() => {view}?.dataset.nodes && {view}.dataset.step", timeout=60_000)
    assert page.evaluate(f"() => {view}.dataset.nodes") == "54"  # the 2-4-1 net of the link, not 2-16-16-1
