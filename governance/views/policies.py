"""The tier policies page; reviewers edit a tier's policy in place."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods

from governance import services
from governance.forms import TierPolicyForm
from governance.policies import tier_policies
from lexicon_core.htmx import render_page
from lexicon_core.permissions import allowed, view_allows
from lexicon_core.tiers import TIERS


@view_allows("catalog.view")
@require_GET
def policies(request: HttpRequest) -> HttpResponse:
    """The three tier policies; reviewers edit them in place."""
    return render_page(
        request,
        "governance/policies.html",
        {"policies": tier_policies().values(), "can_edit": allowed(request.user, "policy.edit")},
    )


@view_allows("policy.edit")
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest, tier: int) -> HttpResponse:
    if tier not in TIERS:
        raise Http404("There are tiers 1, 2 and 3.")
    policy = tier_policies()[tier]
    form = TierPolicyForm(request.POST or None, initial=TierPolicyForm.initial_from(policy))
    if request.method == "POST" and form.is_valid():
        try:
            services.tier_policy_update(tier=tier, actor=request.user, **form.cleaned_data)
        except services.PolicyError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Tier {tier} policy saved.")
            return redirect("governance:policies")
    return render_page(
        request,
        "governance/policy_edit.html",
        {"policy": policy, "form": form},
        fragment="governance/partials/_policy_form.html",
        status=400 if request.method == "POST" else 200,
    )
