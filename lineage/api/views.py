from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.permissions import CanViewCatalog
from lineage.explain import ExplainInputError, explain


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
