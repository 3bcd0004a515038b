"""The immutability guard for a version's related assets and columns.

``MetricVersion.save`` and its queryset guard the version's own fields; M2M changes
bypass both, so this receiver refuses them on approved and superseded versions.
"""

from __future__ import annotations

from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from metrics_dictionary.models import FROZEN_STATES, ImmutableVersionError, MetricVersion


@receiver(m2m_changed, sender=MetricVersion.related_assets.through)
@receiver(m2m_changed, sender=MetricVersion.related_columns.through)
def _refuse_frozen_m2m(sender, instance, action, reverse, **kwargs) -> None:
    if not action.startswith("pre_"):
        return
    if reverse:
        # Changing from the asset/column side: refuse if any frozen version is touched.
        pk_set = kwargs.get("pk_set")
        versions = MetricVersion.objects.filter(state__in=FROZEN_STATES)
        if action == "pre_clear" or pk_set is None:
            # Clearing from the catalog side happens only when a catalog row is deleted.
            return
        if versions.filter(pk__in=pk_set).exists():
            raise ImmutableVersionError(
                "approved metric versions are immutable; their related assets cannot change"
            )
        return
    stored = MetricVersion.objects.filter(pk=instance.pk).values_list("state", flat=True).first()
    if stored in FROZEN_STATES:
        raise ImmutableVersionError(
            f"{instance} is {stored} and immutable; its related assets and columns cannot change"
        )
