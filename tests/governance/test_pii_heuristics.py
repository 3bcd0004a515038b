"""The name/type heuristics: which columns get which PII suggestion, and which do not."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured

from catalog.models import Column
from governance.models import ColumnClassification
from governance.pii.rules import compile_rules, pii_rules, suggest_for
from governance.pii.sync import pii_suggestions_sync
from tests.factories import EXAMPLE_TARGET, ingest_ok


@pytest.mark.parametrize(
    ("name", "data_type", "category"),
    [
        ("email", "varchar", "email"),
        ("user_email", "text", "email"),
        ("contact_email_address", "character varying", "email"),
        ("EMAIL", "", "email"),  # no warehouse type yet
        ("phone", "varchar", "phone"),
        ("mobile_number", "text", "phone"),
        ("first_name", "varchar", "name"),
        ("full_name", "text", "name"),
        ("surname", "text", "name"),
        ("street_address", "text", "address"),
        ("postal_code", "varchar", "address"),
        ("billing_address", "text", "address"),
        ("ip_address", "varchar", "ip"),
        ("signup_ip", "text", "ip"),
        ("client_addr", "inet", "ip"),
        ("ssn", "varchar", "government_id"),
        ("passport_number", "text", "government_id"),
        ("card_number", "varchar", "payment"),
        ("iban", "text", "payment"),
        ("diagnosis", "text", "health"),
        ("date_of_birth", "date", "date_of_birth"),
        ("dob", "date", "date_of_birth"),
        ("birthdate", "date", "date_of_birth"),
        ("notes", "text", "free_text"),
        ("customer_feedback", "varchar", "free_text"),
    ],
)
def test_it_suggests_a_category_from_the_name_and_type(name, data_type, category):
    rule = suggest_for(name, data_type)
    assert rule is not None, f"{name} ({data_type}) got no suggestion"
    assert rule.category == category


@pytest.mark.parametrize(
    ("name", "data_type"),
    [
        ("email_verified", "boolean"),
        ("email", "boolean"),  # a flag named email is not an address
        ("email_domain", "text"),
        ("plan_name", "varchar"),
        ("account_name", "varchar"),
        ("name", "varchar"),  # product or plan names are too common to guess
        ("ship_date", "date"),
        ("health_score", "numeric"),
        ("zip_archive_id", "bigint"),
        ("shipping_fee", "numeric"),
        ("notes_count", "integer"),
        ("tipping_point", "text"),
        ("mrr_amount", "numeric"),
    ],
)
def test_it_leaves_ordinary_columns_alone(name, data_type):
    assert suggest_for(name, data_type) is None


def test_the_rule_set_can_be_replaced_by_a_json_file(tmp_path, settings):
    path = tmp_path / "rules.json"
    path.write_text(
        json.dumps([{"category": "other", "sensitivity": "low", "name": "^loyalty_id$"}])
    )
    settings.LEXICON_PII_RULES_FILE = str(path)
    assert [r.category for r in pii_rules()] == ["other"]
    assert suggest_for("loyalty_id", "text").category == "other"
    assert suggest_for("email", "text") is None


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"category": "email"}, "expected a list"),
        ([{"category": "bank", "name": "x"}], "rule 1: category 'bank'"),
        (
            [{"category": "email", "name": "x"}, {"category": "email"}],
            "rule 2: give a name pattern",
        ),
        ([{"category": "email", "name": "("}], "rule 1: name is not a valid regular expression"),
        (
            [{"category": "email", "name": "x", "sensitivity": "secret"}],
            "rule 1: sensitivity 'secret'",
        ),
        ([{"category": "email", "nam": "x"}], "rule 1: unknown field(s) nam"),
    ],
)
def test_a_bad_rule_table_is_refused_with_its_place(rules, message):
    with pytest.raises(ImproperlyConfigured, match=message.replace("(", r"\(").replace(")", r"\)")):
        compile_rules(rules, "rules.json")


def test_an_unreadable_rule_file_names_the_file_and_line(tmp_path, settings):
    path = tmp_path / "broken.json"
    path.write_text('[{"category": "email",\n "name": }]')
    settings.LEXICON_PII_RULES_FILE = str(path)
    with pytest.raises(ImproperlyConfigured, match=r"broken.json: line 2"):
        pii_rules()


@pytest.mark.django_db
def test_every_ingest_suggests_and_running_again_duplicates_nothing(example_catalog, reviewer):
    run = example_catalog
    columns = Column.objects.filter(asset__project=run.project, removed_at__isnull=True)
    expected = {
        (c.pk, suggest_for(c.name, c.data_type).category)
        for c in columns
        if suggest_for(c.name, c.data_type)
    }
    got = set(
        ColumnClassification.objects.filter(origin="heuristic").values_list("column_id", "category")
    )
    assert got == expected and expected
    flagged_by_dbt = set(columns.exclude(dbt_pii="").values_list("pk", flat=True))
    assert (
        set(ColumnClassification.objects.filter(origin="dbt").values_list("column_id", flat=True))
        == flagged_by_dbt
    )

    before = list(ColumnClassification.objects.order_by("pk").values())
    ingest_ok(EXAMPLE_TARGET)
    result = pii_suggestions_sync(asset_ids=columns.values_list("asset_id", flat=True).distinct())
    assert (result.created, result.withdrawn) == (0, 0)
    assert list(ColumnClassification.objects.order_by("pk").values()) == before


@pytest.mark.django_db
def test_suggestions_never_override_a_persons_decision(example_catalog, reviewer):
    from governance.pii.effective import effective_for
    from governance.pii.review import column_classifications_review

    run = example_catalog
    phone = Column.objects.get(asset__name="dim_users", name_key="phone")
    heuristic = ColumnClassification.objects.get(column=phone, origin="heuristic")
    column_classifications_review(
        classification_ids=[heuristic.pk], decision="reject", actor=reviewer
    )
    ColumnClassification.objects.filter(column=phone, origin="dbt").delete()
    pii_suggestions_sync(asset_ids=[phone.asset_id])
    heuristic.refresh_from_db()
    assert heuristic.status == "rejected" and heuristic.decided_by == reviewer
    # dbt still flags the column, but the category a person rejected is not suggested again
    assert (
        phone.dbt_pii
        and not ColumnClassification.objects.filter(column=phone, status="suggested").exists()
    )
    assert effective_for(phone).is_pii is False and effective_for(phone).reviewed
    assert run.project
