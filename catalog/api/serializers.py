from __future__ import annotations

from rest_framework import serializers

from catalog.models import IngestRun


class DbtIngestInputSerializer(serializers.Serializer):
    """Multipart upload: manifest required, the other artifacts optional (gzip accepted)."""

    manifest = serializers.FileField(help_text="manifest.json (or .json.gz)")
    catalog = serializers.FileField(
        required=False, help_text="catalog.json from `dbt docs generate`"
    )
    run_results = serializers.FileField(
        required=False, help_text="run_results.json from `dbt build`/`run`/`test`"
    )
    sources = serializers.FileField(
        required=False, help_text="sources.json from `dbt source freshness`"
    )
    project = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Lexicon project name; default: the dbt project name",
    )


class IngestRunSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    api_url = serializers.SerializerMethodField()
    project = serializers.CharField(source="project.name", default=None)
    progress = serializers.SerializerMethodField()
    duration_seconds = serializers.FloatField(read_only=True)

    class Meta:
        model = IngestRun
        fields = [
            "id",
            "kind",
            "status",
            "phase",
            "progress",
            "project",
            "trigger",
            "counts",
            "warnings",
            "error",
            "files",
            "invocation_id",
            "created_at",
            "started_at",
            "finished_at",
            "duration_seconds",
            "url",
            "api_url",
        ]

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


class ColumnSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    position = serializers.IntegerField()
    data_type = serializers.CharField()
    description = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    documented = serializers.BooleanField()
    in_warehouse = serializers.BooleanField()
    dbt_pii = serializers.CharField(
        help_text="How dbt flags this column as PII (empty: not flagged)"
    )


class AssetListSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    unique_id = serializers.CharField()
    kind = serializers.CharField()
    name = serializers.CharField()
    label = serializers.CharField()
    project = serializers.CharField(source="project.name")
    relation = serializers.CharField(source="display_relation")
    description = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    tier = serializers.IntegerField(source="dbt_tier", allow_null=True)
    owners = serializers.ListField(source="dbt_owners", child=serializers.CharField())
    materialization = serializers.CharField()
    removed_at = serializers.DateTimeField(allow_null=True)
    url = serializers.SerializerMethodField()

    def get_url(self, asset) -> str:
        return self.context["request"].build_absolute_uri(f"/assets/{asset.pk}/")


class AssetDetailSerializer(AssetListSerializer):
    database = serializers.CharField()
    schema = serializers.CharField()
    identifier = serializers.CharField()
    package_name = serializers.CharField()
    original_file_path = serializers.CharField()
    access = serializers.CharField()
    group = serializers.CharField()
    version = serializers.CharField()
    contract_enforced = serializers.BooleanField()
    meta = serializers.DictField()
    depends_on = serializers.ListField(child=serializers.CharField())
    details = serializers.DictField()
    warehouse_type = serializers.CharField()
    warehouse_stats = serializers.DictField()
    columns = serializers.SerializerMethodField()

    def get_columns(self, asset) -> list[dict]:
        return ColumnSerializer(asset.active_columns, many=True).data
