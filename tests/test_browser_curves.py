"""The Train page's loss and accuracy curves in a real browser: what they say before the first step, after one step,
and their axis labels (the texts are read from the canvas calls; the points from its pixels)."""

import pytest

from tests.test_browser import sidebar_button
from tests.test_browser_live import CANVAS, open_train, watch_console

pytestmark = pytest.mark.browser

# every fillText on a canvas is remembered on that canvas (the newest drawing's texts: cleared by clearRect)
RECORD_TEXTS = """(() => {
  const proto = CanvasRenderingContext2D.prototype, fill = proto.fillText, clear = proto.clearRect;
  proto.fillText = function (text, ...rest) { (this.canvas.mglTexts ||= []).push(String(text)); return fill.call(this, text, ...rest); };
  proto.clearRect = function (...a) { this.canvas.mglTexts = []; return clear.apply(this, a); };
})()"""

CURVES_JS = """() => [...document.querySelectorAll('canvas.mgl-curve')].map((c) => {
  const img = c.getContext('2d').getImageData(46, 18, c.width - 54, c.height - 40).data;
  let dark = 0;
  for (let i = 0; i < img.length; i += 4) if (img[i + 3] > 200 && img[i] < 90 && img[i + 1] < 90 && img[i + 2] < 90) dark++;
  return {texts: c.mglTexts || [], dark};
})"""


def test_curves_say_what_comes_before_the_first_step_and_show_the_first_step(app_url, page):
    errors = watch_console(page)
    page.add_init_script(RECORD_TEXTS)
    open_train(page, f"{app_url}/?steps=300&speed=20")
    loss, acc = page.evaluate(CURVES_JS)
    for c in (loss, acc):  # before Start: the frame and a sentence, no line
        assert any("no steps yet" in t for t in c["texts"]) and c["dark"] == 0, c
    sidebar_button(page, "Step").click()
    page.wait_for_function(f"() => document.querySelector('{CANVAS}').dataset.step === '1'")
    page.wait_for_function("() => document.querySelector('canvas.mgl-curve').mglTexts.includes('step 1')")
    loss, acc = page.evaluate(CURVES_JS)
    assert not any("no steps yet" in t for t in loss["texts"] + acc["texts"])
    assert loss["dark"] > 0 and acc["dark"] > 0  # one step's point shows (as a dot: one point makes no line)
    assert acc["texts"][:3] == ["Accuracy (%)", "0", "100"]  # whole percentages, not "0.00"
    assert not [t for t in acc["texts"] if t.endswith(".00")], acc["texts"]
    assert not errors, errors
