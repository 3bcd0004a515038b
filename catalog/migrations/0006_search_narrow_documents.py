"""Search documents become narrow rows; their long texts move to ``SearchText``.

The texts are copied over, the old full-text index (0005) is dropped before the
columns it reads go, and 0007 builds the new one. Facet values and the typo vocabulary
(``SearchWord``) of documents written before this migration come from
``manage.py search_reindex``.
"""

import django.db.models.deletion
from django.db import migrations, models

PG_DROP = [
    "DROP INDEX IF EXISTS catalog_searchdocument_name_trgm",
    "DROP INDEX IF EXISTS catalog_searchdocument_vector_gin",
    "ALTER TABLE catalog_searchdocument DROP COLUMN IF EXISTS vector",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS catalog_searchdocument_au",
    "DROP TRIGGER IF EXISTS catalog_searchdocument_ad",
    "DROP TRIGGER IF EXISTS catalog_searchdocument_ai",
    "DROP TABLE IF EXISTS catalog_searchdocument_fts",
]


def texts_move(apps, schema_editor):
    SearchDocument = apps.get_model("catalog", "SearchDocument")
    SearchText = apps.get_model("catalog", "SearchText")
    rows = SearchDocument.objects.values_list("asset_id", "name", "label", "description", "column_text", "tag_text")
    SearchText.objects.bulk_create(
        (SearchText(asset_id=a, name=n, label=lb, description=d, column_text=c, tag_text=t)
         for a, n, lb, d, c, t in rows.iterator(chunk_size=2000)),
        batch_size=2000,
    )
    statements = {"postgresql": PG_DROP, "sqlite": SQLITE_DROP}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql, params=None)


def summaries_fill(apps, schema_editor):
    SearchDocument = apps.get_model("catalog", "SearchDocument")
    SearchText = apps.get_model("catalog", "SearchText")
    for asset_id, description in SearchText.objects.exclude(description="").values_list("asset_id", "description"):
        SearchDocument.objects.filter(asset_id=asset_id).update(summary=description[:300])


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0005_search_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='SearchText',
            fields=[
                ('asset', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='catalog.asset')),
                ('name', models.CharField(max_length=255)),
                ('label', models.CharField(blank=True, max_length=255)),
                ('description', models.TextField(blank=True)),
                ('column_text', models.TextField(blank=True, help_text='Column names and descriptions.')),
                ('tag_text', models.TextField(blank=True, help_text='Tags and meta values.')),
            ],
        ),
        migrations.CreateModel(
            name='SearchWord',
            fields=[
                ('word', models.CharField(max_length=64, primary_key=True, serialize=False)),
            ],
        ),
        migrations.RunPython(texts_move, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='searchdocument',
            name='column_text',
        ),
        migrations.RemoveField(
            model_name='searchdocument',
            name='description',
        ),
        migrations.RemoveField(
            model_name='searchdocument',
            name='tag_text',
        ),
        migrations.AddField(
            model_name='searchdocument',
            name='database',
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddField(
            model_name='searchdocument',
            name='freshness',
            field=models.CharField(blank=True, help_text='Latest source freshness: pass, warn, error.', max_length=10),
        ),
        migrations.AddField(
            model_name='searchdocument',
            name='has_pii',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='searchdocument',
            name='owners',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name='searchdocument',
            name='schema',
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddField(
            model_name='searchdocument',
            name='summary',
            field=models.CharField(blank=True, help_text='The start of the description.', max_length=300),
        ),
        migrations.AddField(
            model_name='searchdocument',
            name='tags',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(summaries_fill, migrations.RunPython.noop),
    ]
