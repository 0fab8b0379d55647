"""Draw mode in a real browser: draw three classes, train on them, and the painted regions separate them."""

import os

import pytest

from tests.conftest import ROOT
from tests.test_browser import metric, percent, sidebar_button
from tests.test_browser_live import CANVAS, open_train, watch_console

pytestmark = pytest.mark.browser

# three clusters of 10 clicks each (plot pixels: the plot spans x 44..432, y 8..404 of the 440 px canvas)
CENTRES = [(130, 110), (340, 110), (235, 320)]
OFFSETS = [(dx, dy) for dy in (-16, 0, 16) for dx in (-24, -8, 8, 24)][:10]

# each drawn point's class, the class the component says (the model's prediction, computed in Python), and the
# colour painted at a background pixel next to it (between the points of its cluster, off every dot and ✕)
SAMPLE_JS = """(el) => {
  const v = el.mglView, s = v.static, f = v.frame, ctx = el.getContext('2d');
  const out = [];
  for (let k = 0; k < s.points.x.length; k++) {
    const [x, y] = el.mglPoint(k);
    const px = ctx.getImageData(Math.round(x + 8), Math.round(y + 8), 1, 1).data;
    out.push({label: s.points.label[k], pred: f.pred[k], rgb: [px[0], px[1], px[2]]});
  }
  return {classes: s.palette.classes, zero: s.palette.zero, step: f.step, points: out};
}"""


def hex_rgb(h: str) -> tuple[int, int, int]:
    return int(h[1:3], 16), int(h[3:5], 16), int(h[5:7], 16)


def painted_class(rgb, classes: list[str], zero: str) -> int:
    """The class whose colour, mixed with the light grey at any confidence, is nearest the pixel."""
    mid = hex_rgb(zero)
    best, best_d = -1, float("inf")
    for c, col in enumerate(classes):
        end = hex_rgb(col)
        for t in [0.25 + 0.75 * k / 15 for k in range(16)]:
            mix = [m + (e - m) * t for m, e in zip(mid, end)]
            d = sum((a - b) ** 2 for a, b in zip(mix, rgb))
            if d < best_d:
                best, best_d = c, d
    return best


def click(page, box, x: float, y: float) -> None:
    page.mouse.click(box["x"] + x, box["y"] + y)


def apply_drawing(page, ready: str) -> None:
    """Press "Train on these points", then wait until the view's static part ``s`` makes the JS expression true."""
    page.get_by_test_id("mgl-draw-apply").click()
    page.wait_for_function(
        f"() => {{ const s = document.querySelector('{CANVAS}').mglView.static; return {ready}; }}", timeout=30_000
    )


def drawn_count(canvas) -> int:
    return int(canvas.get_attribute("data-drawn") or -1)


