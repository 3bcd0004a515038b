import pytest

from catalog.models import Asset
from tests.browser.conftest import save_screenshot
from tests.browser.test_login_and_search import _sign_in
from tests.factories import EXAMPLE_TARGET, ingest_ok

pytestmark = pytest.mark.browser


def test_graph_expands_a_node_and_highlights_a_column_path(browser_page, viewer):
    ingest_ok(EXAMPLE_TARGET)  # column lineage runs after the ingest commits
    churn = Asset.objects.get(name="customer_churn", kind="model")
    mrr = Asset.objects.get(name="fct_mrr", kind="model")
    page = browser_page
    _sign_in(page, viewer)
    page.goto(f"/lineage/assets/{churn.pk}/graph/")
    graph = page.locator("#lineage-graph")
    page.wait_for_function("document.getElementById('lineage-graph').dataset.ready === 'true'")
    before = int(graph.get_attribute("data-nodes"))
    assert before >= 3 and "nodes" in page.locator("#graph-status").inner_text()

    page.evaluate(f"document.getElementById('lineage-graph').dispatchEvent("
                  f"new CustomEvent('lineage:select', {{detail: {mrr.pk}}}))")
    page.get_by_role("button", name="Expand selected node").click()
    page.wait_for_function(f"Number(document.getElementById('lineage-graph').dataset.nodes) > {before}")

    page.get_by_label("Column mode").select_option(label="churned_mrr_amount")
    page.wait_for_function("document.getElementById('lineage-graph').dataset.pathNodes !== undefined")
    assert int(graph.get_attribute("data-path-nodes")) >= 2  # customer_churn and at least fct_mrr upstream
    assert int(graph.get_attribute("data-path-edges")) >= 1
    assert "Column path:" in page.locator("#graph-status").inner_text()
    save_screenshot(page, "lineage-graph-column-mode")
