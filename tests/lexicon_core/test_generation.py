"""The catalog generation: every committed write moves it on, so cached fragments never show
data older than the last write; writes to tables no page shows do not count."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.urls import reverse

from catalog.models import Asset
from lexicon_core.generation import cached, generation, writes_table

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("sql", "table"),
    [
        ('INSERT INTO "catalog_asset" ("name") VALUES (%s)', "catalog_asset"),
        ('UPDATE "governance_assettier" SET "tier" = 1', "governance_assettier"),
        ('  delete from "lineage_assetedge" where id = 1', "lineage_assetedge"),
        ("TRUNCATE catalog_column", "catalog_column"),
        ('COPY "lineage_usage" FROM STDIN', "lineage_usage"),
        ("SELECT * FROM \"catalog_asset\" WHERE name = 'UPDATE x'", None),
        ("WITH x AS (SELECT 1) SELECT * FROM x", None),
    ],
)
def test_the_written_table_is_read_off_the_statement(sql, table):
    assert writes_table(sql) == table


def test_a_write_moves_the_generation_and_a_session_write_does_not(example_catalog, client):
    asset = Asset.objects.filter(kind="model").first()
    before = generation()
    assert generation() == before  # reading moves nothing
    Asset.objects.filter(pk=asset.pk).update(description="changed")
    after = generation()
    assert after > before
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_session WHERE session_key = 'none'")
    assert generation() == after


def test_inside_a_transaction_the_writer_sees_its_writes_and_others_after_commit(
    example_catalog,
):
    asset = Asset.objects.filter(kind="model").first()
    calls = []

    def description():
        calls.append(1)
        return Asset.objects.get(pk=asset.pk).description

    first = cached("test-description", description)
    assert cached("test-description", description) == first and len(calls) == 1  # kept
    with transaction.atomic():
        Asset.objects.filter(pk=asset.pk).update(description="written in a transaction")
        # this thread's own read already sees it, before the commit
        assert cached("test-description", description) == "written in a transaction"
    assert len(calls) == 2


@pytest.mark.django_db(transaction=True)
def test_a_transaction_moves_the_generation_once_after_it_commits(monkeypatch):
    from catalog.models import Project
    from lexicon_core import generation as module

    bumps = []
    monkeypatch.setattr(module, "generation_bump", lambda: bumps.append(1))
    with transaction.atomic():
        for n in range(5):
            Project.objects.create(name=f"p{n}")
        assert bumps == []  # nobody else may see uncommitted rows yet
    assert bumps == [1]  # one bump after the commit, for five statements
    with pytest.raises(RuntimeError), transaction.atomic():
        Project.objects.create(name="rolled back")
        raise RuntimeError
    assert bumps == [1]  # a rolled-back transaction changed nothing
    Project.objects.create(name="autocommit")
    assert bumps == [1, 1]


def test_a_cached_fragment_changes_with_the_data_and_the_readers_roles(
    example_catalog, viewer, reviewer, client
):
    from governance.services import asset_owners_set

    asset = Asset.objects.filter(kind="model").order_by("pk").first()
    url = reverse("governance:asset_owners", args=[asset.pk])
    client.force_login(viewer)
    first = client.get(url).content.decode()
    assert client.get(url).content.decode() == first
    assert "Edit owners" not in first

    asset_owners_set(asset=asset, owner_type="business", users=[reviewer], teams=[], actor=reviewer)
    after = client.get(url).content.decode()
    assert reviewer.username in after or (reviewer.get_full_name() or "") in after
    assert after != first

    client.force_login(reviewer)  # another role set: its own answer, with the edit button
    assert "Edit owners" in client.get(url).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_cache_that_is_down_never_fails_the_write(monkeypatch, caplog):
    from catalog.models import Project
    from lexicon_core import generation as module

    def down():
        raise ConnectionError("cache down")

    monkeypatch.setattr(module, "generation_bump", down)
    Project.objects.create(name="written anyway")  # autocommit: the bump follows at once
    with transaction.atomic():
        Project.objects.create(name="committed anyway")
    assert set(Project.objects.values_list("name", flat=True)) >= {
        "written anyway",
        "committed anyway",
    }
    assert "could not move the catalog generation on" in caplog.text
