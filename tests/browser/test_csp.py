"""The main pages run in Chromium under the strict Content-Security-Policy without a single
violation or console error, their scripts included (graph, charts, HTMX tabs, Swagger UI)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from catalog.models import Asset
from governance.scorecard import scorecard_snapshot_take
from governance.services import asset_tier_set
from tests.browser.test_login_and_search import _sign_in
from tests.factories import EXAMPLE_TARGET, ingest_ok
from tests.lineage.querylog.helpers import ingest_log_ok, row, write_log

pytestmark = pytest.mark.browser

# Registered before any page script runs; violations are kept on window for the test to read.
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  const what = e.blockedURI || "inline";
  window.__cspViolations.push(`${e.violatedDirective} blocked ${what} (${where})`);
});
"""


class Watch:
    """Console errors, page errors and CSP violations of one page load."""

    def __init__(self, page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.add_init_script(LISTEN)
        page.on(
            "console",
            lambda msg: self.errors.append(f"console: {msg.text}") if msg.type == "error" else None,
        )
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        page.on(
            "response",
            lambda r: self.errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None,
        )

    def problems(self) -> list[str]:
        return self.errors + [
            f"CSP: {v}" for v in self.page.evaluate("window.__cspViolations || []")
        ]

    def visit(self, url: str, ready: str | None = None) -> list[str]:
        self.errors.clear()
        self.page.goto(url)
        self.page.wait_for_load_state("networkidle")
        if ready:
            # An arrow function, not an expression: Playwright evaluates expressions with eval,
            # which this very policy forbids on the page.
            self.page.wait_for_function(f"() => {ready}")
        return self.problems()


def test_the_main_pages_run_under_the_policy_without_violations(browser_page, reviewer, tmp_path):
    ingest_ok(EXAMPLE_TARGET)
    revenue = Asset.objects.get(name="fct_revenue", kind="model")
    churn = Asset.objects.get(name="customer_churn", kind="model")
    asset_tier_set(asset=revenue, tier=1, actor=reviewer)
    now = timezone.now()
    ingest_log_ok(
        write_log(
            tmp_path / "qh.csv",
            [
                row(
                    f"q{n}",
                    f"select invoice_id from saas.marts.fct_revenue where account_id = {n}",
                    when=now - timezone.timedelta(days=n % 5, minutes=3),
                )
                for n in range(12)
            ],
        )
    )
    scorecard_snapshot_take()  # so the scorecard draws its trend chart (Chart.js)

    page = browser_page
    watch = Watch(page)
    _sign_in(page, reviewer)
    assert watch.problems() == []

    assert watch.visit("/") == []
    assert watch.visit("/search/?q=churn", "document.querySelector('.result-title')") == []
    assert watch.visit("/metrics/") == []
    assert watch.visit("/governance/") == []
    assert watch.visit("/governance/pii/") == []
    assert (
        watch.visit(
            "/governance/scorecard/",
            "window.Chart && document.querySelector('canvas') && "
            "window.Chart.getChart(document.querySelector('canvas'))",
        )
        == []
    )
    assert watch.visit("/governance/tokens/") == []

    # An asset page, then its Lineage tab (an HTMX swap) and its full lineage graph (Cytoscape).
    assert watch.visit(f"/assets/{churn.pk}/") == []
    page.get_by_role("tab", name="Lineage").click()
    page.get_by_role("link", name="Open the lineage graph").wait_for()
    assert watch.problems() == []
    page.get_by_role("link", name="Open the lineage graph").click()
    page.wait_for_function(
        "() => document.getElementById('lineage-graph').dataset.ready === 'true'"
    )
    assert int(page.locator("#lineage-graph").get_attribute("data-nodes")) >= 3
    assert watch.problems() == []

    # The Usage tab draws its chart from a JSON data block, not an inline script.
    assert watch.visit(f"/assets/{revenue.pk}/") == []
    page.get_by_role("tab", name="Usage").click()
    page.wait_for_function(
        "() => document.querySelector('canvas[data-usage-chart]')?.dataset.drawn === '1'"
    )
    assert watch.problems() == []

    # Swagger UI renders the operations from the schema, its init script served from a URL.
    assert watch.visit("/api/docs/", "document.querySelectorAll('.opblock').length > 10") == []
    assert page.get_by_role("button", name="Authorize").is_visible()


def test_redoc_renders_with_its_one_allowance(browser_page, viewer):
    page = browser_page
    watch = Watch(page)
    _sign_in(page, viewer)
    problems = watch.visit("/api/redoc/", "document.querySelector('.api-content h1')")
    assert "Lexicon API" in page.locator(".api-content h1").first.inner_text()
    # Redocly's "powered by" logo lives on their CDN; the policy blocks it, and nothing else.
    assert [p for p in problems if "cdn.redoc.ly" not in p] == []
