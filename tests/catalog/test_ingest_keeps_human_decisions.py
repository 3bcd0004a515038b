"""Re-ingest never overwrites what a person decided; dbt's new values are recorded beside it."""

import pytest

from catalog.models import Asset, Column
from governance.models import AuditEvent, ColumnClassification
from governance.pii.effective import effective_for
from governance.selectors import effective_owners, effective_tier
from governance.services import asset_owners_set, asset_tier_set, column_classification_decide
from tests.factories import EXAMPLE_TARGET, example_json, ingest_ok, write_json

pytestmark = pytest.mark.django_db


def test_people_keep_their_owner_tier_and_pii_decisions_across_reingest(
    example_catalog, tmp_path, reviewer, analyst
):
    mrr = Asset.objects.get(name="fct_mrr", kind="model")
    signup_ip = Column.objects.get(asset__name="dim_users", name_key="signup_ip")
    email = Column.objects.get(asset__name="dim_users", name_key="email")

    asset_owners_set(asset=mrr, users=[analyst], actor=reviewer)
    asset_tier_set(asset=mrr, tier=2, reason="not executive-facing yet", actor=reviewer)
    column_classification_decide(
        column=signup_ip, category="ip", status="confirmed", actor=reviewer
    )
    column_classification_decide(
        column=email, category="none", status="rejected", actor=reviewer, note="hashed upstream"
    )

    # dbt now says something else about the very same fields.
    manifest = example_json()
    node = manifest["nodes"][mrr.unique_id]
    node["meta"]["owner"] = node["config"]["meta"]["owner"] = "zoe@saas.example"
    node["meta"]["tier"] = node["config"]["meta"]["tier"] = 3
    users_uid = Asset.objects.get(name="dim_users", kind="model").unique_id
    users = manifest["nodes"][users_uid]
    users["columns"]["signup_ip"]["meta"] = {"contains_pii": False}
    users["columns"]["email"]["meta"] = {"contains_pii": True, "pii": "email"}
    users["columns"]["email"]["config"] = {"meta": {"contains_pii": True, "pii": "email"}}
    run = ingest_ok(write_json(tmp_path / "manifest.json", manifest))
    assert run.counts["model"]["changed"] == 2

    mrr.refresh_from_db()
    assert mrr.dbt_owners == ["zoe@saas.example"] and mrr.dbt_tier == 3  # dbt's values, recorded
    owners = effective_owners(mrr)
    assert [(o.display, o.origin) for o in owners] == [(analyst.username, "person")]
    assert effective_tier(mrr) == (2, "person")

    signup_ip.refresh_from_db()
    email.refresh_from_db()
    assert signup_ip.dbt_pii == "" and email.dbt_pii == "contains_pii=true"
    assert effective_for(signup_ip).is_pii is True and effective_for(signup_ip).origin == "person"
    assert effective_for(email).is_pii is False and effective_for(email).origin == "person"
    assert ColumnClassification.objects.filter(origin="person").count() == 2
    assert AuditEvent.objects.filter(actor=reviewer).count() == 4


def test_without_a_person_the_dbt_values_are_effective_and_matched_to_users(django_user_model):
    alice = django_user_model.objects.create_user(
        "alice", email="alice@saas.example", first_name="Alice"
    )
    ingest_ok(EXAMPLE_TARGET)
    mrr = Asset.objects.get(name="fct_mrr", kind="model")
    [owner] = effective_owners(mrr)
    assert (owner.display, owner.origin, owner.user_id) == ("Alice", "dbt", alice.pk)
    assert effective_tier(mrr) == (1, "dbt")
    email = Column.objects.get(asset__name="dim_users", name_key="email")
    assert effective_for(email).is_pii is True and effective_for(email).origin == "dbt"
