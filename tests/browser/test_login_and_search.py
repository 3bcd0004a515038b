import pytest

from tests.browser.conftest import save_screenshot
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_a_viewer_signs_in_and_searches_from_the_home_page(example_catalog, browser_page, viewer):
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
    page.locator(".result-title", has_text="customer_churn").first.click()
    page.get_by_role("heading", name="customer_churn", level=1).wait_for()


def test_the_layout_fits_a_phone_screen_without_sideways_scrolling(
    example_catalog, browser_page, viewer
):
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


def _sign_in(page, user) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login/" not in url)


def test_a_misspelled_term_typed_ahead_leads_by_keyboard_to_pii_columns(
    example_catalog, browser_page, viewer
):
    page = browser_page
    _sign_in(page, viewer)
    page.keyboard.press("/")
    page.keyboard.type("usrs", delay=40)  # misspelled "users"
    options = page.locator("#global-suggest [role=option]")
    options.first.wait_for()
    assert page.get_attribute("#global-search-input", "aria-expanded") == "true"
    names = options.locator(".suggest-name").all_inner_texts()
    target = next(i for i, name in enumerate(names) if name.endswith("users"))  # a users table
    for _ in range(target + 1):
        page.keyboard.press("ArrowDown")
    assert options.nth(target).get_attribute("aria-selected") == "true"
    first_name = names[target]
    page.keyboard.press("Enter")
    page.wait_for_url("**/assets/*/")
    page.get_by_role("heading", name=first_name, level=1).wait_for()
    save_screenshot(page, "asset-overview")
    page.get_by_role("tab", name="Columns").click()
    page.locator("#tab-panel table").wait_for()
    email_row = page.locator("#tab-panel tr", has_text="email").first
    assert email_row.locator(".badge-pii").is_visible()
    save_screenshot(page, "asset-columns-pii")
    page.keyboard.press("Escape")


def test_escape_closes_the_suggestions(example_catalog, browser_page, viewer):
    page = browser_page
    _sign_in(page, viewer)
    page.locator("#global-search-input").click()
    page.keyboard.type("churn", delay=40)
    page.locator("#global-suggest [role=option]").first.wait_for()
    page.keyboard.press("Escape")
    assert not page.locator("#global-suggest").is_visible()
    assert page.get_attribute("#global-search-input", "aria-expanded") == "false"
