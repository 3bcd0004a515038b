"""The review workflow: every transition and every refusal."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction

from governance.models import AuditEvent, Team
from metrics_dictionary.errors import Conflict, DefinitionInvalid, Forbidden, StaleVersion
from metrics_dictionary.models import (
    ChangeLogEntry,
    ImmutableVersionError,
    MetricStatus,
    MetricVersion,
    Review,
    VersionState,
)
from metrics_dictionary.services.metrics import metric_update
from metrics_dictionary.services.proposals import (
    metric_propose,
    metric_version_propose,
    metric_version_update,
)
from metrics_dictionary.services.reviews import (
    metric_version_approve,
    metric_version_reject,
    metric_version_request_changes,
    metric_version_submit,
)
from tests.metrics_dictionary.conftest import DEFINITION

pytestmark = pytest.mark.django_db


def audit_actions(version) -> list[str]:
    return list(
        AuditEvent.objects.filter(
            object_type="metrics_dictionary.metricversion", object_id=str(version.pk)
        )
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_it_proposes_a_metric_with_a_first_draft_owned_as_given(proposed, analyst, metric_owner):
    metric = proposed.metric
    assert proposed.number == 1 and proposed.state == VersionState.DRAFT
    assert metric.status == MetricStatus.DRAFT and metric.current_version is None
    assert [o.user for o in metric.owners.all()] == [metric_owner]
    assert proposed.proposed_by == analyst
    assert audit_actions(proposed) == ["metric_version.propose"]


def test_viewer_cannot_propose(viewer):
    with pytest.raises(Forbidden, match="analyst role"):
        metric_propose(name="Anything", definition=DEFINITION, actor=viewer)


def test_submit_puts_it_in_review_and_emails_the_reviewers(
    proposed, analyst, metric_owner, reviewer, second_owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        version = metric_version_submit(version=proposed, actor=analyst)
    recipients = {a for m in mail.outbox for a in m.to}
    # The owner and the governance reviewer; not the proposer, not a metric owner of other metrics.
    assert recipients == {"olivia@example.com", "grace@example.com"}
    assert "Review requested: Net revenue v1" in mail.outbox[0].subject
    assert version.state == VersionState.IN_REVIEW and version.review_round == 1
    version.metric.refresh_from_db()
    assert version.metric.status == MetricStatus.IN_REVIEW


def test_owner_approves_a_tier_3_change_and_it_is_published(
    proposed, analyst, metric_owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        metric_version_submit(version=proposed, actor=analyst)
    assert {m.to[0] for m in mail.outbox} >= {"olivia@example.com"}
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        version = metric_version_approve(
            version=proposed, actor=metric_owner, comment="Looks right"
        )
    assert version.state == VersionState.APPROVED and version.published_at
    metric = version.metric
    metric.refresh_from_db()
    assert metric.current_version == version and metric.status == MetricStatus.APPROVED
    assert ChangeLogEntry.objects.filter(metric=metric, kind="approved").count() == 1
    assert "andy@example.com" in {a for m in mail.outbox for a in m.to}
    assert audit_actions(version) == [
        "metric_version.propose",
        "metric_version.submit",
        "metric_version.approve",
        "metric_version.publish",
    ]
    assert metric.asset is not None and metric.asset.kind == "metric"


def test_proposer_can_never_approve_their_own_change(proposed, analyst, metric_owner):
    version = metric_version_propose(
        metric=proposed.metric, definition={"formula": "SUM(amount)"}, actor=metric_owner
    )
    metric_version_submit(version=version, actor=metric_owner)
    with pytest.raises(Forbidden, match="You proposed this version"):
        metric_version_approve(version=version, actor=metric_owner)
    assert not Review.objects.filter(version=version).exists()


def test_a_metric_owner_who_does_not_own_it_cannot_review(proposed, analyst, second_owner):
    metric_version_submit(version=proposed, actor=analyst)
    with pytest.raises(Forbidden, match="do not own"):
        metric_version_approve(version=proposed, actor=second_owner)


def test_team_members_review_metrics_their_team_owns(analyst, second_owner):
    team = Team.objects.create(name="Finance analytics")
    team.members.add(second_owner)
    version = metric_propose(name="ARR", definition=DEFINITION, actor=analyst, owner_teams=[team])
    metric_version_submit(version=version, actor=analyst)
    assert (
        metric_version_approve(version=version, actor=second_owner).state == VersionState.APPROVED
    )


def test_analyst_and_viewer_cannot_review(proposed, analyst, viewer, admin_user):
    metric_version_submit(version=proposed, actor=analyst)
    for user in (viewer,):
        with pytest.raises(Forbidden):
            metric_version_approve(version=proposed, actor=user)


def test_tier_1_needs_two_approvals_one_by_a_governance_reviewer(
    analyst, metric_owner, second_owner, reviewer
):
    version = metric_propose(
        name="MRR",
        definition=DEFINITION,
        actor=analyst,
        tier=1,
        owner_users=[metric_owner, second_owner],
    )
    metric_version_submit(version=version, actor=analyst)
    metric_version_approve(version=version, actor=metric_owner)
    version.refresh_from_db()
    assert version.state == VersionState.IN_REVIEW  # one approval does not publish
    metric_version_approve(version=version, actor=second_owner)
    version.refresh_from_db()
    assert version.state == VersionState.IN_REVIEW  # two owners, but no governance reviewer yet
    assert version.metric.current_version is None
    metric_version_approve(version=version, actor=reviewer)
    version.refresh_from_db()
    assert version.state == VersionState.APPROVED


def test_tier_rule_is_configurable(settings, analyst, metric_owner):
    settings.LEXICON_METRIC_APPROVAL_RULES = {3: {"approvals": 2, "governance": 0}}
    version = metric_propose(
        name="Seats", definition=DEFINITION, actor=analyst, owner_users=[metric_owner]
    )
    metric_version_submit(version=version, actor=analyst)
    metric_version_approve(version=version, actor=metric_owner)
    version.refresh_from_db()
    assert version.state == VersionState.IN_REVIEW


def test_the_same_reviewer_cannot_approve_twice(analyst, metric_owner):
    version = metric_propose(
        name="MRR", definition=DEFINITION, actor=analyst, tier=1, owner_users=[metric_owner]
    )
    metric_version_submit(version=version, actor=analyst)
    metric_version_approve(version=version, actor=metric_owner)
    with pytest.raises(Conflict, match="already reviewed"):
        metric_version_approve(version=version, actor=metric_owner)


def test_request_changes_then_edit_and_resubmit(proposed, analyst, metric_owner):
    metric_version_submit(version=proposed, actor=analyst)
    version = metric_version_request_changes(
        version=proposed, actor=metric_owner, comment="Name the currency"
    )
    assert version.state == VersionState.CHANGES_REQUESTED
    version = metric_version_update(version=version, definition={"unit": "EUR"}, actor=analyst)
    assert version.unit == "EUR"
    version = metric_version_submit(version=version, actor=analyst)
    assert version.review_round == 2
    # A new round: the same reviewer decides again.
    assert (
        metric_version_approve(version=version, actor=metric_owner).state == VersionState.APPROVED
    )


def test_rejected_version_is_never_published(proposed, analyst, metric_owner, reviewer):
    metric_version_submit(version=proposed, actor=analyst)
    metric_version_reject(version=proposed, actor=metric_owner, comment="Duplicate of ARR")
    with pytest.raises(Conflict, match="rejected"):
        metric_version_approve(version=proposed, actor=reviewer)
    with pytest.raises(Conflict):
        metric_version_submit(version=proposed, actor=analyst)
    proposed.metric.refresh_from_db()
    assert proposed.metric.current_version is None
    assert not MetricVersion.objects.filter(state=VersionState.APPROVED).exists()


def test_a_draft_cannot_be_approved_before_submission(proposed, metric_owner):
    with pytest.raises(Conflict, match="not in review"):
        metric_version_approve(version=proposed, actor=metric_owner)


def test_approving_a_stale_version_is_refused(proposed, analyst, metric_owner, reviewer):
    metric_version_submit(version=proposed, actor=analyst)
    metric_version_approve(version=proposed, actor=metric_owner)
    v2 = metric_version_propose(metric=proposed.metric, definition={"unit": "EUR"}, actor=analyst)
    v3 = metric_version_propose(metric=proposed.metric, definition={"unit": "GBP"}, actor=analyst)
    metric_version_submit(version=v2, actor=analyst)
    metric_version_submit(version=v3, actor=analyst)
    metric_version_approve(version=v2, actor=metric_owner)
    with pytest.raises(StaleVersion, match="v2 has been published since"):
        metric_version_approve(version=v3, actor=reviewer)
    v3.refresh_from_db()
    assert v3.state == VersionState.IN_REVIEW
    proposed.refresh_from_db()
    assert proposed.state == VersionState.SUPERSEDED  # the previous approved one stays, superseded


def test_publishing_supersedes_the_previous_version_which_stays_visible(
    proposed, analyst, metric_owner
):
    metric_version_submit(version=proposed, actor=analyst)
    metric_version_approve(version=proposed, actor=metric_owner)
    v2 = metric_version_propose(
        metric=proposed.metric,
        definition={
            "formula": "SUM(amount_usd) - SUM(refund_usd)",
            "change_summary": "Net of refunds",
        },
        actor=analyst,
    )
    assert v2.number == 2 and v2.unit == "USD"  # starts from the approved version
    metric_version_submit(version=v2, actor=analyst)
    metric_version_approve(version=v2, actor=metric_owner)
    proposed.refresh_from_db()
    assert proposed.state == VersionState.SUPERSEDED and proposed.formula == "SUM(amount_usd)"
    assert list(proposed.metric.versions.values_list("number", "state")) == [
        (2, "approved"),
        (1, "superseded"),
    ]


def test_approved_versions_are_immutable(proposed, analyst, metric_owner):
    metric_version_submit(version=proposed, actor=analyst)
    version = metric_version_approve(version=proposed, actor=metric_owner)
    with pytest.raises(Conflict, match="Propose a new version"):
        metric_version_update(version=version, definition={"unit": "EUR"}, actor=analyst)
    version.formula = "SUM(other)"
    with pytest.raises(ImmutableVersionError, match="formula"):
        version.save()
    with pytest.raises(ImmutableVersionError):
        MetricVersion.objects.filter(pk=version.pk).update(label="Changed")
    with pytest.raises(ImmutableVersionError), transaction.atomic():
        version.related_columns.clear()
    assert MetricVersion.objects.get(pk=version.pk).formula == "SUM(amount_usd)"


def test_only_the_proposer_edits_a_draft(proposed, metric_owner):
    with pytest.raises(Forbidden, match="Only the proposer"):
        metric_version_update(version=proposed, definition={"unit": "EUR"}, actor=metric_owner)


def test_invalid_definitions_are_refused_field_by_field(analyst):
    with pytest.raises(DefinitionInvalid) as caught:
        metric_propose(
            name="Broken",
            actor=analyst,
            definition={
                "formula": "SUM(amount",
                "metric_type": "ratio",
                "type_params": {"numerator": "a"},
                "time_grains": ["fortnight"],
            },
        )
    errors = caught.value.errors
    assert "formula" in errors and "does not parse" in errors["formula"][0]
    assert any("denominator" in e for e in errors["type_params"])
    assert "fortnight" in errors["time_grains"][0]


@pytest.mark.parametrize(
    "metric_type,params,ok",
    [
        ("simple", {"measure": "revenue"}, True),
        ("simple", {"window": "7 days"}, False),
        ("ratio", {"numerator": "a", "denominator": {"name": "b"}}, True),
        ("cumulative", {"measure": "m", "window": "7 days"}, True),
        ("cumulative", {"measure": "m", "window": "7 days", "grain_to_date": "month"}, False),
        ("cumulative", {"measure": "m", "window": "a week"}, False),
        ("derived", {"expr": "a / b", "metrics": ["a", {"name": "b"}]}, True),
        ("derived", {"expr": "a / b"}, False),
        (
            "conversion",
            {
                "conversion_type_params": {
                    "base_measure": "visits",
                    "conversion_measure": "buys",
                    "entity": "user",
                }
            },
            True,
        ),
        ("conversion", {"conversion_type_params": {"base_measure": "visits"}}, False),
    ],
)
def test_type_params_are_validated_per_metricflow_type(metric_type, params, ok):
    from metrics_dictionary.services.definitions import type_params_errors

    assert (type_params_errors(metric_type, params, formula="") == []) is ok


def test_metric_facts_change_is_for_owners_and_governance(
    proposed, analyst, metric_owner, reviewer
):
    with pytest.raises(Forbidden):
        metric_update(metric=proposed.metric, tier=1, actor=analyst)
    assert metric_update(metric=proposed.metric, tier=1, actor=reviewer).tier == 1


def test_discussion_comments_need_analyst_or_above(proposed, analyst, viewer):
    from metrics_dictionary.services.metrics import metric_comment_add

    comment = metric_comment_add(
        metric=proposed.metric, body="Should refunds count?", actor=analyst
    )
    assert list(proposed.metric.comments.values_list("body", flat=True)) == [
        "Should refunds count?"
    ]
    assert comment.author == analyst
    with pytest.raises(Forbidden):
        metric_comment_add(metric=proposed.metric, body="hi", actor=viewer)
    with pytest.raises(DefinitionInvalid):
        metric_comment_add(metric=proposed.metric, body="  ", actor=analyst)


def test_owners_are_replaced_per_type_and_audited(proposed, metric_owner, second_owner, reviewer):
    from metrics_dictionary.services.metrics import metric_owners_set

    team = Team.objects.create(name="Data platform")
    metric_owners_set(
        metric=proposed.metric,
        users=[second_owner],
        teams=[team],
        owner_type="technical",
        actor=reviewer,
    )
    owners = {
        (o.user.username if o.user else o.team.name, o.owner_type)
        for o in proposed.metric.owners.all()
    }
    assert owners == {
        ("olivia", "business"),
        ("oscar", "technical"),
        ("Data platform", "technical"),
    }
    event = AuditEvent.objects.get(action="metric.owners_set")
    assert event.actor == reviewer and len(event.after) == 3 and len(event.before) == 1


def test_decisions_email_the_proposer_with_the_comment(
    proposed, analyst, metric_owner, django_capture_on_commit_callbacks
):
    metric_version_submit(version=proposed, actor=analyst)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        metric_version_request_changes(
            version=proposed, actor=metric_owner, comment="Name the currency"
        )
    message = next(m for m in mail.outbox if "andy@example.com" in m.to)
    assert message.subject == "[Lexicon] olivia requested changes to Net revenue v1"
    assert (
        "Comment: Name the currency" in message.body
        and "/metrics/m/net-revenue/v/1/" in message.body
    )


def test_a_mail_server_error_does_not_fail_the_finished_action(
    proposed, analyst, monkeypatch, django_capture_on_commit_callbacks
):
    import smtplib

    def broken(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("mail server went away")

    monkeypatch.setattr("metrics_dictionary.services.notifications.send_mail", broken)
    with django_capture_on_commit_callbacks(execute=True):
        version = metric_version_submit(version=proposed, actor=analyst)
    version.refresh_from_db()
    assert version.state == VersionState.IN_REVIEW
