"""In a real browser: Back goes to the previous page in one press (QA: a page switch made two history entries, the
page and then its settings, and every setting changed made one more; ui/components/tab.js)."""

from tests.test_browser import wait_for_app


def nav(page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()


def test_one_history_entry_per_page_and_back_goes_to_the_previous_page(app_url, page):
    page.goto(f"{app_url}/?dataset=xor&steps=0")
    wait_for_app(page)
    start = page.evaluate("() => history.length")
    samples = page.get_by_test_id("stSidebar").get_by_role("spinbutton", name="Samples")
    samples.fill("150")  # a setting changed: no history entry of its own
    samples.press("Enter")
    page.wait_for_function("() => location.search.includes('samples=150')", timeout=30_000)
    nav(page, "Graph")
    page.wait_for_function("() => location.pathname.endsWith('/graph') && location.search.includes('dataset=xor')")
    nav(page, "Sandbox")
    page.get_by_text("Gradients: autograd").wait_for(timeout=60_000)
    page.wait_for_timeout(1000)  # the Sandbox writes its expression into the link too
    assert page.evaluate("() => history.length") == start + 2  # one entry per page, none per setting
    page.go_back()
    page.wait_for_function("() => location.pathname.endsWith('/graph')", timeout=30_000)
    page.go_back()
    page.wait_for_function("() => location.pathname === '/'", timeout=30_000)
    wait_for_app(page)
    assert "dataset=xor" in page.url
