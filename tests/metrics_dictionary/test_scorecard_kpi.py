"""The metric dictionary's number on the governance scorecard."""

from __future__ import annotations

import pytest

from governance.scorecard import scorecard_kpi
from metrics_dictionary.models import Metric
from metrics_dictionary.services.deprecations import metric_deprecate
from metrics_dictionary.services.proposals import metric_propose
from metrics_dictionary.services.reviews import metric_version_approve, metric_version_submit

pytestmark = pytest.mark.django_db


def test_executive_metrics_approved_counts_tier1_metrics_and_drills_down_to_the_failing(
    analyst, metric_owner, reviewer
):
    def tier1(name: str):
        return metric_propose(
            name=name,
            actor=analyst,
            tier=1,
            owner_users=[metric_owner],
            definition={"formula": "COUNT(*)"},
        )

    approved = tier1("Active accounts")
    metric_version_submit(version=approved, actor=analyst)
    metric_version_approve(version=approved, actor=metric_owner)
    metric_version_approve(
        version=approved, actor=reviewer
    )  # tier 1: two approvals, one a reviewer
    draft = tier1("Net revenue retention")
    drifted = tier1("Gross margin")
    metric_version_submit(version=drifted, actor=analyst)
    metric_version_approve(version=drifted, actor=metric_owner)
    metric_version_approve(version=drifted, actor=reviewer)
    Metric.objects.filter(pk=drifted.metric_id).update(needs_attention=True)
    gone = tier1("Old churn")
    metric_deprecate(metric=gone.metric, reason="Replaced", actor=reviewer)  # not counted
    metric_propose(
        name="Page views", actor=analyst, tier=2, definition={"formula": "COUNT(*)"}
    )  # not tier 1

    kpi = scorecard_kpi("executive_metrics_approved")
    assert kpi.available and (kpi.numerator, kpi.denominator) == (1, 3)
    # the drifted metric has its catalog asset; the draft never had one and is listed by its page
    drifted_asset = Metric.objects.get(pk=drifted.metric_id).asset_id
    assert kpi.failing == [drifted_asset] and "needs attention" in kpi.details[drifted_asset]
    assert kpi.failing_other == [
        ("Net revenue retention", f"/metrics/m/{draft.metric.slug}/", "no approved version yet")
    ]


def test_the_drill_down_lists_both_kinds_of_failing_metric(
    client, viewer, analyst, metric_owner, reviewer
):
    draft = metric_propose(
        name="Net revenue retention", actor=analyst, tier=1, definition={"formula": "COUNT(*)"}
    )
    drifted = metric_propose(
        name="Gross margin",
        actor=analyst,
        tier=1,
        owner_users=[metric_owner],
        definition={"formula": "COUNT(*)"},
    )
    metric_version_submit(version=drifted, actor=analyst)
    metric_version_approve(version=drifted, actor=metric_owner)
    metric_version_approve(version=drifted, actor=reviewer)
    Metric.objects.filter(pk=drifted.metric_id).update(needs_attention=True)
    client.force_login(viewer)
    html = client.get("/governance/scorecard/executive_metrics_approved/").content.decode()
    asset_id = Metric.objects.get(pk=drifted.metric_id).asset_id
    assert f'data-asset-id="{asset_id}"' in html and "needs attention" in html
    assert (
        f'href="/metrics/m/{draft.metric.slug}/">Net revenue retention</a>'
        " — no approved version yet" in html
    )
    api = client.get("/api/v1/governance/scorecard/").json()
    kpi = next(k for k in api["kpis"] if k["key"] == "executive_metrics_approved")
    assert (
        kpi["failing_asset_ids"] == [asset_id]
        and kpi["failing_other"][0]["name"] == "Net revenue retention"
    )
