"""In a real browser: a shared link with Markdown in a URL value shows it as text and fetches nothing (issue 11 item 2)."""

import http.server
import threading
import urllib.parse

from micrograd.views import text
from tests.conftest import free_port


class _Counter(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        _Counter.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_markdown_in_a_link_is_shown_as_text_and_loads_nothing(app_url, page):
    port = free_port()
    server = http.server.HTTPServer(("127.0.0.1", port), _Counter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        evil = f"![U](http://127.0.0.1:{port}/x.png) :red[alarm] $x^2$ http://127.0.0.1:{port}/bare"
        page.goto(f"{app_url}/?steps={urllib.parse.quote(evil)}")
        alert = page.get_by_test_id("stAlertContentWarning").filter(has_text="URL parameter steps").first
        alert.wait_for()
        page.wait_for_timeout(1500)  # give an image or a KaTeX render time to appear
        shown = alert.inner_text().replace(text.WJ, "")
        assert evil in shown  # literally, every character
        assert alert.locator("img, a, .katex, [class*=Colored]").count() == 0
        assert _Counter.hits == []  # the browser fetched nothing from the link's host
    finally:
        server.shutdown()
