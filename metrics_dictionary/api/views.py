"""The metric dictionary API: thin views over ``services`` and ``selectors``.

A refused action answers 403 (not allowed) or 409 (wrong state, stale version, someone
decided first) or 400 (invalid definition), with ``detail`` saying why.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Asset, Column
from governance.selectors import owners_from_names
from lexicon_core.permissions import Allows
from lexicon_core.tiers import TIERS
from metrics_dictionary import selectors
from metrics_dictionary.api.serializers import (
    ActionInputSerializer,
    AssetDeprecateInputSerializer,
    AssetDeprecationSerializer,
    DefinitionInputSerializer,
    DeprecateInputSerializer,
    DeprecationSerializer,
    DiffSerializer,
    ErrorSerializer,
    ImpactSerializer,
    MetricCreateSerializer,
    MetricDetailSerializer,
    MetricListSerializer,
    VersionSerializer,
    VersionSummarySerializer,
    WebhookCreateSerializer,
    WebhookDeliverySerializer,
    WebhookSerializer,
    WebhookUpdateSerializer,
    WebhookWithSecretSerializer,
)
from metrics_dictionary.errors import DefinitionInvalid, WorkflowError
from metrics_dictionary.filters import MetricFilterSet
from metrics_dictionary.models import Metric, MetricStatus, MetricVersion, Webhook
from metrics_dictionary.services.deprecations import (
    asset_deprecate,
    deprecation_withdraw,
    metric_deprecate,
)
from metrics_dictionary.services.proposals import (
    metric_propose,
    metric_version_propose,
    metric_version_update,
)
from metrics_dictionary.services.reviews import (
    metric_version_approve,
    metric_version_reject,
    metric_version_request_changes,
    metric_version_submit,
)
from metrics_dictionary.services.webhooks import (
    webhook_create,
    webhook_delete,
    webhook_secret_rotate,
    webhook_update,
)

REFUSALS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input; `errors` per field"),
    403: OpenApiResponse(ErrorSerializer, description="Not allowed for you"),
    409: OpenApiResponse(
        ErrorSerializer, description="Wrong state (already decided, stale, retired...)"
    ),
}


def refused(exc: WorkflowError) -> Response:
    body: dict[str, Any] = {"detail": exc.message, "kind": exc.kind}
    if exc.errors:
        body["errors"] = exc.errors
    return Response(body, status=exc.status_code)


def _metric(slug: str) -> Metric:
    try:
        return selectors.metric_get(slug)
    except Metric.DoesNotExist:
        raise Http404(f"No metric {slug!r}.") from None


def _version(slug: str, number: int) -> MetricVersion:
    try:
        return selectors.version_get(_metric(slug), number)
    except MetricVersion.DoesNotExist:
        raise Http404(f"Metric {slug!r} has no version {number}.") from None


def _resolve_assets(values: list[str]) -> list[int]:
    ids = []
    for value in values:
        value = value.strip()
        found = (
            Asset.objects.filter(pk=int(value))
            if value.isdigit()
            else Asset.objects.filter(unique_id=value).order_by("removed_at", "-id")
        )
        pk = found.values_list("pk", flat=True).first()
        if pk is None:
            raise DefinitionInvalid(
                f"No catalog asset {value!r}.", errors={"related_assets": [f"no asset {value!r}"]}
            )
        ids.append(pk)
    return ids


def _resolve_columns(values: list[str]) -> list[int]:
    ids = []
    for value in values:
        value = value.strip()
        if value.isdigit():
            pk = Column.objects.filter(pk=int(value)).values_list("pk", flat=True).first()
        else:
            unique_id, _, name = value.rpartition(".")
            pk = (
                Column.objects.filter(asset__unique_id=unique_id, name_key=name.lower())
                .order_by("removed_at")
                .values_list("pk", flat=True)
                .first()
            )
        if pk is None:
            raise DefinitionInvalid(
                f"No catalog column {value!r}.",
                errors={"related_columns": [f"no column {value!r}"]},
            )
        ids.append(pk)
    return ids


def _definition(data: dict[str, Any]) -> dict[str, Any]:
    """Serializer output -> the services' definition dict (ids for related assets/columns)."""
    keys = set(DefinitionInputSerializer().fields) - {"related_assets", "related_columns"}
    definition = {k: v for k, v in data.items() if k in keys}
    if "related_assets" in data:
        definition["related_asset_ids"] = _resolve_assets(data["related_assets"])
    if "related_columns" in data:
        definition["related_column_ids"] = _resolve_columns(data["related_columns"])
    return definition


