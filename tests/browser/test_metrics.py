"""The metric dictionary in a real browser: review and approval, then what readers see."""

from __future__ import annotations

import pytest

from catalog.models import Asset
from metrics_dictionary.models import VersionState
from metrics_dictionary.services.proposals import metric_propose, metric_version_propose
from metrics_dictionary.services.reviews import metric_version_approve, metric_version_submit
from tests.browser.conftest import save_screenshot
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _sign_in(page, user) -> None:
    page.context.clear_cookies()
    page.goto("/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login/" not in url)


@pytest.fixture
def proposed_change(example_manifest_catalog, analyst, metric_owner):
    """Net revenue v1 approved on the example project; the analyst's v2 (in euros, paid only)
    in review."""
    mart = Asset.objects.get(unique_id="model.saas_analytics.fct_revenue")
    v1 = metric_propose(
        name="Net revenue",
        actor=analyst,
        owner_users=[metric_owner],
        domain="Finance",
        tier=2,
        definition={
            "description": "Invoiced revenue in **US dollars**, refunds excluded.",
            "formula": "SUM(amount_usd)",
            "time_grains": ["day", "month"],
            "entity_grain": "account",
            "unit": "USD",
            "caveats": "Refunds arrive a day late.",
            "related_asset_ids": [mart.pk],
            "change_summary": "First definition.",
        },
    )
    metric_version_submit(version=v1, actor=analyst)
    metric_version_approve(version=v1, actor=metric_owner)
    v2 = metric_version_propose(
        metric=v1.metric,
        actor=analyst,
        definition={
            "formula": "SUM(CASE WHEN invoice_status = 'paid' THEN amount_usd ELSE 0 END)",
            "filters": ["invoice_status = 'paid'"],
            "change_summary": "Count paid invoices only.",
        },
    )
    metric_version_submit(version=v2, actor=analyst)
    return v2


def test_an_owner_reviews_and_approves_then_a_viewer_sees_the_new_version(
    browser_page, proposed_change, metric_owner, viewer
):
    page = browser_page
    _sign_in(page, metric_owner)
    page.get_by_role("link", name="Metrics", exact=True).click()
    page.locator('[data-metric="net-revenue"]').wait_for()
    assert (
        page.locator(".metric-list li", has_text="defined in dbt").count() == 12
    )  # the example's dbt metrics
    save_screenshot(page, "metrics-directory")
    page.get_by_role("link", name="Approvals inbox").click()
    waiting = page.locator('[data-box="waiting_for_me"]')
    row = waiting.locator("tr", has_text="Net revenue")
    assert "0 of 1 approval" in row.inner_text()
    save_screenshot(page, "metrics-inbox")
    row.get_by_role("link", name="Review").click()

    page.get_by_role("heading", name="What changes against v1 (the current definition)").wait_for()
    changed = page.locator("tr[data-changed]")
    assert "Formula" in changed.first.inner_text()
    assert page.locator('tr[data-field="filters"][data-changed]').is_visible()
    impact = page.locator("[data-impact-columns]")
    assert (
        "fct_revenue.amount_usd" in impact.inner_text()
        and "fct_revenue.invoice_status" in impact.inner_text()
    )
    assert "not found" not in impact.inner_text()
    assert page.locator("[data-downstream]").is_visible()
    page.get_by_label("Comment").fill("Matches the finance close.")
    save_screenshot(page, "metrics-review")
    page.get_by_role("button", name="Approve").click()
    page.get_by_text("v2 approved and published").wait_for()
    assert page.locator('[data-state="approved"]').is_visible()
    proposed_change.refresh_from_db()
    assert proposed_change.state == VersionState.APPROVED

    _sign_in(page, viewer)
    page.goto(f"/metrics/m/{proposed_change.metric.slug}/")
    card = page.locator('[data-definition="v2"]')
    card.wait_for()
    assert "invoice_status = 'paid'" in card.inner_text()
    assert "Invoiced revenue in US dollars" in card.inner_text()
    assert page.get_by_role("link", name="Propose a change").count() == 0
    save_screenshot(page, "metrics-metric-page")
    page.get_by_role("tab", name="Versions").click()
    page.locator('[data-versions] tr[data-version="2"]', has_text="current").wait_for()

    page.goto("/metrics/changes/")
    entry = page.locator('[data-entry="approved"]').first
    assert (
        "Net revenue v2 approved" in entry.inner_text()
        and "Count paid invoices only." in entry.inner_text()
    )
    save_screenshot(page, "metrics-changelog")
    entry.get_by_role("link").click()
    page.get_by_role("heading", name="Net revenue v2").wait_for()


def test_the_propose_form_validates_the_formula_as_the_analyst_types(
    example_manifest_catalog, browser_page, analyst
):
    page = browser_page
    _sign_in(page, analyst)
    page.goto("/metrics/new/")
    page.get_by_label("Name").fill("Average invoice")
    page.get_by_label("Computed from (catalog models)").fill("fct_revenue")
    page.get_by_label("Formula").type("AVG(amount_usd", delay=20)
    page.locator("#err-formula .error", has_text="SQL does not parse").wait_for()
    page.get_by_label("Formula").type(") + SUM(currency)", delay=20)
    page.locator('#live-check [data-column="currency"] .error').wait_for()
    assert page.locator("#err-formula .error").count() == 0
    page.get_by_label("Type").select_option("ratio")
    assert page.locator('fieldset[data-type="ratio"]').is_visible()
    assert not page.locator('fieldset[data-type="simple"]').is_visible()
    page.locator("#err-type_params .error", has_text="needs a numerator").wait_for()
    save_screenshot(page, "metrics-propose-live-validation")


def test_a_decision_someone_else_made_first_is_explained_not_lost(
    browser_page, proposed_change, metric_owner, reviewer, analyst
):
    page = browser_page
    _sign_in(page, metric_owner)
    page.goto(f"/metrics/m/{proposed_change.metric.slug}/v/2/")
    page.get_by_label("Comment").fill("Looks right.")
    # Meanwhile a governance reviewer rejects it.
    from metrics_dictionary.services.reviews import metric_version_reject

    metric_version_reject(version=proposed_change, actor=reviewer, comment="Paid is not final.")
    page.get_by_role("button", name="Approve").click()
    refusal = page.locator('#decision-result [data-refusal="409"]')
    refusal.wait_for()
    assert "not in review; someone may have decided it already" in refusal.inner_text()
    assert (
        page.get_by_label("Comment").input_value() == "Looks right."
    )  # what the owner typed is still there
    save_screenshot(page, "metrics-review-conflict")

    _sign_in(page, analyst)
    page.goto(f"/metrics/m/{proposed_change.metric.slug}/v/2/")
    assert page.get_by_role("button", name="Approve").count() == 0


def test_metric_pages_fit_a_phone_screen(browser_page, proposed_change, metric_owner):
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    _sign_in(page, metric_owner)
    slug = proposed_change.metric.slug
    for path in (
        "/metrics/",
        f"/metrics/m/{slug}/",
        f"/metrics/m/{slug}/v/2/",
        "/metrics/inbox/",
        "/metrics/changes/",
        "/metrics/new/",
    ):
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        wide = page.evaluate(
            """[...document.querySelectorAll('body, body *')]
                .filter(e => e.scrollWidth > window.innerWidth + 1).slice(0, 8)
                .map(e => e.tagName + '.' + e.className + ' ' + e.scrollWidth + ' '
                          + getComputedStyle(e).overflowX)"""
        )
        assert overflow <= 1, f"{path} scrolls sideways by {overflow}px on a phone: {wide}"
