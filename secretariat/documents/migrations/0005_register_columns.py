# Register columns of Decree 30 Appendix IV that had no field: drafting unit, keeper of the file
# copy, date sent (outgoing) and the receiving unit or person (incoming).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0004_version_signature_check"),
    ]

    operations = [
        migrations.AddField(
            model_name="registerentry",
            name="drafting_unit",
            field=models.CharField(blank=True, max_length=255, verbose_name="drafting unit"),
        ),
        migrations.AddField(
            model_name="registerentry",
            name="copy_keeper",
            field=models.CharField(
                blank=True, max_length=255, verbose_name="keeper of the file copy"
            ),
        ),
        migrations.AddField(
            model_name="registerentry",
            name="sent_on",
            field=models.DateField(blank=True, null=True, verbose_name="date sent"),
        ),
        migrations.AddField(
            model_name="registerentry",
            name="handled_by",
            field=models.CharField(
                blank=True, max_length=500, verbose_name="receiving unit or person"
            ),
        ),
    ]