def test_draw_three_classes_train_and_the_regions_separate_them(app_url, page, tmp_path):
    errors = watch_console(page)
    canvas = open_train(page, f"{app_url}/?steps=300&speed=50&lr=0.3")
    page.get_by_test_id("mgl-mode-draw").click()
    assert drawn_count(canvas) == 100  # Draw starts from the current data (moons, 100 points)
    page.get_by_test_id("mgl-draw-clear").click()
    assert drawn_count(canvas) == 0
    box = canvas.bounding_box()
    for c, (cx, cy) in enumerate(CENTRES):
        if c == 2:
            page.get_by_test_id("mgl-draw-add-class").click()  # a third class
        else:
            page.get_by_test_id(f"mgl-draw-class-{c}").click()
        for dx, dy in OFFSETS:
            click(page, box, cx + dx, cy + dy)
    assert drawn_count(canvas) == 30
    # a drag paints a stroke of points; the eraser, dragged along it, removes them again
    page.mouse.move(box["x"] + 60, box["y"] + 390)
    page.mouse.down()
    page.mouse.move(box["x"] + 140, box["y"] + 390, steps=12)
    page.mouse.up()
    assert drawn_count(canvas) >= 34
    page.get_by_test_id("mgl-draw-eraser").click()
    page.mouse.move(box["x"] + 55, box["y"] + 390)
    page.mouse.down()
    page.mouse.move(box["x"] + 145, box["y"] + 390, steps=20)
    page.mouse.up()
    assert drawn_count(canvas) == 30

    apply_drawing(page, "s.task === 'multiclass' && s.points.x.length === 30")
    page.get_by_test_id("mgl-mode-trace").click()
    sidebar_button(page, "Start").click()
    page.get_by_test_id("stSidebar").locator(".mgl-status[data-state=finished]").wait_for(timeout=60_000)
    page.wait_for_function(f"() => document.querySelector('{CANVAS}').dataset.step === '300'", timeout=30_000)
    sample = canvas.evaluate(SAMPLE_JS)
    labels = [p["label"] for p in sample["points"]]
    assert sorted(labels) == [0] * 10 + [1] * 10 + [2] * 10
    for k, p in enumerate(sample["points"]):
        assert p["pred"] == p["label"], f"point {k}: the model predicts {p['pred']}, drawn as {p['label']}"
        seen = painted_class(p["rgb"], sample["classes"], sample["zero"])
        assert seen == p["label"], f"point {k} of class {p['label']}: the region next to it is painted {seen}"
    assert percent(metric(page, "Train accuracy")) == 100.0
    assert "draw=" in page.url and "dataset=drawn" in page.url  # the link carries the drawing

    page.get_by_test_id("mgl-mode-draw").click()  # the trained regions under the drawing tools
    page.get_by_test_id("mgl-draw-class-2").click()  # a class picked again: the eraser is off
    assert drawn_count(canvas) == 30
    page.mouse.move(0, 0)
    shot = ROOT / "docs" / "screenshot-draw.png" if os.environ.get("UPDATE_SCREENSHOT") else tmp_path / "draw.png"
    page.locator(".mgl-train").screenshot(path=str(shot))
    assert not errors, errors


def test_start_in_draw_mode_shows_the_data_it_trains_and_keeps_the_drawing(app_url, page):
    """QA: Start pressed over a drawing not trained on trained the moons underneath while the drawing stayed on
    screen, with the moons' accuracy beside it. The view now goes back to Trace and says the drawing is kept."""
    errors = watch_console(page)
    canvas = open_train(page, f"{app_url}/?steps=20&speed=50")
    page.get_by_test_id("mgl-mode-draw").click()
    page.get_by_test_id("mgl-draw-clear").click()
    box = canvas.bounding_box()
    page.get_by_test_id("mgl-draw-class-0").click()
    for dx, dy in OFFSETS[:5]:
        click(page, box, 130 + dx, 110 + dy)
    assert drawn_count(canvas) == 5
    sidebar_button(page, "Start").click()
    assert canvas.get_attribute("data-mode") == "trace"  # at the click
    kept = page.get_by_test_id("mgl-draw-kept")
    assert kept.inner_text() == "Your drawing (not trained on) is kept: Draw shows it again."
    # the boundary shows the data the run trains (moons' 100 points), not the 5 drawn ones
    assert canvas.evaluate("(el) => el.mglView.static.points.x.length") == 100
    page.wait_for_function(f"() => document.querySelector('{CANVAS}').dataset.step === '20'", timeout=30_000)
    page.get_by_test_id("mgl-mode-draw").click()  # the drawing comes back as it was left
    assert drawn_count(canvas) == 5 and kept.inner_text() == ""
    assert not errors, errors


def test_draw_values_makes_a_two_feature_regression(app_url, page):
    errors = watch_console(page)
    canvas = open_train(page, app_url)
    page.get_by_test_id("mgl-mode-draw").click()
    page.get_by_test_id("mgl-draw-kind").select_option("values")
    assert drawn_count(canvas) == 0  # another kind of drawing starts empty
    box = canvas.bounding_box()
    slider = page.get_by_test_id("mgl-draw-value")
    for value, x in (("1", 100), ("-1", 380)):
        slider.fill(value)
        for y in (60, 140, 220, 300):
            click(page, box, x, y)
    assert drawn_count(canvas) == 8
    apply_drawing(page, "s.mode === 'heat' && s.points.x.length === 8")
    targets = canvas.evaluate("(el) => el.mglView.static.points.target")
    assert sorted(round(t, 3) for t in targets) == [-1.0] * 4 + [1.0] * 4
    assert page.locator('.mgl-metric[data-label="Train R²"]').count() == 1  # the metric row speaks of R²
    page.get_by_text("Regression: learning rate 1 → 0.01").wait_for(timeout=30_000)  # 1 diverged in 3 steps
    assert not errors, errors
