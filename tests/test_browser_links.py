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
    svg = page.get_by_test_id("stGraphVizChart").first.locator("svg")
    svg.wait_for(timeout=30_000)
    names = svg.locator("g.node > title").evaluate_all("els => els.map(e => e.textContent)")
    assert len([n for n in names if not n.startswith("legend_")]) == 54  # the 2-4-1 net of the link, not 2-16-16-1
