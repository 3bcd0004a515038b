"""The scorecard on the example project equals counts made here, independently, and each
drill-down lists exactly the failing assets."""

import re
from collections import defaultdict
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from catalog.models import (
    Asset,
    Column,
    DataTest,
    IngestRun,
    NodeRunResult,
    Project,
    SourceFreshnessResult,
)
from governance.models import AssetOwner, AssetTier, ColumnClassification
from governance.pii.review import column_classifications_review
from governance.scorecard import scorecard_compute
from governance.services import asset_owners_set, asset_tier_set, column_classification_decide
from lexicon_core.extensions import register_kpi
from lexicon_core.tiers import Tier
from tests.factories import token_client

pytestmark = pytest.mark.django_db
DATA_KINDS = ("model", "source", "seed", "snapshot")


def _tiers() -> dict[int, int | None]:
    out = {}
    for asset in Asset.objects.filter(kind__in=DATA_KINDS, removed_at__isnull=True).select_related(
        "tier_decision"
    ):
        decision = getattr(asset, "tier_decision", None)
        out[asset.pk] = decision.tier if decision else asset.dbt_tier
    return out


def _expected(reviewed_columns: set[int]) -> dict[str, tuple[int, int, set[int]]]:
    """(numerator, denominator, failing asset ids) per KPI, from the catalog rows."""
    tiers = _tiers()
    assets = {a.pk: a for a in Asset.objects.filter(pk__in=tiers)}
    out = {}

    tier1_models = [pk for pk, t in tiers.items() if t == 1 and assets[pk].kind == "model"]
    tested = set()
    for pk in tier1_models:
        by_column = defaultdict(set)
        for test in DataTest.objects.filter(asset_id=pk, removed_at__isnull=True):
            by_column[test.column_name.lower()].add(test.test_name)
        if any({"unique", "not_null"} <= names for col, names in by_column.items() if col):
            tested.add(pk)
    out["tier1_test_coverage"] = (len(tested), len(tier1_models), set(tier1_models) - tested)

    doc_scope = [pk for pk, t in tiers.items() if t in (1, 2)]
    failing_docs = set()
    for pk in doc_scope:
        columns = list(Column.objects.filter(asset_id=pk, removed_at__isnull=True))
        described = (1 if assets[pk].description.strip() else 0) + sum(
            1 for c in columns if c.description.strip()
        )
        share = 100.0 * described / (1 + len(columns))
        if share < {1: 95, 2: 80}[tiers[pk]]:
            failing_docs.add(pk)
    out["documentation"] = (len(doc_scope) - len(failing_docs), len(doc_scope), failing_docs)

    unowned = {
        pk for pk, a in assets.items() if not a.dbt_owners and not a.owner_assignments.exists()
    }
    out["ownership"] = (len(assets) - len(unowned), len(assets), unowned)

    now, measured, stale = timezone.now(), 0, set()
    for pk, tier in tiers.items():
        hours = settings.LEXICON_TIER_FRESHNESS_SLA_HOURS.get(tier or 0)
        if not hours:
            continue
        fresh = (
            SourceFreshnessResult.objects.filter(asset_id=pk)
            .order_by("-generated_at", "-id")
            .first()
        )
        run = NodeRunResult.objects.filter(asset_id=pk).order_by("-generated_at", "-id").first()
        if fresh and fresh.max_loaded_at:
            loaded = fresh.max_loaded_at
        elif run and run.status in ("success", "pass") and run.completed_at:
            loaded = run.completed_at
        else:
            continue
        measured += 1
        if (now - loaded).total_seconds() / 3600 > hours:
            stale.add(pk)
    out["freshness"] = (measured - len(stale), measured, stale)

    latest = {}
    for result in NodeRunResult.objects.filter(
        test__removed_at__isnull=True, test__isnull=False
    ).order_by("-generated_at", "-id"):
        latest.setdefault(result.test_id, result)
    counted = [
        r
        for r in latest.values()
        if r.status in ("pass", "fail", "error", "warn")
        and r.test.asset_id is not None
        and r.test.asset.removed_at is None
    ]
    bad_assets = {r.test.asset_id for r in counted if r.status != "pass"}
    out["data_quality"] = (sum(r.status == "pass" for r in counted), len(counted), bad_assets)

    columns = Column.objects.filter(asset_id__in=list(assets), removed_at__isnull=True)
    unreviewed_assets = {c.asset_id for c in columns if c.pk not in reviewed_columns}
    out["pii_review"] = (len(reviewed_columns), columns.count(), unreviewed_assets)
    return out


