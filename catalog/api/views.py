from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.permissions import CanIngest, CanViewCatalog
from catalog.api.serializers import DbtIngestInputSerializer, IngestRunSerializer
from catalog.artifacts import ArtifactError
from catalog.models import IngestRun
from catalog.services import ingest_run_create_from_uploads


class DbtIngestView(APIView):
    """Upload dbt artifacts after `dbt build`; the ingest runs on a worker."""

    permission_classes = [CanIngest]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=DbtIngestInputSerializer, responses={202: IngestRunSerializer})
    def post(self, request: Request) -> Response:
        form = DbtIngestInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        uploads = {k: form.validated_data[k] for k in ("manifest", "catalog", "run_results", "sources")
                   if k in form.validated_data}
        try:
            run = ingest_run_create_from_uploads(
                uploads=uploads, project_name=form.validated_data.get("project", ""), actor=request.user,
                trigger=IngestRun.Trigger.API,
            )
        except ArtifactError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        run.refresh_from_db()  # in eager mode the run has already finished
        body = IngestRunSerializer(run, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["api_url"]})


class IngestRunDetailView(APIView):
    permission_classes = [CanViewCatalog]

    @extend_schema(responses=IngestRunSerializer)
    def get(self, request: Request, pk: int) -> Response:
        run = get_object_or_404(IngestRun.objects.select_related("project"), pk=pk)
        return Response(IngestRunSerializer(run, context={"request": request}).data)
