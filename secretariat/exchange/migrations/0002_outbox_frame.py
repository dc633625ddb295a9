"""The outbox frame moves to a table of its own (`OutboxFrame`): the outbox row changes on every
claim, attempt and receipt, and SQLite wrote the whole frame again each time."""

import django.db.models.deletion
from django.db import migrations, models

COPY_FRAMES = """
    INSERT INTO exchange_outboxframe (package_id, frame)
    SELECT id, frame FROM exchange_outboxpackage
"""
COPY_BACK = """
    UPDATE exchange_outboxpackage SET frame = (
        SELECT frame FROM exchange_outboxframe
        WHERE exchange_outboxframe.package_id = exchange_outboxpackage.id
    )
"""


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="OutboxFrame",
            fields=[
                (
                    "package",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="content",
                        serialize=False,
                        to="exchange.outboxpackage",
                    ),
                ),
                ("frame", models.BinaryField()),
            ],
        ),
        migrations.RunSQL(COPY_FRAMES, reverse_sql=COPY_BACK),
        migrations.RemoveField(
            model_name="outboxpackage",
            name="frame",
        ),
        migrations.AlterField(
            model_name="outboxpackage",
            name="state",
            field=models.CharField(
                choices=[
                    ("queued", "waiting to be sent"),
                    ("delivered", "delivered"),
                    ("rejected", "refused by the recipient's node"),
                    ("expired", "expired without delivery"),
                ],
                default="queued",
                max_length=16,
            ),
        ),
    ]
