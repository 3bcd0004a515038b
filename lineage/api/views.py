from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.permissions import CanViewCatalog
from catalog.models import Asset, Column
from lineage.explain import ExplainInputError, explain
from lineage.selectors import MAX_DEPTH, asset_graph, column_graph


class ExplainInputSerializer(serializers.Serializer):
    sql = serializers.CharField(trim_whitespace=False)
    dialect = serializers.CharField(required=False, default="ansi")
    schema = serializers.DictField(required=False, allow_null=True,
                                   help_text='{"db.schema.table": {"column": "type"}}')
    default_db = serializers.CharField(required=False, allow_blank=True, default="")
    default_schema = serializers.CharField(required=False, allow_blank=True, default="")
    id = serializers.CharField(required=False, allow_null=True)


class ExplainView(APIView):
    """Tables read and written and each output column's source columns, for one query."""

    permission_classes = [CanViewCatalog]

    @extend_schema(request=ExplainInputSerializer, responses={200: dict})
    def post(self, request: Request) -> Response:
        form = ExplainInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            return Response(explain(form.validated_data))
        except ExplainInputError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)


def _graph_params(request: Request) -> tuple[str, int] | Response:
    direction = request.query_params.get("direction", "both")
    if direction not in ("up", "down", "both"):
        return Response({"detail": "direction must be up, down or both"}, status=status.HTTP_400_BAD_REQUEST)
    depth_text = request.query_params.get("depth", "1")
    if not depth_text.isdigit() or not 1 <= int(depth_text) <= MAX_DEPTH:
        return Response({"detail": f"depth must be a whole number from 1 to {MAX_DEPTH}"},
                        status=status.HTTP_400_BAD_REQUEST)
    return direction, int(depth_text)


GRAPH_PARAMS = [OpenApiParameter("direction", str, enum=["up", "down", "both"]),
                OpenApiParameter("depth", int, description=f"1 to {MAX_DEPTH}")]


class AssetLineageView(APIView):
    """Nodes and edges of the table-level lineage around one asset."""

    permission_classes = [CanViewCatalog]

    @extend_schema(parameters=GRAPH_PARAMS, responses={200: dict})
    def get(self, request: Request, asset_id: int) -> Response:
        params = _graph_params(request)
        if isinstance(params, Response):
            return params
        asset = get_object_or_404(Asset, pk=asset_id)
        return Response(asset_graph(asset, direction=params[0], depth=params[1]))


class ColumnLineageView(APIView):
    """Nodes and edges of the column-level lineage around one column."""

    permission_classes = [CanViewCatalog]

    @extend_schema(parameters=GRAPH_PARAMS, responses={200: dict})
    def get(self, request: Request, column_id: int) -> Response:
        params = _graph_params(request)
        if isinstance(params, Response):
            return params
        column = get_object_or_404(Column, pk=column_id)
        return Response(column_graph(column, direction=params[0], depth=params[1]))
