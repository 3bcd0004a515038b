"""The metric pages: directory, metric page and tabs, propose/edit with live validation,
inbox, review, change log, deprecation — and every refusal a person can meet on them."""

from __future__ import annotations

import html as htmllib
import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Asset
from governance.models import Team
from metrics_dictionary.models import (
    ChangeLogEntry,
    Metric,
    MetricStatus,
    MetricVersion,
    VersionState,
)
from metrics_dictionary.services.deprecations import metric_deprecate, metrics_retire_due
from metrics_dictionary.services.proposals import metric_propose, metric_version_propose
from metrics_dictionary.services.reviews import metric_version_approve, metric_version_submit
from tests.metrics_dictionary.conftest import DEFINITION

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def _approved(analyst, owner, name="Net revenue", **kwargs):
    version = metric_propose(
        name=name,
        definition={**DEFINITION, **kwargs.pop("definition", {})},
        actor=analyst,
        owner_users=[owner],
        **kwargs,
    )
    metric_version_submit(version=version, actor=analyst)
    return metric_version_approve(version=version, actor=owner)


def _text(response) -> str:
    """The visible text of a response, tags removed and spaces collapsed."""
    return htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


# ---------------------------------------------------------------------------- directory


def test_empty_directory_tells_a_viewer_who_can_start_and_how(client, viewer):
    client.force_login(viewer)
    response = client.get(reverse("metrics_dictionary:index"))
    assert response.status_code == 200
    text = _text(response)
    assert "No governed metrics yet" in text
    assert "Ask an analyst to propose the first metric" in text
    assert "semantic-layer metrics" in text
    assert reverse("metrics_dictionary:propose") not in response.content.decode()


def test_empty_directory_offers_an_analyst_to_propose_the_first_metric(client, analyst):
    client.force_login(analyst)
    response = client.get(reverse("metrics_dictionary:index"))
    assert "Propose the first metric" in _text(response)
    assert f'href="{reverse("metrics_dictionary:propose")}"' in response.content.decode()


def test_directory_needs_a_role(client, outsider):
    assert client.get(reverse("metrics_dictionary:index")).status_code == 302  # to the sign-in page
    client.force_login(outsider)
    response = client.get(reverse("metrics_dictionary:index"))
    assert response.status_code == 403
    assert "no role" in _text(response)


def test_directory_badges_filters_search_and_my_metrics(
    client, analyst, metric_owner, second_owner, viewer
):
    revenue = _approved(analyst, metric_owner, domain="Finance", tier=2).metric
    actives = _approved(
        analyst,
        second_owner,
        name="Active accounts",
        domain="Product",
        definition={"formula": "COUNT(DISTINCT account_id)", "unit": "accounts"},
    ).metric
    metric_propose(
        name="Draft thing",
        actor=analyst,
        definition={"formula": "SUM(x)"},
        owner_users=[metric_owner],
    )
    metric_deprecate(
        metric=actives,
        reason="Use the weekly version.",
        sunset_date=date(2030, 1, 31),
        actor=second_owner,
    )
    # Only revenue needs attention here (approving a formula without a related model flags it too).
    Metric.objects.update(needs_attention=False)
    Metric.objects.filter(pk=revenue.pk).update(needs_attention=True)
    client.force_login(viewer)
    url = reverse("metrics_dictionary:index")

    page = client.get(url)
    rows = {m: _text_of_row(page, m) for m in ("net-revenue", "active-accounts", "draft-thing")}
    assert "Tier 2" in rows["net-revenue"] and "needs attention" in rows["net-revenue"]
    assert "deprecated · sunset 2030-01-31" in rows["active-accounts"]
    assert "Draft" in rows["draft-thing"] and "Not approved yet" in rows["draft-thing"]
    assert "3 metrics" in _text(page)

    assert _slugs(client.get(url, {"domain": "Finance"})) == ["net-revenue"]
    assert _slugs(client.get(url, {"status": "deprecated"})) == ["active-accounts"]
    assert _slugs(client.get(url, {"owner": "oscar"})) == ["active-accounts"]
    assert _slugs(client.get(url, {"tier": "2"})) == ["net-revenue"]
    assert _slugs(client.get(url, {"attention": "1"})) == ["net-revenue"]
    assert _slugs(client.get(url, {"q": "active"})) == ["active-accounts"]
    fragment = client.get(url, {"q": "revenue"}, **HX)
    assert "<html" not in fragment.content.decode() and _slugs(fragment) == ["net-revenue"]
    nothing = client.get(url, {"q": "zebra"})
    assert "No metric matches “ zebra ”" in _text(nothing)

    team = Team.objects.create(name="Finance analytics")
    team.members.add(metric_owner)
    metric_propose(
        name="Team metric", actor=analyst, definition={"formula": "SUM(y)"}, owner_teams=[team]
    )
    client.force_login(metric_owner)
    assert _slugs(client.get(url, {"mine": "1"})) == ["draft-thing", "net-revenue", "team-metric"]
    assert _slugs(client.get(url, {"mine": "1", "q": "team"})) == ["team-metric"]


