"""Make the checkpoint table append-only too.

Drops then re-creates every audit trigger, so it works both on databases migrated before the
checkpoint triggers existed and on new ones where 0002 already installed the current set.
"""

from django.db import migrations

from secretariat.audit import triggers


def reinstall(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        vendor = schema_editor.connection.vendor
        for statement in triggers.drop_statements(vendor) + triggers.create_statements(vendor):
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_checkpoint_frontier")]
    operations = [migrations.RunPython(reinstall, migrations.RunPython.noop)]
