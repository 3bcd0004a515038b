import pytest

from catalog.models import Asset
from tests.browser.conftest import save_screenshot
from tests.browser.test_login_and_search import _sign_in

pytestmark = pytest.mark.browser


def test_graph_expands_a_node_and_highlights_a_column_path(example_catalog, browser_page, viewer):
    churn = Asset.objects.get(name="customer_churn", kind="model")
    mrr = Asset.objects.get(name="fct_mrr", kind="model")
    page = browser_page
    _sign_in(page, viewer)
    page.goto(f"/lineage/assets/{churn.pk}/graph/")
    graph = page.locator("#lineage-graph")
    page.wait_for_function(
        "() => document.getElementById('lineage-graph').dataset.ready === 'true'"
    )
    before = int(graph.get_attribute("data-nodes"))
    assert before >= 3 and "nodes" in page.locator("#graph-status").inner_text()

    page.evaluate(
        f"document.getElementById('lineage-graph').dispatchEvent("
        f"new CustomEvent('lineage:select', {{detail: {mrr.pk}}}))"
    )
    page.get_by_role("button", name="Expand selected node").click()
    page.wait_for_function(
        f"() => Number(document.getElementById('lineage-graph').dataset.nodes) > {before}"
    )

    page.get_by_label("Column mode").select_option(label="churned_mrr_amount")
    page.wait_for_function(
        "() => document.getElementById('lineage-graph').dataset.pathNodes !== undefined"
    )
    assert (
        int(graph.get_attribute("data-path-nodes")) >= 2
    )  # customer_churn and at least fct_mrr upstream
    assert int(graph.get_attribute("data-path-edges")) >= 1
    assert "Column path:" in page.locator("#graph-status").inner_text()
    save_screenshot(page, "lineage-graph-column-mode")


def test_a_hub_with_hundreds_of_children_shows_them_forty_at_a_time(browser_page, viewer):
    from catalog.models import Project
    from lineage.models import AssetEdge

    project = Project.objects.create(name="hub")
    hub = Asset.objects.create(
        project=project, unique_id="model.hub.events", kind="model", name="events"
    )
    children = Asset.objects.bulk_create(
        [
            Asset(
                project=project, unique_id=f"model.hub.child_{i}", kind="model", name=f"child_{i}"
            )
            for i in range(300)
        ]
    )
    AssetEdge.objects.bulk_create(
        [AssetEdge(project=project, upstream=hub, downstream=c) for c in children]
    )
    page = browser_page
    _sign_in(page, viewer)
    page.goto(f"/lineage/assets/{hub.pk}/graph/?up=0&down=1")
    page.wait_for_function(
        "() => document.getElementById('lineage-graph').dataset.ready === 'true'", timeout=10_000
    )
    shown = int(page.locator("#lineage-graph").get_attribute("data-nodes"))
    assert shown == 1 + 40 + 1  # the hub, the first 40 children, one "+ 260 more" node
    page.evaluate(
        "(() => { const g = document.getElementById('lineage-graph');"
        " g.dispatchEvent(new CustomEvent('lineage:select', {detail: g.dataset.lastMore})); })()"
    )
    page.wait_for_function(
        "() => Number(document.getElementById('lineage-graph').dataset.nodes) === 82"
    )
    save_screenshot(page, "lineage-graph-hub")
