from __future__ import annotations

import json
from typing import Any

from django import template

register = template.Library()


@register.filter
def as_json(value: Any) -> str:
    """Before/after values of audit rows as compact JSON (autoescaped by the template)."""
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