def test_directory_marks_metrics_defined_in_dbt(example_manifest_catalog, client, viewer):
    client.force_login(viewer)
    page = client.get(reverse("metrics_dictionary:index"), {"q": "churn"})
    assert "churn_rate" in _slugs(page) or "churn-rate" in _slugs(page)
    assert "defined in dbt" in _text(page)


def _slugs(response) -> list[str]:
    return re.findall(r'data-metric="([^"]+)"', response.content.decode())


def _text_of_row(response, slug: str) -> str:
    html = response.content.decode()
    start = html.index(f'data-metric="{slug}"')
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html[start : html.index("</li>", start)]))


# ---------------------------------------------------------------------------- metric page


def test_metric_page_is_a_definition_card_a_business_reader_understands(
    example_manifest_catalog, client, analyst, metric_owner, viewer
):
    mart = Asset.objects.get(unique_id="model.saas_analytics.fct_revenue")
    version = _approved(
        analyst,
        metric_owner,
        domain="Finance",
        definition={
            "description": "Sum of **paid** invoices. <script>alert(1)</script>",
            "formula": "SUM(amount_usd)",
            "filters": ["status = 'paid'"],
            "dimensions": ["plan", "region"],
            "related_asset_ids": [mart.pk],
            "example_query": "select sum(amount_usd) from fct_revenue",
        },
    )
    client.force_login(viewer)
    response = client.get(reverse("metrics_dictionary:metric", args=[version.metric.slug]))
    html, text = response.content.decode(), _text(response)
    assert response.status_code == 200
    assert "<strong>paid</strong>" in html and "<script>alert" not in html
    assert "Computed by the formula below." in text
    assert "day, month" in text and "account" in text and "status = &#x27;paid&#x27;" in html
    assert "USD" in text and "olivia" in text and "(business owner)" in text
    assert (
        f'href="{reverse("catalog:asset", args=[mart.pk])}"' in html
    )  # computed from links to the catalog
    assert "fct_revenue.amount_usd" in text
    assert 'class="code"' in html  # formula and example query highlighted like the asset Code tab
    assert "Caveats and known limitations" in text and "Excludes refunds." in text
    assert "Propose a change" not in text and "Deprecate" not in text  # a viewer does neither


def test_metric_page_type_in_words_for_ratio_cumulative_derived_and_conversion(
    example_manifest_catalog, client, viewer
):
    client.force_login(viewer)
    words = {}
    for name in ("churn_rate", "trailing_12m_revenue", "arpa", "signup_to_paid_conversion"):
        metric = Metric.objects.get(dbt_unique_id=f"metric.saas_analytics.{name}")
        words[name] = _text(client.get(reverse("metrics_dictionary:metric", args=[metric.slug])))
    assert "A ratio:" in words["churn_rate"] and "divided by" in words["churn_rate"]
    churned = Metric.objects.get(dbt_unique_id="metric.saas_analytics.churned_accounts")
    page = client.get(
        reverse(
            "metrics_dictionary:metric",
            args=[Metric.objects.get(dbt_unique_id="metric.saas_analytics.churn_rate").slug],
        )
    ).content.decode()
    inputs = page[page.index("data-inputs") :]
    assert (
        f'href="{reverse("metrics_dictionary:metric", args=[churned.slug])}">{churned.name}</a>'
        in inputs
    )
    assert (
        "running total" in words["trailing_12m_revenue"]
        and "trailing window" in words["trailing_12m_revenue"]
    )
    assert "Derived from other metrics" in words["arpa"]
    assert "A conversion:" in words["signup_to_paid_conversion"]


