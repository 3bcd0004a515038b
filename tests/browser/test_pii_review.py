"""A governance reviewer works through the PII review queue and sees the scorecard's PII
review coverage rise."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import Asset
from governance.models import AuditEvent, ColumnClassification, ScorecardSnapshot
from governance.scorecard import scorecard_kpi, scorecard_snapshot_take
from tests.browser.conftest import save_screenshot
from tests.browser.test_login_and_search import _sign_in

pytestmark = pytest.mark.browser


def _pii_coverage(page) -> float:
    page.goto("/governance/scorecard/")
    text = page.locator("#kpi-pii_review [data-kpi-value]").inner_text()
    return float(text.replace("%", "").strip())


def test_a_reviewer_bulk_confirms_rejects_one_and_coverage_rises(
    example_catalog, browser_page, reviewer
):
    page = browser_page
    _sign_in(page, reviewer)
    before = _pii_coverage(page)
    save_screenshot(page, "scorecard-before-review")

    page.get_by_role("link", name="PII review queue").first.click()
    page.get_by_role("heading", name="PII review queue").wait_for()
    open_total = ColumnClassification.objects.filter(status="suggested").count()
    assert page.locator("#queue-counts [data-status=suggested] strong").inner_text() == str(
        open_total
    )

    # Narrow to email suggestions, select all on the page, confirm them at once.
    page.get_by_label("Category").select_option("email")
    page.wait_for_url("**category=email**")
    page.wait_for_function(
        "() => document.querySelectorAll('input[name=ids]').length > 0 && "
        "Array.from(document.querySelectorAll('.review-table tbody tr')).every("
        "r => r.textContent.includes('Email'))"
    )
    emails = page.locator("input[name=ids]").count()
    expected_emails = ColumnClassification.objects.filter(
        status="suggested", category="email"
    ).count()
    assert emails == expected_emails and emails >= 2
    email_columns = (
        ColumnClassification.objects.filter(category="email").values("column").distinct().count()
    )
    page.get_by_label("Select all on this page").check()
    assert page.locator("input[name=ids]:checked").count() == emails
    save_screenshot(page, "pii-review-queue-selected")
    page.get_by_role("button", name="Confirm selected").click()
    page.get_by_text(f"Confirmed {emails} classifications.").wait_for()
    assert (
        ColumnClassification.objects.filter(category="email", status="confirmed").count() == emails
    )

    # Back to every category: reject one suggestion on its row.
    page.get_by_label("Category").select_option("")
    page.wait_for_function("() => !location.search.includes('category=email')")
    row = page.locator(".review-table tbody tr").first
    row.locator("input[name=ids]").wait_for()
    rejected = ColumnClassification.objects.get(
        pk=int(row.locator("input[name=ids]").get_attribute("value"))
    )
    same_fact = ColumnClassification.objects.filter(
        column=rejected.column, category=rejected.category, status="suggested"
    ).count()
    row.get_by_role("button", name="Reject").click()
    page.get_by_text(f"Rejected {same_fact} classification").wait_for()
    rejected.refresh_from_db()
    assert rejected.status == "rejected"
    save_screenshot(page, "pii-review-queue-after")

    # The asset's Columns tab shows the effective classification with its origin.
    dim_users = Asset.objects.get(name="dim_users", kind="model")
    page.goto(f"/assets/{dim_users.pk}/?tab=columns")
    email_cell = page.locator("#tab-panel tr", has_text="email_domain").locator(
        "xpath=preceding-sibling::tr[1]"
    )
    email_cell.get_by_text("confirmed · dbt").wait_for()
    # one badge: the effective classification replaced dbt's flag in the PII column
    assert email_cell.locator(".badge-pii").all_inner_texts() == ["PII · email"]
    page.locator("#tab-panel tr", has_text="signup_ip").get_by_text(
        "suggested · heuristic"
    ).wait_for()
    save_screenshot(page, "asset-columns-effective-pii")

    decisions = AuditEvent.objects.filter(
        actor=reviewer, action__startswith="column.classification_"
    )
    assert decisions.filter(action="column.classification_confirm").count() == email_columns
    assert decisions.filter(action="column.classification_reject").count() == 1

    # Yesterday's snapshot (taken before the review) and today's give a trend.
    scorecard_snapshot_take(day=timezone.localdate() - timedelta(days=1))
    ScorecardSnapshot.objects.filter(day=timezone.localdate() - timedelta(days=1)).update(
        values={
            "pii_review": {
                "value": before,
                "numerator": 0,
                "denominator": 0,
                "failing": 0,
                "available": True,
            }
        }
    )
    scorecard_snapshot_take()
    after = _pii_coverage(page)
    assert after > before
    page.wait_for_function(
        "() => typeof Chart !== 'undefined' && Chart.getChart('scorecard-chart') !== undefined"
    )
    points = page.evaluate(
        "Chart.getChart('scorecard-chart').data.datasets.find("
        "d => d.label === 'PII review coverage').data"
    )
    assert points == [before, after]
    page.locator("#kpi-pii_review").scroll_into_view_if_needed()
    save_screenshot(page, "scorecard-after-review")
    page.locator("#scorecard-chart").scroll_into_view_if_needed()
    save_screenshot(page, "scorecard-trend")

    page.locator("#kpi-pii_review a").click()
    page.get_by_role("heading", name="PII review coverage: failing assets").wait_for()
    listed = {
        int(x)
        for x in page.locator("#failing-assets tr[data-asset-id]").evaluate_all(
            "rows => rows.map(r => r.dataset.assetId)"
        )
    }
    assert listed == set(scorecard_kpi("pii_review").failing)
    save_screenshot(page, "scorecard-drilldown")
