from __future__ import annotations

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors
from catalog.api.serializers import (
    AssetDetailSerializer,
    AssetListSerializer,
    DbtIngestInputSerializer,
    IngestRunSerializer,
)
from catalog.dbt.artifacts import ArtifactError
from catalog.filters import AssetFilter, search_scope
from catalog.models import Asset, Column, IngestRun
from catalog.services import ingest_run_create_from_uploads
from lexicon_core.permissions import Allows


class DbtIngestView(APIView):
    """Upload dbt artifacts after `dbt build`; the ingest runs on a worker."""

    permission_classes = [Allows("ingest.run")]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=DbtIngestInputSerializer, responses={202: IngestRunSerializer})
    def post(self, request: Request) -> Response:
        form = DbtIngestInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        uploads = {
            k: form.validated_data[k]
            for k in ("manifest", "catalog", "run_results", "sources")
            if k in form.validated_data
        }
        try:
            run = ingest_run_create_from_uploads(
                uploads=uploads,
                project_name=form.validated_data.get("project", ""),
                actor=request.user,
                trigger=IngestRun.Trigger.API,
            )
        except ArtifactError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        run.refresh_from_db()  # in eager mode the run has already finished
        body = IngestRunSerializer(run, context={"request": request}).data
        return Response(
            body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["api_url"]}
        )


class IngestRunDetailView(APIView):
    permission_classes = [Allows("catalog.view")]

    @extend_schema(responses=IngestRunSerializer)
    def get(self, request: Request, pk: int) -> Response:
        run = get_object_or_404(IngestRun.objects.select_related("project"), pk=pk)
        return Response(IngestRunSerializer(run, context={"request": request}).data)


class AssetViewSet(viewsets.ReadOnlyModelViewSet):
    """Assets with the same filters as the search page; detail includes columns."""

    permission_classes = [Allows("catalog.view")]
    filterset_class = AssetFilter

    def get_queryset(self):
        queryset = Asset.objects.select_related("project").order_by(
            "project__name", "kind", "name", "id"
        )
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                Prefetch(
                    "columns",
                    queryset=Column.objects.filter(removed_at__isnull=True).order_by(
                        "position", "name"
                    ),
                    to_attr="active_columns",
                )
            )
        return queryset

    def get_serializer_class(self):
        return AssetDetailSerializer if self.action == "retrieve" else AssetListSerializer


class SearchView(APIView):
    """Ranked search over the catalog, filters as on /api/v1/assets/."""

    permission_classes = [Allows("catalog.view")]

    @extend_schema(
        parameters=[OpenApiParameter("q", str, required=True), OpenApiParameter("page", int)],
        responses=AssetListSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        query = request.query_params.get("q", "")[:200]
        number = request.query_params.get("page", "1")
        page_size = PageNumberPagination.page_size or 50
        filters = AssetFilter(request.query_params, queryset=Asset.objects.all())
        candidates, include_removed = search_scope(filters)
        page = selectors.assets_search(
            query,
            page=int(number) if number.isdigit() else 1,
            per_page=page_size,
            candidates=candidates,
            include_removed=include_removed,
        )
        return Response(
            {
                "query": query,
                "corrected": page.corrected,
                "count": page.paginator.count,
                "page": page.number,
                "results": AssetListSerializer(
                    page.object_list, many=True, context={"request": request}
                ).data,
            }
        )