def test_deprecated_retired_and_needs_attention_banners(client, analyst, metric_owner, viewer):
    old = _approved(analyst, metric_owner, name="Old revenue").metric
    new = _approved(analyst, metric_owner, name="Revenue v2").metric
    metric_deprecate(
        metric=old,
        reason="Counts refunds twice.",
        sunset_date=date.today() + timedelta(days=10),
        replacement=new,
        actor=metric_owner,
    )
    client.force_login(viewer)
    url = reverse("metrics_dictionary:metric", args=[old.slug])
    text = _text(client.get(url))
    assert (
        "Deprecated." in text
        and "Counts refunds twice." in text
        and "Use Revenue v2 instead" in text
    )
    metrics_retire_due(today=date.today() + timedelta(days=11))
    retired = client.get(url)
    assert retired.status_code == 200  # still resolvable
    assert "Retired." in _text(
        retired
    ) and f'href="{reverse("metrics_dictionary:metric", args=[new.slug])}"' in (
        retired.content.decode()
    )
    Metric.objects.filter(pk=new.pk).update(
        needs_attention=True,
        attention_reasons=[
            {"kind": "column_removed", "message": "fct_revenue.amount_usd was removed or renamed"}
        ],
    )
    text = _text(client.get(reverse("metrics_dictionary:metric", args=[new.slug])))
    assert "Needs attention." in text and "fct_revenue.amount_usd was removed or renamed" in text


def test_metric_page_of_a_metric_not_approved_yet_says_so(client, proposed, viewer):
    client.force_login(viewer)
    text = _text(client.get(reverse("metrics_dictionary:metric", args=[proposed.metric.slug])))
    assert "Not approved yet" in text and "v1" in text


def test_unknown_metric_is_404(client, viewer):
    client.force_login(viewer)
    assert client.get(reverse("metrics_dictionary:metric", args=["nope"])).status_code == 404


def test_versions_tab_lists_versions_and_compares_any_two_side_by_side(
    client, analyst, metric_owner, viewer
):
    v1 = _approved(analyst, metric_owner)
    v2 = metric_version_propose(
        metric=v1.metric,
        actor=analyst,
        definition={"unit": "EUR", "change_summary": "Report in euros."},
    )
    client.force_login(viewer)
    url = reverse("metrics_dictionary:metric", args=[v1.metric.slug])
    fragment = client.get(url, {"tab": "versions"}, **HX)
    html = fragment.content.decode()
    assert "<html" not in html
    assert 'data-version="2"' in html and 'data-version="1"' in html
    assert "Report in euros." in html and "current" in html and "andy" in html
    diff = client.get(
        reverse("metrics_dictionary:compare", args=[v1.metric.slug]), {"a": 1, "b": 2}
    )
    changed = re.findall(r'data-field="(\w+)" data-changed', diff.content.decode())
    assert changed == ["unit", "change_summary"]
    assert "USD" in _text(diff) and "EUR" in _text(diff)
    assert v2.state == VersionState.DRAFT
    assert (
        client.get(
            reverse("metrics_dictionary:compare", args=[v1.metric.slug]), {"a": 1, "b": 9}
        ).status_code
        == 404
    )


def test_lineage_tab_lists_related_models_and_exposures(
    example_manifest_catalog, client, analyst, metric_owner, viewer
):
    mart = Asset.objects.get(unique_id="model.saas_analytics.fct_revenue")
    version = _approved(analyst, metric_owner, definition={"related_asset_ids": [mart.pk]})
    client.force_login(viewer)
    html = client.get(
        reverse("metrics_dictionary:metric", args=[version.metric.slug]), {"tab": "lineage"}, **HX
    ).content.decode()
    assert 'data-model="fct_revenue"' in html
    assert reverse("lineage:asset_graph", args=[mart.pk]) in html
    exposures = html[html.index("data-exposures") :]
    assert "via fct_revenue" in exposures


def test_discussion_viewer_reads_analyst_comments(client, proposed, analyst, viewer):
    url = reverse("metrics_dictionary:metric", args=[proposed.metric.slug])
    post = reverse("metrics_dictionary:comment_add", args=[proposed.metric.slug])
    client.force_login(viewer)
    text = _text(client.get(url, {"tab": "discussion"}, **HX))
    assert "Commenting needs the analyst role or above." in text
    refused = client.post(post, {"body": "hi"})
    assert refused.status_code == 403 and "Commenting needs the analyst role" in _text(refused)
    client.force_login(analyst)
    response = client.post(post, {"body": "Should this **exclude** trials?"}, **HX)
    assert response.status_code == 200 and "<strong>exclude</strong>" in response.content.decode()
    assert client.post(post, {"body": "  "}, **HX).status_code == 400


def test_history_tab_shows_every_transition(client, analyst, metric_owner, viewer):
    version = _approved(analyst, metric_owner)
    client.force_login(viewer)
    text = _text(
        client.get(
            reverse("metrics_dictionary:metric", args=[version.metric.slug]), {"tab": "history"}
        )
    )
    for action in (
        "metric.create",
        "metric_version.propose",
        "metric_version.submit",
        "metric_version.approve",
        "metric_version.publish",
    ):
        assert action in text