@pytest.fixture
def governed_example(example_catalog, reviewer, analyst):
    """The example project after a few decisions: a tier change, an owner, PII reviews."""
    usage = Asset.objects.get(name="fct_product_usage", kind="model")
    asset_tier_set(asset=usage, tier=1, reason="exec dashboard", actor=reviewer)
    unowned = Asset.objects.filter(kind="model", dbt_owners=[]).order_by("name").first()
    asset_owners_set(asset=unowned, users=[analyst], actor=reviewer)
    reviewed = set()
    suggestions = list(ColumnClassification.objects.filter(origin="heuristic").order_by("pk")[:4])
    column_classifications_review(
        classification_ids=[s.pk for s in suggestions[:3]], decision="confirm", actor=reviewer
    )
    reviewed |= {s.column_id for s in suggestions[:3]}
    lonely = next(
        c
        for c in ColumnClassification.objects.filter(origin="heuristic", status="suggested")
        if c.column.classifications.count() == 1
    )
    column_classifications_review(classification_ids=[lonely.pk], decision="reject", actor=reviewer)
    reviewed.add(lonely.column_id)
    for column in Column.objects.filter(asset__name="fct_mrr", removed_at__isnull=True)[:3]:
        column_classification_decide(  # "holds no PII", confirmed
            column=column, category="none", status="confirmed", sensitivity="low", actor=reviewer
        )
        reviewed.add(column.pk)
    return reviewed


def test_the_numbers_equal_independent_counts_and_each_drilldown_lists_the_failing_assets(
    governed_example, reviewer, client
):
    expected = _expected(governed_example)
    kpis = {k.key: k for k in scorecard_compute()}
    client.force_login(reviewer)
    for key, (numerator, denominator, failing) in expected.items():
        kpi = kpis[key]
        assert (kpi.numerator, kpi.denominator) == (numerator, denominator), key
        assert set(kpi.failing) == failing, key
        assert denominator > 0, f"{key} measures nothing on the example project"
        html = client.get(f"/governance/scorecard/{key}/").content.decode()
        listed = {int(pk) for pk in re.findall(r'data-asset-id="(\d+)"', html)}
        assert listed == failing, key
    # the numbers are not trivially all-pass or all-fail
    assert 0 < kpis["pii_review"].numerator < kpis["pii_review"].denominator
    # the metric dictionary's number (it imports the example's dbt metrics), counted here
    # independently
    from metrics_dictionary.models import Metric

    executive = Metric.objects.filter(tier=1).exclude(status__in=("deprecated", "retired"))
    approved = executive.filter(current_version__isnull=False, needs_attention=False)
    kpi = kpis["executive_metrics_approved"]
    assert kpi.available and (kpi.numerator, kpi.denominator) == (
        approved.count(),
        executive.count(),
    )


def test_the_page_and_api_show_the_numbers(governed_example, viewer, client):
    kpis = {k.key: k for k in scorecard_compute()}
    client.force_login(viewer)
    html = client.get("/governance/scorecard/").content.decode()
    assert f"{kpis['pii_review'].value} %" in html
    body = token_client(viewer).get("/api/v1/governance/scorecard/").json()
    by_key = {k["key"]: k for k in body["kpis"]}
    assert by_key["pii_review"]["value"] == kpis["pii_review"].value
    assert by_key["ownership"]["failing_asset_ids"] == sorted(kpis["ownership"].failing)
    assert by_key["executive_metrics_approved"]["available"] is True


def test_an_app_above_can_plug_in_a_kpi_and_none_is_overridden_silently(db, monkeypatch):
    from governance import scorecard
    from lexicon_core import extensions

    monkeypatch.setattr(extensions, "_KPIS", dict(extensions._KPIS))

    @register_kpi("test_plugged_in", order=5)
    def _plugged(data):
        return scorecard.Kpi("test_plugged_in", "Plugged in", "", numerator=3, denominator=4)

    computed = scorecard_compute()
    assert computed[0].key == "test_plugged_in" and computed[0].value == 75.0
    with pytest.raises(ValueError, match="already registered"):
        register_kpi("executive_metrics_approved", order=70)(lambda data: None)


