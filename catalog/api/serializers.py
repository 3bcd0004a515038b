from __future__ import annotations

from rest_framework import serializers

from catalog.models import IngestRun


class DbtIngestInputSerializer(serializers.Serializer):
    """Multipart upload: manifest required, the other artifacts optional (gzip accepted)."""

    manifest = serializers.FileField(help_text="manifest.json (or .json.gz)")
    catalog = serializers.FileField(required=False, help_text="catalog.json from `dbt docs generate`")
    run_results = serializers.FileField(required=False, help_text="run_results.json from `dbt build`/`run`/`test`")
    sources = serializers.FileField(required=False, help_text="sources.json from `dbt source freshness`")
    project = serializers.CharField(required=False, allow_blank=True, max_length=200,
                                    help_text="Lexicon project name; default: the dbt project name")


class IngestRunSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    api_url = serializers.SerializerMethodField()
    project = serializers.CharField(source="project.name", default=None)
    progress = serializers.SerializerMethodField()
    duration_seconds = serializers.FloatField(read_only=True)

    class Meta:
        model = IngestRun
        fields = ["id", "kind", "status", "phase", "progress", "project", "trigger", "counts", "warnings", "error",
                  "files", "invocation_id", "created_at", "started_at", "finished_at", "duration_seconds", "url",
                  "api_url"]

    def get_url(self, run: IngestRun) -> str:
        return self.context["request"].build_absolute_uri(f"/ingest/{run.pk}/")

    def get_api_url(self, run: IngestRun) -> str:
        return self.context["request"].build_absolute_uri(f"/api/v1/ingest/runs/{run.pk}/")

    def get_progress(self, run: IngestRun) -> int:
        from catalog.selectors import ingest_run_progress

        return ingest_run_progress(run)["percent"]

    def to_representation(self, run: IngestRun):
        data = super().to_representation(run)
        for item in data.get("files") or []:
            item.pop("path", None)  # server paths are nobody's business
        return data
