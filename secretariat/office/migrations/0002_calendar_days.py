"""Load the public holidays (see `secretariat.office.holidays`, data an administrator corrects)."""

from django.db import migrations

from secretariat.office.holidays import ensure_calendar_days


def load(apps, schema_editor):
    ensure_calendar_days(apps.get_model("office", "CalendarDay"))


class Migration(migrations.Migration):
    dependencies = [("office", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
