"""The tier policy API: read the three policies, replace one."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.api.serializers.policies import TierPolicyInputSerializer, TierPolicySerializer
from governance.policies import tier_policies, tier_policy
from governance.services import PolicyError, tier_policy_update
from lexicon_core.permissions import Allows
from lexicon_core.tiers import TIERS


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
