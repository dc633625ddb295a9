# The ETSI TS 119 102-2 XML validation report kept with each version (signing/etsi.py).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0005_register_columns"),
    ]

    operations = [
        migrations.AddField(
            model_name="documentversion",
            name="signature_report_xml",
            field=models.TextField(blank=True),
        ),
    ]