# ------------------------------------------------------------------------ propose, edit, validate


FORM = {
    "name": "Gross margin",
    "label": "Gross margin",
    "description": "Revenue minus cost.",
    "metric_type": "simple",
    "formula": "SUM(amount_usd)",
    "time_grains": ["month"],
    "unit": "USD",
    "tier": "3",
    "domain": "Finance",
    "change_summary": "First definition.",
}


def test_viewer_cannot_see_the_propose_form(client, viewer):
    client.force_login(viewer)
    response = client.get(reverse("metrics_dictionary:propose"))
    assert response.status_code == 403
    assert "Proposing metrics needs the analyst role or above" in _text(response)
    assert client.post(reverse("metrics_dictionary:propose"), FORM).status_code == 403
    assert not Metric.objects.exists()


def test_analyst_proposes_a_draft_then_submits_it(client, analyst):
    client.force_login(analyst)
    page = client.get(reverse("metrics_dictionary:propose"))
    assert page.status_code == 200
    html = page.content.decode()
    for kind in ("simple", "ratio", "cumulative", "derived", "conversion"):
        assert f'data-type="{kind}"' in html  # type-specific parameter fields
    response = client.post(reverse("metrics_dictionary:propose"), {**FORM, "action": "save"})
    version = MetricVersion.objects.get(metric__slug="gross-margin")
    assert response.status_code == 302 and response["Location"] == reverse(
        "metrics_dictionary:version", args=["gross-margin", 1]
    )
    assert version.state == VersionState.DRAFT and version.proposed_by == analyst
    assert version.time_grains == ["month"] and version.metric.domain == "Finance"
    client.post(reverse("metrics_dictionary:version_submit", args=["gross-margin", 1]))
    version.refresh_from_db()
    assert version.state == VersionState.IN_REVIEW


def test_propose_and_submit_at_once_with_ratio_parameters(client, analyst, metric_owner):
    client.force_login(analyst)
    response = client.post(
        reverse("metrics_dictionary:propose"),
        {
            **FORM,
            "name": "Churn",
            "metric_type": "ratio",
            "formula": "",
            "ratio_numerator": "churned",
            "ratio_denominator": "accounts_at_start",
            "owners": "olivia",
            "action": "submit",
        },
    )
    assert response.status_code == 302
    version = MetricVersion.objects.get(metric__slug="churn")
    assert version.state == VersionState.IN_REVIEW
    assert version.type_params == {"numerator": "churned", "denominator": "accounts_at_start"}
    assert [o.user for o in version.metric.owners.all()] == [metric_owner]


