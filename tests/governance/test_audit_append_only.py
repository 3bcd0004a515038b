import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from governance.models import AuditEvent
from tests.services import require_postgres

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE governance_auditevent SET action = 'forged' WHERE id = %s",
        "DELETE FROM governance_auditevent WHERE id = %s",
    ],
)
def test_postgres_refuses_to_rewrite_or_delete_audit_rows(statement, viewer):
    require_postgres()
    event = AuditEvent.objects.create(
        actor=viewer,
        actor_name="vera",
        action="asset.tier_set",
        object_type="catalog.asset",
        object_id="1",
    )
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [event.pk])
    event.refresh_from_db()
    assert event.action == "asset.tier_set"


def test_deleting_a_user_keeps_their_audit_rows(viewer):
    AuditEvent.objects.create(
        actor=viewer, actor_name="vera", action="x", object_type="t", object_id="1"
    )
    viewer.delete()
    assert AuditEvent.objects.get(action="x").actor_name == "vera"


@pytest.mark.parametrize("operation", ["update", "delete"])
def test_postgres_refuses_bulk_rewrites_through_the_orm_too(operation, viewer):
    require_postgres()
    AuditEvent.objects.create(
        actor=viewer,
        actor_name="vera",
        action="asset.tier_set",
        object_type="catalog.asset",
        object_id="1",
    )
    count = AuditEvent.objects.count()
    queryset = AuditEvent.objects.all()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        queryset.update(action="forged") if operation == "update" else queryset.delete()
    assert AuditEvent.objects.count() == count
    assert not AuditEvent.objects.filter(action="forged").exists()
