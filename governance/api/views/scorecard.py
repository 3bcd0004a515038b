"""The scorecard API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.api.serializers.scorecard import ScorecardSerializer
from governance.scorecard import scorecard_compute
from lexicon_core.permissions import Allows


class ScorecardView(APIView):
    """The scorecard's numbers, each with the ids of the assets that fail it."""

    permission_classes = [Allows("scorecard.view")]

    @extend_schema(responses=ScorecardSerializer)
    def get(self, request: Request) -> Response:
        return Response(
            ScorecardSerializer({"kpis": [k.as_dict() for k in scorecard_compute()]}).data
        )