def test_invalid_proposal_keeps_the_input_and_names_the_field(client, analyst):
    client.force_login(analyst)
    response = client.post(
        reverse("metrics_dictionary:propose"),
        {
            **FORM,
            "formula": "SUM(amount_usd",
            "metric_type": "cumulative",
            "cumulative_window": "forever",
            "owners": "nobody",
            "related_models": "no_such_model",
            "action": "save",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'id="err-formula".*?SQL does not parse', html, re.S)
    assert "No user called nobody." in html
    assert "No model called “no_such_model” in the catalog." in html
    assert 'value="Gross margin"' in html
    assert not Metric.objects.exists()


def test_live_validation_reports_errors_next_to_fields_and_checks_columns(
    example_manifest_catalog, client, analyst, viewer
):
    url = reverse("metrics_dictionary:validate")
    client.force_login(analyst)
    bad = client.post(
        url, {**FORM, "_form": "new", "formula": "SUM(amount_usd"}, **HX
    ).content.decode()
    assert 'data-live="errors"' in bad
    assert re.search(
        r'<div id="err-formula"[^>]*hx-swap-oob="true"><p class="error">SQL does not parse', bad
    )
    ratio = client.post(
        url, {**FORM, "_form": "new", "metric_type": "ratio"}, **HX
    ).content.decode()
    assert re.search(r'id="err-type_params".*?a ratio metric needs a numerator', ratio, re.S)
    good = client.post(
        url,
        {
            **FORM,
            "_form": "new",
            "related_models": "fct_revenue",
            "formula": "SUM(amount_usd) + SUM(currency) + SUM(nope)",
        },
        **HX,
    ).content.decode()
    assert re.search(r'data-column="amount_usd">✓ <code>fct_revenue.amount_usd</code>', good)
    assert re.search(r'data-column="currency"><span class="error">✗', good)
    assert "nope</code> not found in fct_revenue" in good
    ok = client.post(
        url, {**FORM, "_form": "new", "related_models": "fct_revenue"}, **HX
    ).content.decode()
    assert 'data-live="ok"' in ok
    client.force_login(viewer)
    assert client.post(url, FORM, **HX).status_code == 403


def test_propose_a_change_starts_from_the_approved_definition(client, analyst, metric_owner):
    v1 = _approved(
        analyst,
        metric_owner,
        definition={"type_params": {"measure": {"name": "revenue", "filter": "x > 1"}}},
    )
    client.force_login(analyst)
    url = reverse("metrics_dictionary:propose_version", args=[v1.metric.slug])
    page = client.get(url).content.decode()
    assert 'value="SUM(amount_usd)"' in page or "SUM(amount_usd)</textarea>" in page
    response = client.post(
        url,
        {
            "label": "Net revenue",
            "metric_type": "simple",
            "formula": "SUM(amount_usd)",
            "simple_measure": "revenue",
            "unit": "EUR",
            "time_grains": ["day", "month"],
            "change_summary": "Euros.",
            "action": "save",
        },
    )
    assert response.status_code == 302
    v2 = MetricVersion.objects.get(metric=v1.metric, number=2)
    assert v2.unit == "EUR" and v2.state == VersionState.DRAFT
    assert v2.type_params == {
        "measure": {"name": "revenue", "filter": "x > 1"}
    }  # the filter is kept
    v1.refresh_from_db()
    assert v1.unit == "USD" and v1.metric.current_version_id == v1.pk


def test_editing_drafts_only_ones_own_and_only_while_editable(
    client, proposed, analyst, metric_owner, viewer
):
    slug = proposed.metric.slug
    edit = reverse("metrics_dictionary:version_edit", args=[slug, 1])
    client.force_login(metric_owner)
    refused = client.get(edit)
    assert refused.status_code == 403 and "Only the proposer of this draft" in _text(refused)
    client.force_login(analyst)
    assert client.get(edit).status_code == 200
    response = client.post(
        edit,
        {
            "label": "Net revenue",
            "metric_type": "simple",
            "formula": "SUM(amount_usd) * 1",
            "change_summary": "Tweak",
            "action": "save",
        },
    )
    assert response.status_code == 302
    proposed.refresh_from_db()
    assert proposed.formula == "SUM(amount_usd) * 1"
    metric_version_submit(version=proposed, actor=analyst)
    conflict = client.get(edit)
    assert (
        conflict.status_code == 409
        and "only drafts and versions with changes requested" in _text(conflict)
    )


# ---------------------------------------------------------------------------- inbox and review


def test_inbox_shows_each_box_with_approval_progress(client, analyst, metric_owner, reviewer):
    small = metric_propose(
        name="Small", actor=analyst, owner_users=[metric_owner], definition={"formula": "SUM(x)"}
    )
    big = metric_propose(
        name="MRR",
        tier=1,
        actor=analyst,
        owner_users=[metric_owner],
        definition={"formula": "SUM(y)"},
    )
    for version in (small, big):
        metric_version_submit(version=version, actor=analyst)
    metric_version_approve(version=big, actor=metric_owner)
    client.force_login(metric_owner)
    html = client.get(reverse("metrics_dictionary:inbox")).content.decode()
    mine = html[
        html.index('data-box="waiting_for_me"') : html.index('data-box="waiting_for_others"')
    ]
    others = html[
        html.index('data-box="waiting_for_others"') : html.index('data-box="my_proposals"')
    ]
    assert "Small" in mine and "0 of 1 approval" in mine and "MRR" not in mine
    assert "MRR" in others and "1 of 2 approvals · a governance reviewer still needed" in others
    client.force_login(analyst)
    html = client.get(reverse("metrics_dictionary:inbox")).content.decode()
    assert "Nothing waits for your review." in html
    assert html.count("data-version=") == 4  # two in others, two proposals
    client.force_login(reviewer)
    html = client.get(reverse("metrics_dictionary:inbox")).content.decode()
    mine = html[
        html.index('data-box="waiting_for_me"') : html.index('data-box="waiting_for_others"')
    ]
    assert "MRR" in mine and "Small" in mine


def test_review_page_shows_diff_and_impact_and_an_owner_approves(
    example_manifest_catalog, client, analyst, metric_owner
):
    mart = Asset.objects.get(unique_id="model.saas_analytics.fct_revenue")
    v1 = _approved(analyst, metric_owner, definition={"related_asset_ids": [mart.pk]})
    v2 = metric_version_propose(
        metric=v1.metric,
        actor=analyst,
        definition={
            "formula": "SUM(amount_usd) + SUM(currency)",
            "change_summary": "Add currency.",
        },
    )
    metric_version_submit(version=v2, actor=analyst)
    client.force_login(metric_owner)
    url = reverse("metrics_dictionary:version", args=[v1.metric.slug, 2])
    html = client.get(url).content.decode()
    assert "What changes against v1" in html
    assert re.findall(r'data-field="(\w+)" data-changed', html) == [
        "formula",
        "change_summary",
        "related_columns",
    ]
    assert "currency: aggregated as a number but the column is varchar" in html
    assert 'data-column="amount_usd"' in html and "✓ yes" in html
    assert "data-downstream" in html and "Not shown: no query log has been ingested yet." in html
    assert "0 of 1 approval" in html and 'value="approve"' in html
    response = client.post(
        reverse("metrics_dictionary:version_decide", args=[v1.metric.slug, 2]),
        {"decision": "approve", "comment": "Fine."},
        **HX,
    )
    assert response.status_code == 204 and response["HX-Redirect"] == url
    v2.refresh_from_db()
    assert v2.state == VersionState.APPROVED and v2.metric.current_version_id == v2.pk
    assert "v2 approved and published" in _text(client.get(url))


def test_self_approval_is_refused_with_a_message(client, proposed, analyst):
    metric_version_submit(version=proposed, actor=analyst)
    client.force_login(analyst)
    url = reverse("metrics_dictionary:version", args=[proposed.metric.slug, 1])
    assert "You proposed this version; someone else must review it." in _text(client.get(url))
    response = client.post(
        reverse("metrics_dictionary:version_decide", args=[proposed.metric.slug, 1]),
        {"decision": "approve"},
        **HX,
    )
    assert response.status_code == 403
    assert "You proposed this version; someone else must review it." in _text(response)
    assert "<html" not in response.content.decode()
    proposed.refresh_from_db()
    assert proposed.state == VersionState.IN_REVIEW


def test_viewer_cannot_approve(client, proposed, analyst, viewer):
    metric_version_submit(version=proposed, actor=analyst)
    client.force_login(viewer)
    page = client.get(
        reverse("metrics_dictionary:version", args=[proposed.metric.slug, 1])
    ).content.decode()
    assert 'value="approve"' not in page and "review metric changes" in page
    response = client.post(
        reverse("metrics_dictionary:version_decide", args=[proposed.metric.slug, 1]),
        {"decision": "approve"},
    )
    assert response.status_code == 403 and "Only the metric's owners" in _text(response)


def test_wrong_state_and_stale_version_are_409_with_a_reason(
    client, analyst, metric_owner, second_owner
):
    draft = metric_propose(
        name="Drafty", actor=analyst, owner_users=[metric_owner], definition={"formula": "SUM(x)"}
    )
    client.force_login(metric_owner)
    decide = reverse("metrics_dictionary:version_decide", args=[draft.metric.slug, 1])
    response = client.post(decide, {"decision": "reject"}, **HX)
    assert response.status_code == 409 and "not in review" in _text(response)

    v1 = _approved(analyst, metric_owner, name="Stale")
    a = metric_version_propose(metric=v1.metric, actor=analyst, definition={"unit": "EUR"})
    b = metric_version_propose(metric=v1.metric, actor=analyst, definition={"unit": "GBP"})
    metric_version_submit(version=a, actor=analyst)
    metric_version_submit(version=b, actor=analyst)
    metric_version_approve(version=b, actor=metric_owner)
    response = client.post(
        reverse("metrics_dictionary:version_decide", args=[v1.metric.slug, a.number]),
        {"decision": "approve"},
        **HX,
    )
    assert response.status_code == 409 and "has been published since" in _text(response)


def test_request_changes_then_proposer_edits_and_resubmits(client, proposed, analyst, metric_owner):
    metric_version_submit(version=proposed, actor=analyst)
    client.force_login(metric_owner)
    client.post(
        reverse("metrics_dictionary:version_decide", args=[proposed.metric.slug, 1]),
        {"decision": "request_changes", "comment": "Name the mart."},
    )
    proposed.refresh_from_db()
    assert proposed.state == VersionState.CHANGES_REQUESTED
    client.force_login(analyst)
    html = client.get(reverse("metrics_dictionary:inbox")).content.decode()
    assert "Changes requested" in html and "Name the mart." in html
    page = client.get(
        reverse("metrics_dictionary:version", args=[proposed.metric.slug, 1])
    ).content.decode()
    assert "Edit draft" in page and "Submit for review" in page


# -------------------------------------------------------------------- change log and deprecation


def test_change_log_lists_approvals_and_deprecations_with_filters_and_feed(
    client, analyst, metric_owner, second_owner, viewer
):
    revenue = _approved(analyst, metric_owner, domain="Finance").metric
    actives = _approved(analyst, second_owner, name="Actives", domain="Product", tier=2).metric
    metric_deprecate(metric=actives, reason="Replaced.", actor=second_owner)
    client.force_login(viewer)
    url = reverse("metrics_dictionary:changes")
    page = client.get(url)
    html = page.content.decode()
    assert '<link rel="alternate" type="application/atom+xml"' in html
    assert re.findall(r'data-entry="(\w+)"', html) == ["deprecated", "approved", "approved"]
    assert "Net revenue v1 approved" in html and "Actives deprecated" in html
    assert re.findall(
        r'data-entry="(\w+)"', client.get(url, {"domain": "Finance"}).content.decode()
    ) == ["approved"]
    assert re.findall(r'data-entry="(\w+)"', client.get(url, {"tier": "2"}).content.decode()) == [
        "deprecated",
        "approved",
    ]
    owner = client.get(url, {"owner": "olivia"}).content.decode()
    assert "Net revenue v1 approved" in owner and "Actives" not in owner.split("changes-list")[1]
    assert (
        'href="/metrics/changes/feed.atom?domain=Finance"'
        in client.get(url, {"domain": "Finance"}).content.decode()
    )
    assert "No approved change or deprecation matches" in _text(client.get(url, {"domain": "Nope"}))
    assert revenue.slug in html


def test_change_log_empty_state(client, viewer):
    client.force_login(viewer)
    text = _text(client.get(reverse("metrics_dictionary:changes")))
    assert "No approved change or deprecation yet." in text and "approvals inbox" in text


def test_deprecate_form_for_owners_only(client, analyst, metric_owner, viewer):
    old = _approved(analyst, metric_owner, name="Old").metric
    new = _approved(analyst, metric_owner, name="New").metric
    url = reverse("metrics_dictionary:deprecate", args=[old.slug])
    for user in (viewer, analyst):
        client.force_login(user)
        refused = client.get(url)
        assert refused.status_code == 403 and "Only the metric's owners" in _text(refused)
    client.force_login(metric_owner)
    assert "Deprecate" in _text(client.get(reverse("metrics_dictionary:metric", args=[old.slug])))
    assert client.post(url, {"reason": "", "replacement": new.slug}).status_code == 400
    response = client.post(
        url, {"reason": "Superseded.", "sunset_date": "2031-01-01", "replacement": new.slug}
    )
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.status == MetricStatus.DEPRECATED
    text = _text(client.get(reverse("metrics_dictionary:metric", args=[old.slug])))
    assert "Superseded. It will be retired after 2031-01-01." in text and "Use New instead" in text
    again = client.post(url, {"reason": "Twice."})
    assert again.status_code == 409 and "already deprecated" in _text(again)
    assert ChangeLogEntry.objects.filter(kind="deprecated", metric=old).count() == 1
    withdraw = reverse("metrics_dictionary:deprecation_withdraw", args=[old.slug])
    client.force_login(viewer)
    assert client.post(withdraw).status_code == 403
    client.force_login(metric_owner)
    assert "Withdraw deprecation" in _text(
        client.get(reverse("metrics_dictionary:metric", args=[old.slug]))
    )
    assert client.post(withdraw).status_code == 302
    old.refresh_from_db()
    assert old.status == MetricStatus.APPROVED
    assert "Deprecated." not in _text(
        client.get(reverse("metrics_dictionary:metric", args=[old.slug]))
    )
    assert client.post(withdraw).status_code == 409


def test_nav_has_a_metrics_entry_marked_current(client, viewer):
    client.force_login(viewer)
    html = client.get(reverse("metrics_dictionary:inbox")).content.decode()
    assert (
        f'<a href="{reverse("metrics_dictionary:index")}" aria-current="page">Metrics</a>' in html
    )


# ---------------------------------------------------------------------------- query counts


def _many_metrics(start: int, stop: int, analyst, owner) -> None:
    for i in range(start, stop):
        version = metric_propose(
            name=f"Metric {i:03}",
            actor=analyst,
            owner_users=[owner],
            domain="Finance",
            definition={"formula": f"SUM(x{i})"},
        )
        if i % 3 == 0:
            metric_version_submit(version=version, actor=analyst)
            metric_version_approve(version=version, actor=owner)


def _query_counts(client, slug: str) -> list[int]:
    counts = []
    for url, params in (
        (reverse("metrics_dictionary:index"), {}),
        (reverse("metrics_dictionary:index"), {"q": "metric 00", "domain": "Finance"}),
        (reverse("metrics_dictionary:metric", args=[slug]), {}),
        (reverse("metrics_dictionary:metric", args=[slug]), {"tab": "versions"}),
    ):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, params).status_code == 200
        counts.append(len(queries.captured_queries))
    return counts


