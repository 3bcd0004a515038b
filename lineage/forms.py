from __future__ import annotations

from django import forms


def _format_choices() -> list[tuple[str, str]]:
    from lineage.querylog.formats import FORMATS

    return [("", "Detect from the file")] + [
        (name, reader.label) for name, reader in FORMATS.items()
    ]


class QueryLogUploadForm(forms.Form):
    log = forms.FileField(label="Query log", help_text="CSV or JSON lines export (.gz accepted)")
    source = forms.CharField(
        max_length=100,
        help_text="The warehouse connection it comes from, e.g. snowflake-prod. "
        "Dedup and the watermark are per source.",
    )
    format = forms.ChoiceField(required=False, choices=())
    access_history = forms.FileField(
        required=False,
        label="Snowflake ACCESS_HISTORY",
        help_text="Optional: what each query really read and wrote",
    )
    query_text = forms.FileField(
        required=False,
        label="Redshift SYS_QUERY_TEXT",
        help_text="Optional: the chunks of long statements",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["format"].choices = _format_choices()