class MetricListCreateView(ListAPIView):
    """Metrics in the dictionary, filtered as on the Metrics page (`q`, `domain`, `tier`,
    `status`, `owner`, `mine`, `attention`; an invalid value answers 400); POST proposes a new
    metric with its first draft version."""

    permission_classes = [Allows("catalog.view")]
    serializer_class = MetricListSerializer
    filter_backends: list = []

    def get_queryset(self):
        filterset = getattr(self, "filterset", None)  # set and validated by get()
        return filterset.qs if filterset is not None else selectors.metrics_list()

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str),
            OpenApiParameter("domain", str),
            OpenApiParameter("tier", int, enum=TIERS),
            OpenApiParameter("status", str, enum=MetricStatus.values),
            OpenApiParameter("owner", str, description="A username or a team name"),
            OpenApiParameter("mine", bool, description="Owned by me or one of my teams"),
            OpenApiParameter("attention", bool, description="Needs attention only"),
        ],
        responses={200: MetricListSerializer(many=True), 400: REFUSALS[400]},
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        self.filterset = MetricFilterSet(
            request.query_params, queryset=selectors.metrics_list(), request=request
        )
        if not self.filterset.is_valid():
            return refused(self.filterset.refusal())
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=MetricCreateSerializer, responses={201: MetricDetailSerializer, **REFUSALS}
    )
    def post(self, request: Request) -> Response:
        form = MetricCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            # Users and teams come in separate lists here; each list resolves only its kind.
            by_user = owners_from_names(data.get("owners") or [], teams=False)
            by_team = owners_from_names(data.get("owner_teams") or [], users=False)
            users, teams = by_user.users, by_team.teams
            missing = set(by_user.unknown) | set(by_team.unknown)
            if missing:
                raise DefinitionInvalid(
                    f"Unknown owner(s): {', '.join(sorted(missing))}.",
                    errors={"owners": [f"unknown: {', '.join(sorted(missing))}"]},
                )
            version = metric_propose(
                name=data["name"],
                slug=data.get("slug", ""),
                tier=data["tier"],
                domain=data["domain"],
                category=data["category"],
                owner_users=users,
                owner_teams=teams,
                owner_type=data["owner_type"],
                definition=_definition(data),
                actor=request.user,
            )
        except WorkflowError as exc:
            return refused(exc)
        return Response(
            MetricDetailSerializer(_metric(version.metric.slug)).data,
            status=status.HTTP_201_CREATED,
        )


class MetricDetailView(APIView):
    permission_classes = [Allows("catalog.view")]

    @extend_schema(responses=MetricDetailSerializer)
    def get(self, request: Request, slug: str) -> Response:
        return Response(MetricDetailSerializer(_metric(slug)).data)


class VersionListCreateView(APIView):
    permission_classes = [Allows("catalog.view")]

    @extend_schema(responses=VersionSummarySerializer(many=True))
    def get(self, request: Request, slug: str) -> Response:
        return Response(
            VersionSummarySerializer(selectors.metric_versions(_metric(slug)), many=True).data
        )

    @extend_schema(
        request=DefinitionInputSerializer, responses={201: VersionSerializer, **REFUSALS}
    )
    def post(self, request: Request, slug: str) -> Response:
        form = DefinitionInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            version = metric_version_propose(
                metric=_metric(slug),
                definition=_definition(form.validated_data),
                actor=request.user,
            )
        except WorkflowError as exc:
            return refused(exc)
        return Response(
            VersionSerializer(_version(slug, version.number)).data, status=status.HTTP_201_CREATED
        )


class VersionDetailView(APIView):
    permission_classes = [Allows("catalog.view")]

    @extend_schema(responses=VersionSerializer)
    def get(self, request: Request, slug: str, number: int) -> Response:
        return Response(VersionSerializer(_version(slug, number)).data)

    @extend_schema(
        request=DefinitionInputSerializer, responses={200: VersionSerializer, **REFUSALS}
    )
    def patch(self, request: Request, slug: str, number: int) -> Response:
        """Edit a draft (or a version with changes requested)."""
        form = DefinitionInputSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        try:
            metric_version_update(
                version=_version(slug, number),
                definition=_definition(form.validated_data),
                actor=request.user,
            )
        except WorkflowError as exc:
            return refused(exc)
        return Response(VersionSerializer(_version(slug, number)).data)


