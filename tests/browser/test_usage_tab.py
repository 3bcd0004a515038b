import pytest
from django.utils import timezone

from catalog.models import Asset
from tests.browser.conftest import save_screenshot
from tests.browser.test_login_and_search import _sign_in
from tests.lineage.querylog.helpers import ingest_log_ok, row, write_log

pytestmark = pytest.mark.browser


def test_the_usage_tab_draws_queries_per_day_when_opened_from_the_asset_page(
    example_catalog, browser_page, viewer, tmp_path
):
    now = timezone.now()
    rows = [
        row(
            f"q{n}",
            f"select invoice_id, plan_name from saas.marts.fct_revenue where account_id = {n}",
            user=("ALICE", "BOB", "CAROL")[n % 3],
            when=now - timezone.timedelta(days=n % 12, minutes=3),
        )
        for n in range(60)
    ]
    ingest_log_ok(write_log(tmp_path / "qh.csv", rows))
    revenue = Asset.objects.get(name="fct_revenue")
    page = browser_page
    _sign_in(page, viewer)
    page.goto(f"/assets/{revenue.pk}/")
    page.get_by_role("tab", name="Usage").click()
    canvas = page.locator("canvas[data-usage-chart]")
    canvas.wait_for()
    page.wait_for_function(
        "() => document.querySelector('canvas[data-usage-chart]').dataset.drawn === '1'"
    )
    assert (
        page.evaluate(
            "window.Chart.getChart(document.querySelector('canvas[data-usage-chart]'))"
            ".data.datasets[0].data.reduce((a, b) => a + b, 0)"
        )
        == 60
    )
    assert "ALICE" in page.locator("#tab-panel").inner_text()
    # Switching the window re-draws from the swapped-in data.
    page.get_by_role("link", name="7", exact=True).click()
    page.wait_for_function(
        "() => document.querySelector('canvas[data-usage-chart]') && "
        "document.querySelector('canvas[data-usage-chart]').dataset.drawn === '1' && "
        "window.Chart.getChart(document.querySelector('canvas[data-usage-chart]'))"
        ".data.labels.length === 7"
    )
    save_screenshot(page, "asset-usage-tab")