def test_directory_and_metric_page_query_counts_stay_flat_from_10_to_100_metrics(
    client, analyst, metric_owner, viewer
):
    _many_metrics(0, 10, analyst, metric_owner)
    client.force_login(viewer)
    from lexicon_core.generation import generation_bump

    client.get(reverse("metrics_dictionary:index"))  # warm the session
    generation_bump()  # nothing the warm-up cached is reused: both counts are uncached
    with_10 = _query_counts(client, "metric-000")
    _many_metrics(10, 100, analyst, metric_owner)
    with_100 = _query_counts(client, "metric-000")  # the writes moved the generation on
    assert with_10 == with_100
    assert with_100[0] <= 13 and with_100[1] <= 18 and with_100[2] <= 12, with_100


def test_the_form_round_trips_every_imported_dbt_definition_unchanged(
    example_manifest_catalog, analyst
):
    """Prefilled from each of the example's dbt metrics (all five types) and posted back as is,
    the form yields the same definition: no parameter is lost or mangled by the type fields."""
    from metrics_dictionary.forms import DefinitionForm

    versions = [
        m.current_version
        for m in Metric.objects.filter(defined_in_dbt=True).select_related("current_version")
    ]
    assert {v.metric_type for v in versions} == {
        "simple",
        "ratio",
        "cumulative",
        "derived",
        "conversion",
    }
    for version in versions:
        initial = DefinitionForm(new_metric=False, version=version).initial
        data = {k: v for k, v in initial.items() if v not in (None, "")}
        form = DefinitionForm(data, new_metric=False, version=version)
        assert form.is_valid(), (version.metric.slug, form.errors, form.type_param_errors)
        definition = form.definition()
        assert definition["type_params"] == version.type_params, version.metric.slug
        assert definition["formula"] == version.formula and definition["filters"] == version.filters
        assert sorted(definition["related_asset_ids"]) == sorted(
            a.pk for a in version.related_assets.all()
        )