class VersionDiffView(APIView):
    permission_classes = [Allows("catalog.view")]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "against",
                int,
                description="Version number to compare with; default: the previous version",
            )
        ],
        responses={200: DiffSerializer, 400: ErrorSerializer},
    )
    def get(self, request: Request, slug: str, number: int) -> Response:
        version = _version(slug, number)
        against_raw = request.query_params.get("against", "")
        if against_raw and not against_raw.isdigit():
            return Response(
                {"detail": "`against` must be a version number.", "kind": "invalid"}, status=400
            )
        against_number = int(against_raw) if against_raw else number - 1
        other = (
            version.metric.versions.filter(number=against_number).first()
            if against_number > 0
            else None
        )
        if against_raw and other is None:
            raise Http404(f"Metric {slug!r} has no version {against_number}.")
        rows = selectors.version_diff(other, version)
        return Response(
            DiffSerializer(
                {
                    "metric": slug,
                    "version": number,
                    "against": other.number if other else None,
                    "fields": rows,
                }
            ).data
        )


class VersionImpactView(APIView):
    permission_classes = [Allows("catalog.view")]

    @extend_schema(responses=ImpactSerializer)
    def get(self, request: Request, slug: str, number: int) -> Response:
        """What a reviewer weighs before approving: diff, formula columns, downstream, usage."""
        return Response(ImpactSerializer(selectors.version_impact(_version(slug, number))).data)


def _action(fn, *, needs_comment: bool = False):
    class ActionView(APIView):
        permission_classes = [Allows("catalog.view")]

        @extend_schema(
            request=ActionInputSerializer, responses={200: VersionSerializer, **REFUSALS}
        )
        def post(self, request: Request, slug: str, number: int) -> Response:
            form = ActionInputSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            try:
                fn(
                    version=_version(slug, number),
                    actor=request.user,
                    comment=form.validated_data["comment"],
                )
            except WorkflowError as exc:
                return refused(exc)
            return Response(VersionSerializer(_version(slug, number)).data)

    ActionView.__name__ = ActionView.__qualname__ = f"{fn.__name__.title().replace('_', '')}View"
    ActionView.__doc__ = fn.__doc__.splitlines()[0] if fn.__doc__ else ""
    return ActionView


SubmitView = _action(metric_version_submit)
ApproveView = _action(metric_version_approve)
RequestChangesView = _action(metric_version_request_changes)
RejectView = _action(metric_version_reject)


class DeprecateView(APIView):
    permission_classes = [Allows("catalog.view")]

    @extend_schema(
        request=DeprecateInputSerializer, responses={201: DeprecationSerializer, **REFUSALS}
    )
    def post(self, request: Request, slug: str) -> Response:
        """Deprecate a metric: reason, sunset date, optional replacement metric."""
        form = DeprecateInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        replacement = None
        if data.get("replacement"):
            replacement = Metric.objects.filter(slug=data["replacement"]).first()
            if replacement is None:
                return refused(
                    DefinitionInvalid(
                        f"No metric {data['replacement']!r} to use as replacement.",
                        errors={"replacement": ["no such metric"]},
                    )
                )
        try:
            notice = metric_deprecate(
                metric=_metric(slug),
                reason=data["reason"],
                sunset_date=data.get("sunset_date"),
                replacement=replacement,
                actor=request.user,
            )
        except WorkflowError as exc:
            return refused(exc)
        return Response(DeprecationSerializer(notice).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: DeprecationSerializer, **REFUSALS})
    def delete(self, request: Request, slug: str) -> Response:
        """Withdraw the deprecation of a metric that has not retired yet; the metric is
        approved again (or a draft if it never had an approved version)."""
        try:
            notice = deprecation_withdraw(subject=_metric(slug), actor=request.user)
        except WorkflowError as exc:
            return refused(exc)
        return Response(DeprecationSerializer(notice).data)


