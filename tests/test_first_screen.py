"""A first visit's Train page draws its first screen (run controls, view, messages), then the rest (issue 12).

ui.session.first_screen: the session's first run of the Train page leaves out the settings and the weights section,
whose element code a fresh browser would load before it shows anything; the view asks for the rest (trigger
``rest``) once its first picture is on screen. AppTest runs no JS, so its second run stands in for that request.
"""

import re
import sys
import time

import pytest
from streamlit.testing.v1 import AppTest

import ui
from micrograd.views import live
from tests.test_browser import sidebar_button, wait_for_app, wait_idle
from tests.test_browser_live import watch_console
from tests.test_dashboard import ENGINE, ROOT, App, app, trainer, view

ui_session = sys.modules["ui.session"]  # the module (ui.session names the function it exports)
SETTINGS = ["Data", "Network", "Training"]


def first_visit(**params: str) -> AppTest:
    """A new session's first run, as a first visit makes it."""
    at = App(str(ROOT / "dashboard.py"), default_timeout=60)
    at.query_params.update({"engine": ENGINE, **params})
    at.run()
    assert not at.exception, at.exception
    return at


def expanders(at: AppTest) -> list[str]:
    return [e.label for e in at.sidebar.expander]


def weights_section(at: AppTest) -> bool:
    return "Weights" in [h.value for h in at.subheader]


def test_a_first_visit_draws_the_run_controls_and_the_view_then_the_whole_page():
    at = first_visit(lr="0.05")  # between two choices: a warning says which one the link got
    assert at.session_state[ui.FIRST_SCREEN] is True
    assert [b.key for b in at.sidebar.button] == ["btn_start", "btn_pause", "btn_step", "btn_reset"]
    assert not at.sidebar.button(key="btn_start").disabled
    assert expanders(at) == [] and not at.sidebar.selectbox and not at.sidebar.number_input
    assert "Loading the settings…" in [c.value for c in at.sidebar.caption]
    assert not weights_section(at)
    u = view(at)
    assert u["rest"] is True and [f["step"] for f in u["frames"]] == [0]  # the picture, and the request for the rest
    warned = [w.value for w in at.warning]
    assert any("0.05" in w for w in warned), warned
    assert trainer(at).config.lr == 0.03  # the settings apply without their widgets

    at.run()  # what the view's request brings
    assert not at.exception and at.session_state[ui.FIRST_SCREEN] is False
    assert expanders(at) == SETTINGS and weights_section(at)
    assert at.sidebar.select_slider(key="w_lr").value == 0.03
    assert "rest" not in view(at) and "Loading the settings…" not in [c.value for c in at.sidebar.caption]
    assert [w.value for w in at.warning] == warned  # the link's warning stays in its place on the whole page
    at.run()
    assert [w.value for w in at.warning] == []  # and, as any notice, is shown once (on the whole page)


def test_start_on_the_first_screen_trains_and_draws_the_whole_page():
    at = first_visit(steps="40")
    at.sidebar.button(key="btn_start").click().run()
    assert not at.exception and at.session_state["running"] and expanders(at) == SETTINGS and weights_section(at)
    at.run()
    assert trainer(at).step_count > 0


def test_a_first_visit_to_another_page_draws_it_whole():
    at = App(str(ROOT / "dashboard.py"), default_timeout=60)
    at.session_state[ui.RETURN_TO] = "pages/graph.py"  # as a shared link to /graph arrives
    at.run()
    assert [t.value for t in at.title] == ["Computation graph"]
    assert expanders(at) == SETTINGS and at.session_state[ui.FIRST_SCREEN] is False


def test_settings_of_the_first_screen_stay_when_a_later_run_hides_their_widget():
    """A value set without its widget was kept by Streamlit under its bare key: after No budget, Start, Pause, the
    hidden step budget came back (the run then finished at 305 / 300)."""
    at = app(steps="300", speed="50")
    at.checkbox(key="no_budget").check().run()
    at.button(key="btn_start").click().run()
    at.run()
    at.button(key="btn_pause").click().run()
    at.run()
    tr = trainer(at)
    assert tr.config.steps == 0 and at.query_params["steps"] == "0" and tr.status != "finished"


