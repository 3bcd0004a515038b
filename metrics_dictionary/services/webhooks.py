"""Managing outgoing webhooks (admins): create, change, delete, ping, rotate the secret.
Their delivery (signing, sending, retries) is ``webhook_delivery``."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction

from governance.services import audit_record
from metrics_dictionary.errors import Conflict, DefinitionInvalid
from metrics_dictionary.models import SUBSCRIBABLE_EVENTS, Webhook, WebhookDelivery, WebhookEvent
from metrics_dictionary.services._common import require
from metrics_dictionary.services.webhook_delivery import delivery_create, webhook_secret


def _webhook_validate(
    *, url: str | None = None, events: list[str] | None = None, secret_env: str = ""
) -> None:
    """The rules of a webhook's fields, for create and update alike; ``None`` is not checked."""
    errors: dict[str, list[str]] = {}
    if url is not None:
        try:
            parts = urlsplit(url)
            hostname = parts.hostname
        except ValueError:  # e.g. an unclosed IPv6 bracket
            hostname = None
        if not hostname or parts.scheme not in ("http", "https"):
            errors["url"] = ["must be an http(s) URL"]
        elif len(url) > Webhook._meta.get_field("url").max_length:
            errors["url"] = ["is too long (at most 1000 characters)"]
    if events is not None:
        unknown = [e for e in events if e not in SUBSCRIBABLE_EVENTS]
        if unknown:
            errors["events"] = [
                f"unknown event(s) {', '.join(map(str, unknown))}; use "
                f"{', '.join(SUBSCRIBABLE_EVENTS)}"
            ]
    if secret_env and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,99}", secret_env):
        errors["secret_env"] = [
            "must be an environment variable name (letters, digits, underscores)"
        ]
    if errors:
        raise DefinitionInvalid("The webhook is not valid.", errors=errors)


def _webhook_snapshot(webhook: Webhook) -> dict[str, Any]:
    return {
        "name": webhook.name,
        "url": webhook.url,
        "events": list(webhook.events),
        "active": webhook.active,
    }


@transaction.atomic
def webhook_create(
    *, name: str, url: str, actor, events: Iterable[str] = (), secret_env: str = ""
) -> tuple[Webhook, str | None]:
    """Create a webhook; returns it with its signing secret, shown this once (None when
    the secret comes from the environment variable ``secret_env``)."""
    require(actor, "webhook.manage")
    events = list(dict.fromkeys(events))
    url, secret_env = url.strip(), secret_env.strip()
    _webhook_validate(url=url, events=events, secret_env=secret_env)
    hook = Webhook.objects.create(
        name=name.strip() or url,
        url=url,
        events=events,
        created_by=actor,
        secret_env=secret_env,
        secret_salt="" if secret_env else secrets.token_hex(16),
    )
    audit_record(
        actor=actor, action="webhook.create", obj=hook, after={"url": url, "events": events}
    )
    return hook, (None if hook.secret_env else webhook_secret(hook))


@transaction.atomic
def webhook_update(
    *,
    webhook: Webhook,
    actor,
    name: str | None = None,
    url: str | None = None,
    events: Iterable[str] | None = None,
    active: bool | None = None,
) -> Webhook:
    """Change what is given (``None`` leaves a field as it is); audited with before and after.
    An empty ``events`` subscribes to every event; a blank ``name`` becomes the URL."""
    require(actor, "webhook.manage")
    url = url.strip() if url is not None else None
    events = list(dict.fromkeys(events)) if events is not None else None
    _webhook_validate(url=url, events=events)
    webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
    before = _webhook_snapshot(webhook)
    if url is not None:
        webhook.url = url
    if name is not None:
        webhook.name = name.strip() or webhook.url
    if events is not None:
        webhook.events = events
    if active is not None:
        webhook.active = active
    after = _webhook_snapshot(webhook)
    changed = [f for f in after if after[f] != before[f]]
    if changed:
        webhook.save(update_fields=changed)
        audit_record(
            actor=actor,
            action="webhook.update",
            obj=webhook,
            before={f: before[f] for f in changed},
            after={f: after[f] for f in changed},
        )
    return webhook


@transaction.atomic
def webhook_delete(*, webhook: Webhook, actor) -> None:
    """Delete a webhook and its delivery history; audited with what it was."""
    require(actor, "webhook.manage")
    webhook = Webhook.objects.select_for_update().filter(pk=webhook.pk).first()
    if webhook is None:
        raise Conflict("This webhook no longer exists.")
    audit_record(
        actor=actor, action="webhook.delete", obj=webhook, before=_webhook_snapshot(webhook)
    )
    webhook.delete()


@transaction.atomic
def webhook_ping(*, webhook: Webhook, actor) -> WebhookDelivery:
    """Send a ``ping`` test event to this webhook (active or not), after commit; the
    delivery is recorded like any other, so its page shows whether the receiver answered."""
    require(actor, "webhook.manage")
    return delivery_create(
        webhook=webhook,
        event=WebhookEvent.PING,
        payload={
            "webhook": {"id": webhook.pk, "name": webhook.name},
            "sent_by": actor.get_username(),
        },
    )


@transaction.atomic
def webhook_secret_rotate(*, webhook: Webhook, actor) -> str:
    """A new signing secret (shown once); the old one stops working at once."""
    require(actor, "webhook.manage")
    webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
    webhook.secret_salt, webhook.secret_env = secrets.token_hex(16), ""
    webhook.save(update_fields=["secret_salt", "secret_env"])
    audit_record(actor=actor, action="webhook.rotate_secret", obj=webhook)
    return webhook_secret(webhook)
