"""ui/components/nav.js on its own, in Chromium: after a click on a page link, a view's triggers wait until the new
page is the current one, and a view whose page has gone sends nothing (the dashboard-level test is in
tests/test_browser_history.py)."""

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.browser

ORIGIN = "http://studio.test"
# Streamlit's navigation, reduced to what nav.js reads; a click only says so here (Streamlit's handler would send
# the switch at once)
PAGE = """<!doctype html><nav data-testid="stSidebarNav">
<a href="/" aria-current="page">Train</a> <a href="/graph">Graph</a></nav><div id="view">view</div>
<script>
window.sent = [];
for (const a of document.querySelectorAll('a'))
  a.addEventListener('click', (e) => { e.preventDefault(); sent.push(['switch', a.getAttribute('href')]); });
</script>"""
# a view's setTriggerValue as Streamlit's: the trigger goes out from a setTimeout(0)
VIEW = """() => {
  const set = (name, value) => setTimeout(() => sent.push([name, value]), 0);
  window.send = globalThis.mgNav.guard(set, document.getElementById('view'));
}"""
SWITCHED = """() => {  // what Streamlit does once the new page has started
  document.querySelector('a[href="/"]').removeAttribute('aria-current');
  document.querySelector('a[href="/graph"]').setAttribute('aria-current', 'page');
}"""


@pytest.fixture
def page(browser):
    context = browser.new_context()
    pg = context.new_page()
    pg.route(f"{ORIGIN}/**", lambda route: route.fulfill(body=PAGE, content_type="text/html"))
    pg.goto(f"{ORIGIN}/")
    yield pg
    context.close()


def load_nav(page) -> None:
    page.add_script_tag(path=str(ROOT / "ui" / "components" / "nav.js"))
    page.evaluate(VIEW)


def sent(page) -> list:
    return page.evaluate("() => window.sent")


def test_a_trigger_after_a_click_on_a_page_link_waits_until_the_new_page_is_current(page):
    load_nav(page)
    page.evaluate("() => send('before', 1)")  # no click yet: at once
    page.wait_for_function("() => window.sent.length === 1", timeout=5000)
    page.get_by_text("Graph").click()
    page.evaluate("() => send('rest', true)")
    page.wait_for_timeout(400)
    assert sent(page) == [["before", 1], ["switch", "/graph"]] and page.evaluate("() => mgNav.leaving()")  # held
    page.evaluate(SWITCHED)
    page.wait_for_function("() => window.sent.length === 3", timeout=5000)
    assert sent(page)[-1] == ["rest", True]  # the page did not go (here): it is said after all


def test_a_click_that_finds_a_trigger_not_yet_sent_goes_after_it(page):
    """CI: the first screen's trigger was handed to Streamlit, a click came before Streamlit's timer sent it, and
    the trigger, the newer request, took the session back to the Train page."""
    load_nav(page)
    page.evaluate("() => { send('rest', true); document.querySelector('a[href=\"/graph\"]').click(); }")
    page.wait_for_function("() => window.sent.length === 2", timeout=5000)
    assert sent(page) == [["rest", True], ["switch", "/graph"]]
    assert page.evaluate("() => mgNav.to") == "/graph"  # and the replayed click holds later triggers


def test_a_view_whose_page_went_during_the_switch_sends_nothing(page):
    load_nav(page)
    page.get_by_text("Graph").click()
    page.evaluate("() => send('need', 7)")
    page.evaluate("() => { document.getElementById('view').remove(); }")  # the old page's elements go first
    page.evaluate(SWITCHED)
    page.wait_for_timeout(500)
    assert sent(page) == [["switch", "/graph"]]


def test_a_click_before_nav_js_arrived_holds_the_triggers_too(page):
    """A quick click on a first visit comes before the library's code: the browser's first input is read back."""
    page.get_by_text("Graph").click()
    load_nav(page)
    page.evaluate("() => send('rest', true)")
    page.wait_for_timeout(400)
    assert sent(page) == [["switch", "/graph"]] and page.evaluate("() => mgNav.to") == "/graph"
    page.evaluate(SWITCHED)
    page.wait_for_function("() => window.sent.length === 2", timeout=5000)


def test_a_link_to_this_page_holds_nothing_and_a_ctrl_click_is_a_switch_like_any_other(page):
    load_nav(page)
    page.get_by_text("Train").click()  # the page already shown
    page.evaluate("() => send('pick', 3)")
    page.wait_for_function("() => window.sent.length === 2", timeout=5000)
    assert sent(page)[-1] == ["pick", 3] and page.evaluate("() => mgNav.leaving()") is False
    # Streamlit's links switch the page in place whatever keys are held: no new tab, so the same hold
    page.get_by_text("Graph").click(modifiers=["Control"])
    assert page.evaluate("() => mgNav.leaving()") is True