def test_for_a_while_after_the_settings_are_drawn_each_run_sends_their_values_again():
    """Start pressed as the settings arrived, cutting their run short: widgets the browser had not drawn yet then
    showed their own defaults (4 samples, the slowest speed) and sent them back, training at 1 step a second (5 of 40
    such visits, bench/start_at_usable.py). Each full run of the next SETTLE_SECONDS now sends every setting's value
    with the order to show it (set_value); after that, none is forced on the browser."""
    at = app(samples="120", speed="50")
    at.sidebar.button(key="btn_start").click().run()
    samples, speed = at.sidebar.number_input(key="w_samples"), at.sidebar.select_slider(key="w_speed")
    assert (samples.value, speed.value) == (120, 50) and samples.proto.set_value and speed.proto.set_value
    at.session_state[ui.SETTLE_UNTIL] -= ui.SETTLE_SECONDS  # later
    at.button(key="btn_pause").click().run()
    samples, speed = at.sidebar.number_input(key="w_samples"), at.sidebar.select_slider(key="w_speed")
    assert (samples.value, speed.value) == (120, 50) and not samples.proto.set_value and not speed.proto.set_value


def test_a_first_screen_looked_at_an_hour_later_still_gets_its_settings_right(monkeypatch):
    """A link opened in a background tab asks for the rest when it is shown (animation frames wait): the first run
    to draw the settings sets them anew whenever it comes (a one-minute window from the first screen missed it)."""
    at = first_visit(steps="300", speed="50")
    later = ui_session.monotonic() + 3600
    monkeypatch.setattr(ui_session, "monotonic", lambda: later)
    at.run()  # the view's request, an hour later
    at.checkbox(key="no_budget").check().run()
    at.button(key="btn_start").click().run()
    at.run()
    at.button(key="btn_pause").click().run()
    at.run()
    assert trainer(at).config.steps == 0 and at.query_params["steps"] == "0"


def test_a_hidden_layers_size_the_user_changed_comes_back_changed():
    """The settings set again in the first minute froze the value of a widget that run did not draw: a layer hidden
    then, later shown, changed to 7 and hidden again, came back as 16 (review)."""
    at = app()
    layers = at.sidebar.number_input(key="w_nlayers")
    assert layers.value == 2
    layers.set_value(1).run()  # within the settling seconds: layer 2 is hidden
    at.session_state[ui.SETTLE_UNTIL] -= ui.SETTLE_SECONDS  # later
    at.sidebar.number_input(key="w_nlayers").set_value(2).run()
    at.sidebar.number_input(key="w_layer_1").set_value(7).run()
    assert trainer(at).config.layers == [16, 7]
    at.sidebar.number_input(key="w_nlayers").set_value(1).run()
    at.run()
    at.sidebar.number_input(key="w_nlayers").set_value(2).run()
    assert at.sidebar.number_input(key="w_layer_1").value == 7 and trainer(at).config.layers == [16, 7]


def test_a_first_screen_leaves_out_the_evaluation_plotly_draws():
    """A multi-class link's confusion matrix is a Plotly chart, whose code (4.7 MB) a fresh browser loads first."""
    at = first_visit(dataset="iris", task="multiclass", steps="20")
    assert not at.get("plotly_chart")
    at.run()
    assert at.get("plotly_chart")


def test_when_the_first_screens_view_fails_the_whole_page_follows_at_once(monkeypatch):
    """No view, no request for the rest: the settings would wait for a button press."""

    def broken(self, *a, **kw):
        raise RuntimeError("the view broke")

    monkeypatch.setattr(live.LiveFeed, "update", broken)
    at = first_visit()
    assert expanders(at) == SETTINGS and "the view broke" in "\n".join(e.value for e in at.error)


