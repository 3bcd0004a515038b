"""The PII API: a column's classifications (reviewers classify), the review queue."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Column
from governance.api.serializers.pii import (
    ClassificationSerializer,
    ClassifyInputSerializer,
    ColumnClassificationsSerializer,
)
from governance.filters import ReviewQueueFilter, review_queue
from governance.models import ColumnClassification
from governance.pii.effective import effective_for
from governance.services import column_classification_decide
from lexicon_core.permissions import Allows


class ColumnClassificationsView(APIView):
    """A column's effective PII classification and every classification beside it; reviewers POST
    a classification (category, sensitivity, status), which is audited."""

    permission_classes = [Allows("catalog.view", write="column.classify")]

    def _body(self, column: Column) -> dict:
        rows = ColumnClassification.objects.filter(column=column).select_related(
            "column__asset", "decided_by"
        )
        return ColumnClassificationsSerializer(
            {"column": column.pk, "effective": effective_for(column), "classifications": rows}
        ).data

    @extend_schema(responses=ColumnClassificationsSerializer)
    def get(self, request: Request, column_id: int) -> Response:
        return Response(self._body(get_object_or_404(Column, pk=column_id)))

    @extend_schema(
        request=ClassifyInputSerializer, responses={201: ColumnClassificationsSerializer}
    )
    def post(self, request: Request, column_id: int) -> Response:
        column = get_object_or_404(Column.objects.select_related("asset"), pk=column_id)
        self.check_object_permissions(request, column)
        form = ClassifyInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        column_classification_decide(
            column=column,
            category=data["category"],
            status=data["status"],
            sensitivity=data["sensitivity"],
            note=data["note"],
            actor=request.user,
        )
        return Response(self._body(column), status=status.HTTP_201_CREATED)


class ReviewQueueView(generics.ListAPIView):
    """The PII review queue (open suggestions unless ``status`` says otherwise), filtered as
    on the page."""

    permission_classes = [Allows("column.classify")]
    serializer_class = ClassificationSerializer
    filterset_class = ReviewQueueFilter  # documents the parameters; get_queryset applies them

    def filter_queryset(self, queryset):
        return queryset  # already filtered by review_queue (which adds the default status)

    def get_queryset(self):
        filters = review_queue(self.request.query_params)
        if not filters.is_valid():
            raise ValidationError(filters.errors)
        return filters.qs
