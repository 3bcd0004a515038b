import pytest

from catalog.models import Asset
from governance.models import AuditEvent
from tests.browser.conftest import save_screenshot
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _sign_in(page, user) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login/" not in url)


def test_a_reviewer_gives_an_orphan_model_a_tier_and_an_owner_and_its_policy_checks_follow(
    example_catalog, browser_page, reviewer, analyst
):
    orphan = Asset.objects.get(kind="model", name="fct_support_tickets")
    page = browser_page
    _sign_in(page, reviewer)
    page.goto(f"/assets/{orphan.pk}/")
    page.get_by_text("No tier: no policy applies.").wait_for()

    page.get_by_role("button", name="Set tier").click()
    page.get_by_label("Tier").select_option("1")
    page.get_by_label("Reason").fill("Support SLAs go to the board")
    page.get_by_role("button", name="Save tier").click()
    page.get_by_text("effective tier 1").wait_for()
    owner_check = page.locator('#asset-policy [data-check="owner"]')
    owner_check.wait_for()  # the policy panel reloaded itself after the change
    assert "✗" in owner_check.inner_text()

    page.get_by_role("button", name="Edit owners").click()
    page.get_by_label("Owner type").select_option("business")
    page.get_by_label("People").select_option(label=analyst.username)
    page.get_by_role("button", name="Save owners").click()
    page.locator("#asset-owners .owner", has_text=analyst.username).wait_for()
    assert "business · person" in page.locator("#asset-owners").inner_text()
    page.wait_for_function(
        "() => document.querySelector('#asset-policy [data-check=\"owner\"]')"
        ".textContent.includes('✓')"
    )
    save_screenshot(page, "governance-asset-owner-tier")

    page.goto("/governance/audit/?action=asset.")
    rows = page.locator("#audit-table tbody tr")
    rows.first.wait_for()
    assert rows.count() == 2
    assert {"asset.tier_set", "asset.owners_set"} == set(
        AuditEvent.objects.filter(actor_name=reviewer.username).values_list("action", flat=True)
    )
    assert all(
        AuditEvent.objects.filter(action__startswith="asset.").values_list("request_id", flat=True)
    )
    save_screenshot(page, "governance-audit-log")


def test_a_reviewer_tightens_the_tier_one_sla_and_the_asset_page_turns_stale(
    example_catalog, browser_page, reviewer
):
    mrr = Asset.objects.get(kind="model", name="fct_mrr")
    page = browser_page
    _sign_in(page, reviewer)
    page.goto(f"/assets/{mrr.pk}/")
    freshness = page.locator('#asset-policy [data-check="freshness"]')
    freshness.wait_for()
    was_fresh = "✓" in freshness.inner_text()

    page.goto("/governance/policies/")
    page.get_by_role("link", name="Edit").first.click()
    page.get_by_label("Freshness SLA (max age, hours)").fill("1")
    page.get_by_role("button", name="Save policy").click()
    page.wait_for_url("**/governance/policies/")
    assert "Tier 1 policy saved." in page.content()
    save_screenshot(page, "governance-tier-policies")

    page.goto(f"/assets/{mrr.pk}/")
    freshness.wait_for()
    # The example's last successful run is more than an hour old: stale under a 1 h SLA,
    # and it was fresh under the default 24 h exactly when it is younger than that.
    from django.utils import timezone

    from catalog.models import NodeRunResult

    last = (
        NodeRunResult.objects.filter(asset=mrr, status="success")
        .latest("completed_at")
        .completed_at
    )
    age_hours = (timezone.now() - last).total_seconds() / 3600
    assert age_hours > 1 and "✗" in freshness.inner_text()
    assert was_fresh is (age_hours <= 24)
    page.get_by_text("Details").click()
    assert "SLA 1 h" in page.locator("#asset-policy").inner_text()
