"""An asset's policy checks, and a project's dbt meta patch (the decisions made here)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Asset, Project
from governance.api.serializers.policies import PolicyCheckSerializer
from governance.dbt_export import meta_patch_response
from governance.policies import policy_checks
from lexicon_core.permissions import Allows


class AssetPolicyChecksView(APIView):
    """Which checks of its tier's policy an asset passes and fails (empty without a tier)."""

    permission_classes = [Allows("catalog.view")]

    @extend_schema(responses=PolicyCheckSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        asset = get_object_or_404(Asset, pk=pk)
        return Response(PolicyCheckSerializer(policy_checks(asset), many=True).data)


class DbtMetaPatchView(APIView):
    """A project's schema.yml meta patch (YAML) with the owners, tiers and PII people decided
    here."""

    permission_classes = [Allows("catalog.view")]

    @extend_schema(responses={(200, "application/yaml"): OpenApiResponse(OpenApiTypes.STR)})
    def get(self, request: Request, pk: int) -> HttpResponse:
        project = get_object_or_404(Project, pk=pk)
        return meta_patch_response(project)
