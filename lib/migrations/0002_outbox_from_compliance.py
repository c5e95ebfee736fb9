# The e-mail outbox serves every app, so it lives in lib (issue 11). The rows stay: the model moves
# in the migration state only, then its table is renamed.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('lib', '0001_roles'),
        ('compliance', '0008_rescreen_failures_and_outbox_column'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Notification',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.CharField(max_length=200, unique=True)),
                        ('subject', models.CharField(max_length=255)),
                        ('body', models.TextField()),
                        ('recipients', models.JSONField(default=list)),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('enqueued_at', models.DateTimeField(blank=True, null=True)),
                        ('sent_at', models.DateTimeField(blank=True, db_index=True, null=True)),
                        ('attempts', models.PositiveIntegerField(default=0)),
                        ('last_error', models.TextField(blank=True)),
                    ],
                    options={
                        'ordering': ['created_at', 'id'],
                        'db_table': 'compliance_notification',
                    },
                ),
    
            ],
        ),
        migrations.AlterModelTable(name='notification', table=None),
    ]
