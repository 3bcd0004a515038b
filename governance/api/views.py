from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Asset, Project
from governance.api.serializers import (
    AuditEventSerializer,
    PolicyCheckSerializer,
    TierPolicyInputSerializer,
    TierPolicySerializer,
)
from governance.dbt_export import meta_patch_response
from governance.filters import AuditEventFilter
from governance.models import AuditEvent
from governance.policies import TIERS, policy_checks, tier_policies, tier_policy
from governance.services import PolicyError, tier_policy_update
from lexicon_core.permissions import Allows


class AuditEventListView(generics.ListAPIView):
    """The audit log, newest first; filters as on the audit page."""

    permission_classes = [Allows("audit.view")]
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    queryset = AuditEvent.objects.order_by("-at", "-id")


class TierPolicyListView(APIView):
    """The three tier policies (stored or default)."""

    permission_classes = [Allows("catalog.view")]

    @extend_schema(responses=TierPolicySerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(TierPolicySerializer(list(tier_policies().values()), many=True).data)


class TierPolicyView(APIView):
    """A tier's policy; reviewers replace it with PUT (validated, audited)."""

    permission_classes = [Allows("catalog.view", write="policy.edit")]

    def _tier(self, tier: int) -> int:
        from django.http import Http404

        if tier not in TIERS:
            raise Http404("There are tiers 1, 2 and 3.")
        return tier

    @extend_schema(responses=TierPolicySerializer)
    def get(self, request: Request, tier: int) -> Response:
        return Response(TierPolicySerializer(tier_policy(self._tier(tier))).data)

    @extend_schema(request=TierPolicyInputSerializer, responses=TierPolicySerializer)
    def put(self, request: Request, tier: int) -> Response:
        form = TierPolicyInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            policy = tier_policy_update(
                tier=self._tier(tier), actor=request.user, **form.validated_data
            )
        except PolicyError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(TierPolicySerializer(policy).data)


class AssetPolicyChecksView(APIView):
    """Which checks of its tier's policy an asset passes and fails (empty without a tier)."""

    permission_classes = [Allows("catalog.view")]

    @extend_schema(responses=PolicyCheckSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        asset = get_object_or_404(Asset, pk=pk)
        return Response(PolicyCheckSerializer(policy_checks(asset), many=True).data)


class DbtMetaPatchView(APIView):
    """A project's schema.yml meta patch (YAML) with the owners, tiers and PII people decided here."""

    permission_classes = [Allows("catalog.view")]

    @extend_schema(responses={(200, "application/yaml"): OpenApiResponse(OpenApiTypes.STR)})
    def get(self, request: Request, pk: int) -> HttpResponse:
        project = get_object_or_404(Project, pk=pk)
        return meta_patch_response(project)
