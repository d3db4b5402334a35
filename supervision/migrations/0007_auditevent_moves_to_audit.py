# AuditEvent now lives in the audit app (audit/migrations/0001_initial.py takes the table over);
# here it leaves supervision's migration state only: the table and its rows stay.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0006_report_head_approval"),
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditEvent")],
            database_operations=[],
        ),
    ]