def test_owners_and_tier_are_set_by_owners_and_reviewers_only(
    client, analyst, metric_owner, second_owner, reviewer, viewer
):
    metric = _approved(analyst, metric_owner).metric
    url = reverse("metrics_dictionary:settings", args=[metric.slug])
    for user in (viewer, analyst):
        client.force_login(user)
        refused = client.get(url)
        assert refused.status_code == 403 and "change its owners or tier" in _text(refused)
    team = Team.objects.create(name="Finance analytics")
    client.force_login(reviewer)
    page = client.get(url)
    assert page.status_code == 200 and 'value="olivia"' in page.content.decode()
    bad = client.post(url, {"name": "Net revenue", "tier": "1", "business_owners": "olivia, ghost"})
    assert bad.status_code == 400 and "No user or team called ghost." in _text(bad)
    response = client.post(
        url,
        {
            "name": "Net revenue",
            "tier": "1",
            "domain": "Finance",
            "business_owners": "olivia",
            "technical_owners": "oscar, Finance analytics",
        },
    )
    assert response.status_code == 302
    metric.refresh_from_db()
    assert metric.tier == 1 and metric.domain == "Finance"
    owners = {
        (o.owner_type, o.user.username if o.user else o.team.name) for o in metric.owners.all()
    }
    assert owners == {("business", "olivia"), ("technical", "oscar"), ("technical", team.name)}
    text = _text(client.get(reverse("metrics_dictionary:metric", args=[metric.slug])))
    assert "oscar (technical owner)" in text and "Finance analytics (technical owner, team)" in text


def test_the_settings_page_says_which_tiers_need_a_governance_reviewer_as_configured(
    client, settings, analyst, metric_owner, reviewer
):
    metric = _approved(analyst, metric_owner).metric
    url = reverse("metrics_dictionary:settings", args=[metric.slug])
    client.force_login(reviewer)
    assert "tier 1 needs a governance reviewer's approval too." in _text(client.get(url))
    settings.LEXICON_METRIC_APPROVAL_RULES = {
        1: {"approvals": 2, "governance": 1},
        2: {"approvals": 1, "governance": 1},
    }
    text = _text(client.get(url))
    assert "tier 1 and tier 2 need a governance reviewer's approval too." in text
    settings.LEXICON_METRIC_APPROVAL_RULES = {}
    assert "Owners review its changes." in _text(client.get(url))
