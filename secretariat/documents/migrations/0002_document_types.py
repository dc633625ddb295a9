"""Load the document type catalogue (see `secretariat.documents.catalogue`)."""

from django.db import migrations

from secretariat.documents.catalogue import DOCUMENT_TYPES


def load(apps, schema_editor):
    DocumentType = apps.get_model("documents", "DocumentType")
    for ordering, (code, name, state, party) in enumerate(DOCUMENT_TYPES):
        DocumentType.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "state_abbreviation": state,
                "party_abbreviation": party,
                "ordering": ordering,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
