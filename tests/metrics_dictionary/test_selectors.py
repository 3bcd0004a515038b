"""Reads for reviewers: the inbox, the diff, the impact, the directory."""

from __future__ import annotations

import pytest
from django.db.models import QuerySet

from catalog.models import Asset
from lexicon_core.permissions import actions, allowed
from metrics_dictionary.filters import MetricFilterSet
from metrics_dictionary.models import Metric
from metrics_dictionary.selectors import inbox, metrics_list, version_diff, version_impact
from metrics_dictionary.services.proposals import metric_propose, metric_version_propose
from metrics_dictionary.services.reviews import metric_version_approve, metric_version_submit

pytestmark = pytest.mark.django_db


def test_metric_actions_are_registered_for_pages_and_api(
    viewer, analyst, metric_owner, reviewer, admin_user
):
    registered = actions()
    for action in (
        "metric.propose",
        "metric.review",
        "metric.comment",
        "metric.deprecate",
        "asset.deprecate",
        "webhook.manage",
    ):
        assert action in registered
    assert [
        allowed(u, "metric.propose") for u in (viewer, analyst, metric_owner, reviewer, admin_user)
    ] == [False, True, True, True, True]
    assert [
        allowed(u, "webhook.manage") for u in (viewer, analyst, metric_owner, reviewer, admin_user)
    ] == [False, False, False, False, True]


def test_inbox_sorts_versions_for_each_reviewer(analyst, metric_owner, second_owner, reviewer):
    mine = metric_propose(
        name="Revenue", actor=analyst, owner_users=[metric_owner], definition={"formula": "SUM(x)"}
    )
    theirs = metric_propose(
        name="Actives",
        actor=analyst,
        owner_users=[second_owner],
        definition={"formula": "COUNT(x)"},
    )
    draft = metric_propose(name="Drafty", actor=metric_owner, definition={"formula": "SUM(y)"})
    tier1 = metric_propose(
        name="MRR",
        actor=analyst,
        tier=1,
        owner_users=[metric_owner],
        definition={"formula": "SUM(z)"},
    )
    for version in (mine, theirs, tier1):
        metric_version_submit(version=version, actor=analyst)
    metric_version_approve(version=tier1, actor=metric_owner)  # needs a governance approval still
    olivia = inbox(metric_owner)
    assert [v.metric.name for v in olivia["waiting_for_me"]] == ["Revenue"]
    assert {v.metric.name for v in olivia["waiting_for_others"]} == {"Actives", "MRR"}
    assert [v.metric.name for v in olivia["my_proposals"]] == ["Drafty"]
    grace = inbox(reviewer)
    assert {v.metric.name for v in grace["waiting_for_me"]} == {"Revenue", "Actives", "MRR"}
    assert {v.metric.name for v in inbox(analyst)["my_proposals"]} == {"Revenue", "Actives", "MRR"}
    assert inbox(analyst)["waiting_for_me"] == []
    assert draft.state == "draft"


def test_diff_of_two_versions_field_by_field(analyst, metric_owner):
    v1 = metric_propose(
        name="Revenue",
        actor=analyst,
        owner_users=[metric_owner],
        definition={"formula": "SUM(x)", "unit": "USD", "filters": ["x > 0"]},
    )
    metric_version_submit(version=v1, actor=analyst)
    metric_version_approve(version=v1, actor=metric_owner)
    v2 = metric_version_propose(
        metric=v1.metric, actor=analyst, definition={"unit": "EUR", "filters": ["x > 0", "y = 1"]}
    )
    rows = {r.field: r for r in version_diff(v1, v2)}
    assert [f for f, r in rows.items() if r.changed] == ["filters", "unit"]
    assert (rows["unit"].old, rows["unit"].new) == ("USD", "EUR")
    assert not rows["formula"].changed and rows["formula"].old == "SUM(x)"
    assert all(r.changed == bool(r.new) for r in version_diff(None, v1))


