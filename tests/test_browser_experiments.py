"""The Experiments page in a real browser: the run picked stays picked through a rename (its own server)."""

import pytest

from micrograd.studio.runs import RunStore
from tests.test_browser import wait_idle
from tests.test_pages_experiments import seed_store

pytestmark = pytest.mark.browser


def shown(box) -> str:
    """The label a selectbox shows (its text field's value, or the text in its place)."""
    return box.evaluate("el => el.querySelector('input')?.value || el.querySelector('[value]')?.innerText || ''")


def test_after_a_rename_the_next_action_is_on_the_renamed_run(app_url, app_db, page):
    seed_store(app_db)  # runs #1, #2, #3; the list shows #3 first
    page.goto(f"{app_url}/experiments")
    box = page.get_by_test_id("stSelectbox").filter(has_text="Run")
    box.wait_for(timeout=120_000)
    box.click()
    page.get_by_role("option", name="#2", exact=False).first.click()
    page.get_by_label("Name").wait_for()
    wait_idle(page)
    assert shown(box).endswith("#2")
    page.get_by_label("Name").fill("renamed two")
    page.get_by_label("Name").press("Enter")
    wait_idle(page)
    tags = page.get_by_label("Tags (comma-separated)")
    tags.fill("b, a ,b, ")
    tags.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Save name and tags").click()
    page.get_by_text("Run #2 saved as 'renamed two', with the tags 'a', 'b'.").wait_for(timeout=30_000)
    wait_idle(page)
    assert shown(box) == "#2 renamed two"  # it kept the old label, and acted on run #3 next
    assert tags.input_value() == "a, b"  # what was stored; the browser kept showing what was typed (QA)
    page.get_by_role("button", name="Delete…").click()
    page.get_by_text("Delete run #2 (renamed two)", exact=False).wait_for(timeout=30_000)
    page.get_by_role("button", name="Yes, delete").click()
    page.get_by_text("Run #2 deleted.").wait_for(timeout=30_000)
    with RunStore(app_db) as store:
        assert sorted(r["id"] for r in store.list_runs()) == [1, 3]
