"""Move DRF's plain-text API tokens (rest_framework.authtoken) into hashed ApiTokens.

Every old key keeps working; the old table is dropped afterwards, so no key stays in the
clear. On a fresh database (no authtoken_token table) this does nothing.
"""

from django.db import migrations


def convert(apps, schema_editor):
    from governance.tokens import legacy_authtokens_convert

    legacy_authtokens_convert(connection=schema_editor.connection, api_token_model=apps.get_model("governance", "ApiToken"))


class Migration(migrations.Migration):

    dependencies = [
        ("governance", "0006_api_tokens_login_failures"),
    ]

    # Not reversible in substance: the plain keys are gone; going back leaves the ApiTokens.
    operations = [migrations.RunPython(convert, migrations.RunPython.noop)]
