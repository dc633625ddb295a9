"""Make the audit table append-only with database triggers (SQLite and PostgreSQL)."""

from django.db import migrations

from secretariat.audit import triggers


def install(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for statement in triggers.create_statements(schema_editor.connection.vendor):
            cursor.execute(statement)


def remove(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for statement in triggers.drop_statements(schema_editor.connection.vendor):
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(install, remove)]