class AssetDeprecateView(APIView):
    permission_classes = [Allows("catalog.view")]

    @extend_schema(
        request=AssetDeprecateInputSerializer,
        responses={201: AssetDeprecationSerializer, **REFUSALS},
    )
    def post(self, request: Request, pk: int) -> Response:
        """Deprecate a catalog asset (a mart): the same notice as for metrics; search ranks it
        last."""
        asset = Asset.objects.filter(pk=pk).first()
        if asset is None:
            raise Http404(f"No asset {pk}.")
        form = AssetDeprecateInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            replacement_asset = None
            if data.get("replacement_asset"):
                replacement_asset = Asset.objects.get(
                    pk=_resolve_assets([data["replacement_asset"]])[0]
                )
            replacement = None
            if data.get("replacement"):
                replacement = Metric.objects.filter(slug=data["replacement"]).first()
                if replacement is None:
                    raise DefinitionInvalid(
                        f"No metric {data['replacement']!r}.",
                        errors={"replacement": ["no such metric"]},
                    )
            notice = asset_deprecate(
                asset=asset,
                reason=data["reason"],
                sunset_date=data.get("sunset_date"),
                replacement_asset=replacement_asset,
                replacement=replacement,
                actor=request.user,
            )
        except WorkflowError as exc:
            return refused(exc)
        return Response(AssetDeprecationSerializer(notice).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: AssetDeprecationSerializer, **REFUSALS})
    def delete(self, request: Request, pk: int) -> Response:
        """Withdraw the deprecation of a catalog asset: search ranks it normally again."""
        asset = Asset.objects.filter(pk=pk).first()
        if asset is None:
            raise Http404(f"No asset {pk}.")
        try:
            notice = deprecation_withdraw(subject=asset, actor=request.user)
        except WorkflowError as exc:
            return refused(exc)
        return Response(AssetDeprecationSerializer(notice).data)


# ---------------------------------------------------------------------------- webhooks (admins)
# Every endpoint needs ``webhook.manage``, reads included (URLs and delivery errors are not for
# everyone); the permission is checked before the webhook is looked up. The signing secret is
# in the answers to create and rotate only.


def _webhook(pk: int) -> Webhook:
    try:
        return selectors.webhooks_list().get(pk=pk)
    except Webhook.DoesNotExist:
        raise Http404(f"No webhook {pk}.") from None


def _with_secret(hook: Webhook, secret: str | None, *, status_code: int = 200) -> Response:
    response = Response(
        {**WebhookSerializer(_webhook(hook.pk)).data, "secret": secret}, status=status_code
    )
    add_never_cache_headers(response)
    return response


class WebhookListCreateView(ListAPIView):
    """Outgoing webhooks with their last delivery and failures of the last 7 days (admins);
    POST adds one and returns its signing secret, this once."""

    permission_classes = [Allows("webhook.manage")]
    serializer_class = WebhookSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.webhooks_list()

    @extend_schema(
        request=WebhookCreateSerializer, responses={201: WebhookWithSecretSerializer, **REFUSALS}
    )
    def post(self, request: Request) -> Response:
        form = WebhookCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            hook, secret = webhook_create(
                name=data.get("name", ""),
                url=data["url"],
                events=data.get("events", []),
                secret_env=data["secret_env"],
                actor=request.user,
            )
        except WorkflowError as exc:
            return refused(exc)
        return _with_secret(hook, secret, status_code=status.HTTP_201_CREATED)


class WebhookDetailView(APIView):
    """One webhook (admins): PATCH changes name, URL, events or active; DELETE removes it and
    its deliveries."""

    permission_classes = [Allows("webhook.manage")]

    @extend_schema(responses=WebhookSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(WebhookSerializer(_webhook(pk)).data)

    @extend_schema(request=WebhookUpdateSerializer, responses={200: WebhookSerializer, **REFUSALS})
    def patch(self, request: Request, pk: int) -> Response:
        hook = _webhook(pk)
        form = WebhookUpdateSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        try:
            webhook_update(webhook=hook, actor=request.user, **form.validated_data)
        except WorkflowError as exc:
            return refused(exc)
        return Response(WebhookSerializer(_webhook(pk)).data)

    @extend_schema(request=None, responses={204: None, **REFUSALS})
    def delete(self, request: Request, pk: int) -> Response:
        try:
            webhook_delete(webhook=_webhook(pk), actor=request.user)
        except WorkflowError as exc:
            return refused(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateSecretView(APIView):
    permission_classes = [Allows("webhook.manage")]

    @extend_schema(request=None, responses={200: WebhookWithSecretSerializer, **REFUSALS})
    def post(self, request: Request, pk: int) -> Response:
        """A new signing secret, returned this once; the old one stops working at once."""
        hook = _webhook(pk)
        try:
            secret = webhook_secret_rotate(webhook=hook, actor=request.user)
        except WorkflowError as exc:
            return refused(exc)
        return _with_secret(hook, secret)


class WebhookDeliveryListView(ListAPIView):
    """Deliveries of one webhook, newest first (admins)."""

    permission_classes = [Allows("webhook.manage")]
    serializer_class = WebhookDeliverySerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.webhook_deliveries(_webhook(self.kwargs["pk"]))
