import pytest

from tests.browser.conftest import save_screenshot
from tests.conftest import PASSWORD
from tests.factories import EXAMPLE_TARGET, ingest_ok

pytestmark = pytest.mark.browser


def test_a_viewer_signs_in_and_searches_from_the_home_page(browser_page, viewer):
    ingest_ok(EXAMPLE_TARGET)
    page = browser_page
    page.goto("/")
    assert "/login/" in page.url
    page.get_by_label("Username").fill(viewer.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    assert page.get_by_role("heading", name="Welcome").is_visible()
    assert page.locator(".stat-grid").is_visible()
    save_screenshot(page, "home")

    page.keyboard.press("/")  # the shortcut focuses the global search box
    page.keyboard.type("churn")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=churn")
    results = page.locator(".result-title")
    results.first.wait_for()
    titles = results.all_inner_texts()
    assert "customer_churn" in titles
    save_screenshot(page, "search")
    page.get_by_role("link", name="customer_churn").first.click()
    assert page.get_by_role("heading", name="customer_churn").is_visible()


def test_the_layout_fits_a_phone_screen_without_sideways_scrolling(browser_page, viewer):
    ingest_ok(EXAMPLE_TARGET)
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/login/")
    page.get_by_label("Username").fill(viewer.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login/" not in url)
    for path in ("/", "/catalog/", "/ingest/", "/search/?q=customer"):
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} scrolls sideways by {overflow}px on a phone"
        assert page.locator("#global-search-input").is_visible()
    save_screenshot(page, "phone-search")


def test_keyboard_users_reach_the_content_first(browser_page, viewer):
    page = browser_page
    page.goto("/login/")
    page.get_by_label("Username").fill(viewer.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login/" not in url)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
