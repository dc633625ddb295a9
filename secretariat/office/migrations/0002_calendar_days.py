"""Load the public holidays (see `secretariat.office.holidays`, data an administrator corrects)."""

from django.db import migrations

from secretariat.office.holidays import CALENDAR_DAYS


def load(apps, schema_editor):
    CalendarDay = apps.get_model("office", "CalendarDay")
    for date, name, kind in CALENDAR_DAYS:
        CalendarDay.objects.update_or_create(date=date, defaults={"name": name, "kind": kind})


class Migration(migrations.Migration):
    dependencies = [("office", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