def _governed_catalog(n: int, owner) -> None:
    """``n`` of each kind of thing the scorecard counts: tiered models (some re-tiered by a
    reviewer, some owned, some tested, fresh or stale, with a PII column some reviewed) and
    sources with freshness results."""
    project = Project.objects.create(name=f"p{n}")
    run = IngestRun.objects.create(project=project, status=IngestRun.Status.SUCCEEDED)
    now = timezone.now()
    for i in range(n):
        model = Asset.objects.create(
            project=project,
            unique_id=f"model.p.dim_thing_{i}s",
            kind="model",
            name=f"dim_thing_{i}s",
            dbt_tier=Tier.TIER_1 if i % 2 else Tier.TIER_2,
            description="Things." if i % 3 else "",
        )
        key = Column.objects.create(
            asset=model, name=f"thing_{i}_id", name_key=f"thing_{i}_id", position=0
        )
        email = Column.objects.create(
            asset=model, name="email", name_key="email", position=1, description="Who."
        )
        if i % 3 == 0:
            AssetTier.objects.create(asset=model, tier=Tier.TIER_1)
        if i % 2 == 0:
            AssetOwner.objects.create(asset=model, user=owner)
        for test_name in ("unique", "not_null")[: 1 + i % 2]:
            test = DataTest.objects.create(
                project=project,
                unique_id=f"test.{model.name}.{test_name}",
                name=f"{test_name}_{key.name}",
                test_type="generic",
                test_name=test_name,
                asset=model,
                column_name=key.name,
            )
            NodeRunResult.objects.create(
                project=project,
                ingest_run=run,
                invocation_id="inv",
                unique_id=test.unique_id,
                test=test,
                status="pass" if i % 4 else "fail",
                generated_at=now,
            )
        NodeRunResult.objects.create(
            project=project,
            ingest_run=run,
            invocation_id="inv",
            unique_id=model.unique_id,
            asset=model,
            status="success",
            completed_at=now - timedelta(hours=1 if i % 2 else 500),
            generated_at=now,
        )
        ColumnClassification.objects.create(
            column=email,
            category="email",
            origin="heuristic",
            status="confirmed" if i % 2 else "suggested",
        )
        source = Asset.objects.create(
            project=project,
            unique_id=f"source.p.raw.things_{i}",
            kind="source",
            name=f"things_{i}",
            dbt_tier=Tier.TIER_3,
        )
        SourceFreshnessResult.objects.create(
            project=project,
            ingest_run=run,
            invocation_id="inv",
            unique_id=source.unique_id,
            asset=source,
            status="pass",
            max_loaded_at=now - timedelta(hours=2),
            generated_at=now,
        )


SCORECARD_QUERIES = 22


@pytest.mark.parametrize("n", [3, 30])
def test_the_scorecard_takes_the_same_number_of_queries_for_any_number_of_assets(
    n, analyst, django_assert_num_queries
):
    _governed_catalog(n, analyst)
    with django_assert_num_queries(SCORECARD_QUERIES):
        kpis = {k.key: k for k in scorecard_compute()}
    # every number measured something, so each KPI's queries ran
    assert all(
        kpis[key].denominator > 0
        for key in ("tier1_test_coverage", "documentation", "ownership", "freshness")
        + ("data_quality", "pii_review")
    )
    assert kpis["freshness"].failing and kpis["data_quality"].failing


# The drill-down computes its number, then lists the failing assets with their tiers.
DRILLDOWN_QUERIES = {
    "tier1_test_coverage": 14,
    "documentation": 5,
    "ownership": 4,
    "freshness": 7,
    "data_quality": 4,
    "pii_review": 4,
}


@pytest.mark.parametrize("n", [3, 30])
@pytest.mark.parametrize("key", sorted(DRILLDOWN_QUERIES))
@pytest.mark.usefixtures("sessions_as_in_production")
def test_each_drilldown_takes_the_same_number_of_queries_for_any_number_of_assets(
    key, n, client, viewer, analyst, django_assert_num_queries
):
    _governed_catalog(n, analyst)
    client.force_login(viewer)
    client.get("/governance/")  # session warm-up
    with django_assert_num_queries(DRILLDOWN_QUERIES[key]):
        response = client.get(f"/governance/scorecard/{key}/")
    assert response.status_code == 200
    listed = {int(pk) for pk in re.findall(r'data-asset-id="(\d+)"', response.content.decode())}
    assert listed and listed == set(scorecard_compute([key])[0].failing)
