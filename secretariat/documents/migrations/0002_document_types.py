"""Load the document type catalogue (see `secretariat.documents.catalogue`)."""

from django.db import migrations

from secretariat.documents.catalogue import ensure_document_types


def load(apps, schema_editor):
    ensure_document_types(apps.get_model("documents", "DocumentType"))


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
