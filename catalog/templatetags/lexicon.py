from __future__ import annotations

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from lexicon_core.tiers import tier_label

register = template.Library()
register.filter("tier_label", tier_label)  # 2 -> "Tier 2"


@register.filter
def highlight(text: str, query: str) -> SafeString:
    """Escape ``text`` and wrap the words of ``query`` in <mark>."""
    escaped = escape(text or "")
    words = sorted(
        {w for w in re.findall(r"[0-9A-Za-z]+", query or "") if len(w) > 1}, key=len, reverse=True
    )
    if not words:
        return mark_safe(escaped)  # noqa: S308 - escaped above
    pattern = re.compile("(" + "|".join(re.escape(w) for w in words) + ")", re.IGNORECASE)
    return mark_safe(pattern.sub(r"<mark>\1</mark>", escaped))  # noqa: S308 - input escaped above


@register.filter
def markdown(text: str) -> SafeString:
    from catalog.markdown import render_markdown

    return render_markdown(text)


@register.filter
def highlight_code(code: str, language: str = "sql") -> SafeString:
    """Syntax-highlighted code (Pygments escapes its input)."""
    from pygments import highlight as pyg_highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer, SqlLexer

    lexer = PythonLexer() if (language or "").lower() == "python" else SqlLexer()
    html = pyg_highlight(code or "", lexer, HtmlFormatter(cssclass="code", wrapcode=True))
    return mark_safe(html)  # noqa: S308 - pygments escapes the code it highlights


@register.filter
def split_words(text: str) -> list[str]:
    return text.split()


@register.filter
def get_param(querydict, key: str) -> str:
    return querydict.get(key, "")
