"""Confirming a PII column suggests it on every column downstream that copies or transforms it."""

from collections import defaultdict

import pytest

from catalog.models import Column
from governance.models import AuditEvent, ColumnClassification
from governance.pii.effective import effective_for
from governance.pii.review import column_classifications_review
from governance.services import column_classification_decide
from lineage.column_lineage import column_lineage_build
from lineage.models import ColumnEdge
from tests.factories import EXAMPLE_TARGET, ingest_ok

pytestmark = pytest.mark.django_db


def _downstream_by_walking_edges(
    start: int, kinds: tuple[str, ...], stop: frozenset[int] = frozenset()
) -> set[int]:
    """Independent of governance.pii: a plain walk over ColumnEdge rows."""
    children = defaultdict(set)
    for up, down, kind in ColumnEdge.objects.values_list("upstream_id", "downstream_id", "kind"):
        if kind in kinds:
            children[up].add(down)
    found, frontier = set(), [start]
    while frontier:
        nxt = []
        for col in frontier:
            for child in children[col] - found - {start} - stop:
                found.add(child)
                nxt.append(child)
        frontier = nxt
    return found


@pytest.fixture
def example(example_catalog):
    run = example_catalog
    column_lineage_build(project=run.project, run=run)
    return run


def _lineage_rows(**filters):
    return ColumnClassification.objects.filter(origin="lineage", **filters)


def test_confirming_email_on_staging_suggests_it_on_every_copy_and_transform_downstream(
    example, reviewer
):
    email = Column.objects.get(asset__name="stg_app_users", asset__kind="model", name_key="email")
    suggestion = ColumnClassification.objects.get(
        column=email, origin="heuristic", category="email"
    )
    column_classifications_review(
        classification_ids=[suggestion.pk], decision="confirm", actor=reviewer
    )

    expected = _downstream_by_walking_edges(email.pk, ("copy", "transform"))
    assert expected, "the example project has columns downstream of stg_app_users.email"
    names = {
        f"{c.asset.name}.{c.name_key}"
        for c in Column.objects.filter(pk__in=expected).select_related("asset")
    }
    assert "dim_users.email" in names

    rows = _lineage_rows(category="email")
    assert set(rows.values_list("column_id", flat=True)) == expected
    assert set(rows.values_list("source_column_id", flat=True)) == {email.pk}
    assert set(rows.values_list("status", flat=True)) == {"suggested"}
    # nothing on unrelated columns: every lineage suggestion is one of the expected
    assert not _lineage_rows().exclude(column__in=expected).exists()
    # aggregates do not propagate
    aggregated_only = (
        _downstream_by_walking_edges(email.pk, ("copy", "transform", "aggregate")) - expected
    )
    assert not _lineage_rows(column__in=aggregated_only).exists()
    dim_email = Column.objects.get(asset__name="dim_users", name_key="email")
    assert (
        AuditEvent.objects.filter(
            action="column.classification_confirm", object_id=str(email.pk)
        ).count()
        == 1
    )
    # dbt meta flags dim_users.email too: the effective one stays dbt's until a person decides
    assert effective_for(dim_email).is_pii is True


def test_rejecting_the_source_withdraws_its_open_suggestions_but_keeps_decided_ones(
    example, reviewer
):
    email = Column.objects.get(asset__name="stg_app_users", asset__kind="model", name_key="email")
    column_classification_decide(
        column=email, category="email", status="confirmed", actor=reviewer, sensitivity="high"
    )
    downstream = _downstream_by_walking_edges(email.pk, ("copy", "transform"))
    assert set(_lineage_rows().values_list("column_id", flat=True)) == downstream
    kept = _lineage_rows().order_by("pk").first()
    column_classifications_review(classification_ids=[kept.pk], decision="confirm", actor=reviewer)

    column_classification_decide(
        column=email,
        category="none",
        status="rejected",
        actor=reviewer,
        note="hashed at the source",
    )
    remaining = _lineage_rows()
    assert list(remaining.values_list("pk", "status")) == [(kept.pk, "confirmed")]
    # the column a person confirmed now is a source itself: its own downstream are suggested again
    again = _downstream_by_walking_edges(kept.column_id, ("copy", "transform"))
    assert set(_lineage_rows(status="suggested").values_list("column_id", flat=True)) == again


def test_a_column_a_person_marked_not_pii_stops_propagation(example, reviewer):
    source = Column.objects.get(asset__name="stg_app_users", asset__kind="model", name_key="email")
    dim_email = Column.objects.get(asset__name="dim_users", name_key="email")
    column_classification_decide(
        column=dim_email, category="none", status="confirmed", actor=reviewer, sensitivity="low"
    )
    column_classification_decide(
        column=source, category="email", status="confirmed", actor=reviewer
    )
    assert not _lineage_rows(column=dim_email).exists()
    expected = _downstream_by_walking_edges(
        source.pk, ("copy", "transform"), stop=frozenset({dim_email.pk})
    )
    everything = _downstream_by_walking_edges(source.pk, ("copy", "transform"))
    assert expected < everything  # dim_users.email and what only it feeds are left out
    assert set(_lineage_rows().values_list("column_id", flat=True)) == expected


def test_after_an_ingest_commits_propagation_follows_the_new_column_lineage(
    example_catalog, reviewer, tmp_path, django_capture_on_commit_callbacks
):
    from tests.factories import example_json, write_json

    assert not ColumnEdge.objects.exists()
    email = Column.objects.get(asset__name="stg_app_users", asset__kind="model", name_key="email")
    column_classification_decide(column=email, category="email", status="confirmed", actor=reviewer)
    assert not _lineage_rows().exists()  # no column lineage yet: nothing to follow

    manifest = example_json()
    uid = email.asset.unique_id
    manifest["nodes"][uid]["compiled_code"] = manifest["nodes"][uid]["compiled_code"].replace(
        "select", "select ", 1
    )
    with django_capture_on_commit_callbacks(execute=True):
        ingest_ok(write_json(tmp_path / "manifest.json", manifest), EXAMPLE_TARGET / "catalog.json")
    expected = _downstream_by_walking_edges(email.pk, ("copy", "transform"))
    assert expected
    assert set(_lineage_rows().values_list("column_id", flat=True)) == expected
