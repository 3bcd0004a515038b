from __future__ import annotations

from django import forms


class DbtUploadForm(forms.Form):
    manifest = forms.FileField(help_text="manifest.json (required; .json.gz accepted)")
    catalog = forms.FileField(required=False, help_text="catalog.json from dbt docs generate")
    run_results = forms.FileField(
        required=False, label="Run results", help_text="run_results.json from dbt build"
    )
    sources = forms.FileField(required=False, help_text="sources.json from dbt source freshness")
    project = forms.CharField(
        required=False, max_length=200, help_text="Leave empty to use the dbt project name"
    )
