"""The audit log API."""

from __future__ import annotations

from rest_framework import generics

from governance.api.serializers.audit import AuditEventSerializer
from governance.filters import AuditEventFilter
from governance.models import AuditEvent
from lexicon_core.permissions import Allows


class AuditEventListView(generics.ListAPIView):
    """The audit log, newest first; filters as on the audit page."""

    permission_classes = [Allows("audit.view")]
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    queryset = AuditEvent.objects.order_by("-at", "-id")