def test_impact_checks_formula_columns_against_the_catalog_and_lists_downstream(
    example_manifest_catalog, analyst, metric_owner
):
    mart = Asset.objects.get(unique_id="model.saas_analytics.fct_revenue")
    v1 = metric_propose(
        name="Billed",
        actor=analyst,
        owner_users=[metric_owner],
        definition={
            "formula": (
                "SUM(amount_usd) / NULLIF(COUNT(DISTINCT fct_revenue.account_id), 0)"
                " + AVG(currency)"
            ),
            "related_asset_ids": [mart.pk],
        },
    )
    impact = version_impact(v1)
    checks = {c.name: c for c in impact["columns"]}
    assert checks["amount_usd"].exists and checks["amount_usd"].compatible is True
    assert (
        checks["account_id"].exists and checks["account_id"].compatible is None
    )  # counted, not summed
    assert checks["currency"].compatible is False and "varchar" in checks["currency"].note
    assert impact["problems"] == ["currency: aggregated as a number but the column is varchar"]
    names = {n["name"] for n in impact["downstream"]}
    assert names, "fct_revenue feeds other assets in the example project"
    assert all(n["via"] == "fct_revenue" for n in impact["downstream"])
    assert impact["usage"] == [] and impact["usage_reason"] == "no query log has been ingested yet"
    assert impact["progress"]["rule_text"] == "1 approval"


def _directory(**params) -> QuerySet:
    filters = MetricFilterSet(params, queryset=metrics_list())
    assert filters.is_valid(), filters.errors
    return filters.qs


def test_directory_filters_and_search(
    example_manifest_catalog, analyst, metric_owner, django_assert_max_num_queries
):
    found = _directory(q="churn")
    assert isinstance(found, QuerySet)  # a search stays a queryset: paginated and counted in SQL
    assert {m.slug for m in found} >= {"churn-rate", "churned-accounts"}
    assert found.filter(tier=1).count() == len([m for m in found if m.tier == 1])
    assert all(m.tier == 1 for m in _directory(tier="1")) and _directory(tier="1")
    with django_assert_max_num_queries(6):
        rows = list(_directory(status="approved"))
        assert len(rows) == Metric.objects.count() == 12
        for metric in rows:
            [o.display for o in metric.owners.all()]
            _ = metric.current_version.label


def test_impact_lists_the_people_who_queried_the_metric_tables(
    example_manifest_catalog, analyst, metric_owner, tmp_path
):
    """Usage from the query logs: who would notice a change to the metric's mart."""
    from django.utils import timezone

    from tests.lineage.querylog.helpers import ingest_log_ok, row, write_log

    mart = Asset.objects.get(unique_id="model.saas_analytics.fct_revenue")
    other = Asset.objects.get(unique_id="model.saas_analytics.stg_accounts")
    relation = f"{mart.database}.{mart.schema}.{mart.name}"
    now = timezone.now()
    ingest_log_ok(
        write_log(
            tmp_path / "qh.csv",
            [
                row("q1", f"SELECT SUM(amount_usd) FROM {relation}", user="ANN", when=now),
                row(
                    "q2",
                    f"SELECT SUM(amount_usd) FROM {relation} WHERE account_id = 7",
                    user="ANN",
                    when=now,
                ),
                row("q3", f"SELECT account_id FROM {relation}", user="BEN", when=now),
                row(
                    "q4",
                    f"SELECT * FROM {other.database}.{other.schema}.{other.name}",
                    user="CAT",
                    when=now,
                ),
            ],
        )
    )
    v1 = metric_propose(
        name="Billed",
        actor=analyst,
        owner_users=[metric_owner],
        definition={"formula": "SUM(amount_usd)", "related_asset_ids": [mart.pk]},
    )
    impact = version_impact(v1)
    assert [(u["user"], u["queries"]) for u in impact["usage"]] == [("ANN", 2), ("BEN", 1)]
    assert impact["usage_reason"] == ""
