from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Asset, Column
from lexicon_core.permissions import Allows
from lineage.api.serializers import ExplainInputSerializer, QueryLogIngestInputSerializer
from lineage.explain import ExplainInputError, explain
from lineage.selectors import MAX_DEPTH, asset_graph, column_graph


class ExplainView(APIView):
    """Tables read and written and each output column's source columns, for one query."""

    permission_classes = [Allows("catalog.view")]

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
        return Response(
            {"detail": "direction must be up, down or both"}, status=status.HTTP_400_BAD_REQUEST
        )
    depth_text = request.query_params.get("depth", "1")
    if not depth_text.isdigit() or not 1 <= int(depth_text) <= MAX_DEPTH:
        return Response(
            {"detail": f"depth must be a whole number from 1 to {MAX_DEPTH}"},
            status=status.HTTP_400_BAD_REQUEST,
        )
    return direction, int(depth_text)


GRAPH_PARAMS = [
    OpenApiParameter("direction", str, enum=["up", "down", "both"]),
    OpenApiParameter("depth", int, description=f"1 to {MAX_DEPTH}"),
]


class AssetLineageView(APIView):
    """Nodes and edges of the table-level lineage around one asset."""

    permission_classes = [Allows("catalog.view")]

    @extend_schema(parameters=GRAPH_PARAMS, responses={200: dict})
    def get(self, request: Request, asset_id: int) -> Response:
        params = _graph_params(request)
        if isinstance(params, Response):
            return params
        asset = get_object_or_404(Asset, pk=asset_id)
        return Response(asset_graph(asset, direction=params[0], depth=params[1]))


class ColumnLineageView(APIView):
    """Nodes and edges of the column-level lineage around one column."""

    permission_classes = [Allows("catalog.view")]

    @extend_schema(parameters=GRAPH_PARAMS, responses={200: dict})
    def get(self, request: Request, column_id: int) -> Response:
        params = _graph_params(request)
        if isinstance(params, Response):
            return params
        column = get_object_or_404(Column, pk=column_id)
        return Response(column_graph(column, direction=params[0], depth=params[1]))


# ------------------------------------------------------------------------ query logs and usage


class QueryLogIngestView(APIView):
    """Upload a warehouse query log; the ingest runs on a worker. Poll the run's api_url."""

    permission_classes = [Allows("ingest.run")]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=QueryLogIngestInputSerializer, responses={202: dict})
    def post(self, request: Request) -> Response:
        from catalog.api.serializers import IngestRunSerializer
        from catalog.models import IngestRun
        from lineage.querylog.formats.base import WrongFormat
        from lineage.services import QueryLogError, querylog_run_create_from_upload

        form = QueryLogIngestInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        extras = {k: data[k] for k in ("access_history", "query_text") if k in data}
        try:
            run = querylog_run_create_from_upload(
                upload=data["file"],
                source_name=data["source"],
                fmt=data.get("format", ""),
                extras=extras,
                actor=request.user,
                trigger=IngestRun.Trigger.API,
            )
        except (QueryLogError, WrongFormat) as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        run.refresh_from_db()  # in eager mode the run has already finished
        body = IngestRunSerializer(run, context={"request": request}).data
        body["query_log"] = _query_log_summary(run)
        return Response(
            body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["api_url"]}
        )


def _query_log_summary(run) -> dict:
    from lineage.models import QueryLogRun

    q = QueryLogRun.objects.filter(run=run).select_related("source").first()
    if q is None:
        return {}
    return {
        "source": q.source.name,
        "format": q.format,
        "rows": q.rows,
        "records": q.records,
        "executions": q.executions,
        "duplicates": q.duplicates,
        "too_old": q.too_old,
        "malformed": q.malformed,
        "malformed_rows": q.malformed_rows,
        "fingerprints": q.fingerprints,
        "fingerprints_new": q.fingerprints_new,
        "unparsable": q.unparsable,
        "unparsable_reasons": q.unparsable_reasons,
        "assets_touched": q.assets_touched,
        "assets_created": q.assets_created,
        "edges_added": q.edges_added,
    }


class AssetUsageView(APIView):
    """Query-log usage of one asset over the last ``days`` days: per day, top users, top
    queries (literals redacted), most used columns, last read/write, popularity, consumers."""

    permission_classes = [Allows("catalog.view")]

    @extend_schema(
        parameters=[OpenApiParameter("days", int, description="1 to 365, default 30")],
        responses={200: dict},
    )
    def get(self, request: Request, asset_id: int) -> Response:
        from lineage.usage import asset_usage, consumers

        days_text = request.query_params.get("days", "30")
        if not days_text.isdigit() or not 1 <= int(days_text) <= 365:
            return Response(
                {"detail": "days must be a whole number from 1 to 365"},
                status=status.HTTP_400_BAD_REQUEST,
            )
        asset = get_object_or_404(Asset, pk=asset_id)
        usage = asset_usage(asset, days=int(days_text))
        return Response(
            {
                "asset": asset.pk,
                "days": usage["days"],
                "since": usage["since"],
                "total_queries": usage["total_queries"],
                "total_reads": usage["total_reads"],
                "last_read_at": usage["last_read_at"],
                "last_write_at": usage["last_write_at"],
                "popularity": usage["popularity"],
                "per_day": usage["series"],
                "top_users": usage["top_users"],
                "top_queries": [
                    {
                        k: q[k]
                        for k in (
                            "fingerprint_id",
                            "text",
                            "example",
                            "statement_type",
                            "writes",
                            "queries",
                            "last_run",
                            "users",
                            "user_count",
                        )
                    }
                    for q in usage["top_queries"]
                ],
                "top_columns": usage["top_columns"],
                "consumers": consumers({asset.pk}, days=int(days_text)),
            }
        )
