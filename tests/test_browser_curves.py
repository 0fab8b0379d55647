"""The Train page's loss and accuracy curves and metric row in a real browser: before the first step, after one
step, and their axis labels (the texts are read from the canvas calls; the points from its pixels)."""

import pytest

from micrograd.studio.config import RunConfig
from micrograd.studio.trainer import Trainer
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


ROW_JS = "document.querySelector('.mgl-metric[data-label=\"Train loss\"] .mgl-mvalue').textContent"


def test_the_numbers_beside_each_picture_are_its_weights_own_from_step_0(app_url, page):
    """Before Start the curves and the metric row show the initial weights' numbers (step 0, one point: a dot);
    after one step, the points of step 0 and 1, and the row the numbers of the weights on screen."""
    errors = watch_console(page)
    page.add_init_script(RECORD_TEXTS)
    open_train(page, f"{app_url}/?steps=300&speed=20")
    page.wait_for_function(f"() => {ROW_JS} !== '—'")
    tr = Trainer(RunConfig(steps=300))
    loss, acc = page.evaluate(CURVES_JS)
    for c in (loss, acc):  # one point: a dot at step 0, one step label, no "no steps yet"
        assert "step 0" in c["texts"] and c["dark"] > 0 and not any("no steps" in t for t in c["texts"]), c
    assert acc["texts"][:3] == ["Accuracy (%)", "0", "100"]  # whole percentages, not "0.00"
    assert page.evaluate(f"() => {ROW_JS}") == f"{tr.evaluate()['train_loss']:.4f}"  # the initial weights' loss
    sidebar_button(page, "Step").click()
    page.wait_for_function(f"() => document.querySelector('{CANVAS}').dataset.step === '1'")
    page.wait_for_function("() => document.querySelector('canvas.mgl-curve').mglTexts.includes('step 1')")
    tr.step()  # the same run here: the numbers of its weights after one step
    page.wait_for_function(f"() => {ROW_JS} === '{tr.evaluate()['train_loss']:.4f}'", timeout=10_000)
    loss, acc = page.evaluate(CURVES_JS)
    assert {"step 0", "step 1"} <= set(loss["texts"]) and loss["dark"] > 0 and acc["dark"] > 0
    assert not [t for t in acc["texts"] if t.endswith(".00")], acc["texts"]
    assert not errors, errors