FRAMES_JS = """() => {
  const frames = (window.__frames = []);
  const poll = () => {
    const c = document.querySelector('canvas.mgl-boundary');
    const side = document.querySelector('[data-testid=stSidebar]');
    if (c) c.__mark ??= Math.random();  // a new canvas (a re-mounted view) gets a new mark
    window.__node ??= document.querySelector('.mgl-train .mgl-node');  // a neuron of the first screen's picture
    frames.push([c?.dataset.step ?? null, side ? side.querySelectorAll('[data-testid=stExpander]').length : 0,
      c ? c.__mark : null, [...(side?.querySelectorAll('button') ?? [])].some((b) => b.innerText.trim() === 'Start')]);
    requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
}"""


@pytest.mark.browser
def test_in_the_browser_the_first_picture_and_start_come_before_the_settings_which_follow_unasked(app_url, page):
    errors = watch_console(page)
    page.add_init_script(f"({FRAMES_JS})()")
    page.goto(f"{app_url}/?steps=30&speed=50")
    wait_for_app(page)  # the settings included
    wait_idle(page)
    frames = page.evaluate("() => window.__frames")
    first = [f for f in frames if f[0] == "0" and f[3] and f[1] == 0]
    assert first, "no frame showed the picture and Start before the settings"
    assert frames[-1][1] == len(SETTINGS)  # nobody asked for them: the view did
    assert len({f[2] for f in frames if f[2] is not None}) == 1  # one view element throughout: never re-mounted
    # nor redrawn from a re-sent static part, which rebuilt the network picture (a neuron's hover text was lost)
    assert page.evaluate("() => window.__node.isConnected")
    sidebar_button(page, "Start").click()
    page.wait_for_function("() => document.querySelector('canvas.mgl-boundary').dataset.step === '30'")
    assert errors == []


@pytest.mark.browser
def test_start_pressed_before_the_settings_code_arrived_keeps_every_setting(app_url, page):
    """Start pressed while the browser still loads the settings widgets' code (here the number boxes' and sliders'
    code is held until Start's run is drawn): once they show, they show the link's settings and send them back."""
    held = []

    def hold(route) -> None:
        held.append(route)

    page.route(re.compile(r"/static/js/(NumberInput|Slider)\.[\w-]+\.js$"), hold)
    page.goto(f"{app_url}/?steps=0&speed=50&samples=120")
    page.wait_for_function("() => document.querySelector('canvas.mgl-boundary')?.dataset.step === '0'")
    page.wait_for_function("() => document.querySelector('[data-testid=stSidebar] [data-testid=stExpander]')")
    deadline = time.monotonic() + 30
    while len(held) < 2:  # the settings' run asked for both
        assert time.monotonic() < deadline, "the browser never asked for the number boxes' and sliders' code"
        page.wait_for_timeout(50)
    sidebar_button(page, "Start").click()
    page.wait_for_function("() => +document.querySelector('canvas.mgl-boundary').dataset.step > 0")  # Start's run
    assert len(held) == 2, [r.request.url for r in held]  # one file of each kind
    # the number boxes' code first, the sliders' a moment later: CI once read the slider before it showed
    held.sort(key=lambda route: "Slider" in route.request.url)
    side = page.get_by_test_id("stSidebar")
    held[0].continue_()
    side.get_by_role("spinbutton", name="Samples").wait_for()
    assert side.get_by_role("spinbutton", name="Samples").input_value() == "120"
    page.wait_for_timeout(500)
    held[1].continue_()
    speed = side.get_by_test_id("stSlider").filter(has_text="Steps per second").get_by_role("slider")
    speed.wait_for()
    assert speed.get_attribute("aria-valuetext") == "50"
    sidebar_button(page, "Pause").click()  # a full run: the settings the browser sends back are the page's own
    page.wait_for_function("() => document.querySelector('.mgl-train .mgl-head')?.dataset.state === 'paused'")
    wait_idle(page)
    assert "samples=120" in page.url and "speed=50" in page.url
