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


@pytest.mark.parametrize("path, heading", [("experiments", "Experiments"), ("sweeps", "Sweeps")])
def test_a_link_to_a_page_without_live_training_works_on_a_fresh_server(path, heading, browser, tmp_path):
    """The same for the Experiments and Sweeps pages, each on a server of its own (it showed a KeyError)."""
    from tests.conftest import serve_dashboard

    with serve_dashboard(tmp_path / "runs.db", tmp_path / "streamlit.log") as url:
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        try:
            page.goto(f"{url}/{path}?layers=4")
            page.get_by_role("heading", name=heading, exact=True).wait_for(timeout=60_000)
            page.get_by_test_id("stSidebar").get_by_role("button", name="Reset", exact=True).wait_for(timeout=60_000)
            page.wait_for_timeout(1000)  # a page that fails shows its error box after the heading
            assert f"/{path}" in page.url
            assert page.get_by_text("Something went wrong").count() == 0
            assert page.get_by_test_id("stException").count() == 0
        finally:
            page.close()
