# Hits on licence-request parties belong to licensing (issue 11: one direction between the apps).
# The rows stay where they are: the models move in the migration state only, then their tables
# are renamed to licensing's names.

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('licensing', '0001_initial'),
        ('compliance', '0008_rescreen_failures_and_outbox_column'),
        ('entities', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='HistoricalHit',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('score', models.FloatField()),
                        ('matched_name', models.CharField(max_length=500)),
                        ('explanation', models.JSONField(blank=True, default=dict)),
                        ('license_requirement', models.TextField(blank=True)),
                        ('license_policy', models.CharField(blank=True, max_length=32)),
                        ('license_policy_text', models.TextField(blank=True)),
                        ('list_version', models.PositiveIntegerField(blank=True, null=True)),
                        ('threshold', models.FloatField()),
                        ('status', models.CharField(choices=[('open', 'Open'), ('cleared', 'Cleared (false positive)'), ('confirmed', 'Confirmed'), ('delisted', 'Entity delisted'), ('unmatched', 'No longer matches'), ('acknowledged', 'List change acknowledged')], db_index=True, default='open', max_length=16)),
                        ('rationale', models.TextField(blank=True)),
                        ('resolution', models.TextField(blank=True)),
                        ('reviewed_at', models.DateTimeField(blank=True, null=True)),
                        ('party_fingerprint', models.CharField(max_length=64)),
                        ('entity_hash', models.CharField(blank=True, max_length=64)),
                        ('created_at', models.DateTimeField(blank=True, editable=False)),
                        ('updated_at', models.DateTimeField(blank=True, editable=False)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('entity', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='entities.entity')),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('party', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='licensing.party')),
                        ('reviewed_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'historical hit',
                        'verbose_name_plural': 'historical hits',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                        'db_table': 'compliance_historicalhit',
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='Hit',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('score', models.FloatField()),
                        ('matched_name', models.CharField(max_length=500)),
                        ('explanation', models.JSONField(blank=True, default=dict)),
                        ('license_requirement', models.TextField(blank=True)),
                        ('license_policy', models.CharField(blank=True, max_length=32)),
                        ('license_policy_text', models.TextField(blank=True)),
                        ('list_version', models.PositiveIntegerField(blank=True, null=True)),
                        ('threshold', models.FloatField()),
                        ('status', models.CharField(choices=[('open', 'Open'), ('cleared', 'Cleared (false positive)'), ('confirmed', 'Confirmed'), ('delisted', 'Entity delisted'), ('unmatched', 'No longer matches'), ('acknowledged', 'List change acknowledged')], db_index=True, default='open', max_length=16)),
                        ('rationale', models.TextField(blank=True)),
                        ('resolution', models.TextField(blank=True)),
                        ('reviewed_at', models.DateTimeField(blank=True, null=True)),
                        ('party_fingerprint', models.CharField(max_length=64)),
                        ('entity_hash', models.CharField(blank=True, max_length=64)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('entity', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='hits', to='entities.entity')),
                        ('party', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='hits', to='licensing.party')),
                        ('reviewed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'ordering': ['party', '-score', 'id'],
                        'constraints': [models.UniqueConstraint(fields=('party', 'entity'), name='one_hit_per_party_and_entity')],
                        'db_table': 'compliance_hit',
                    },
                ),
    
            ],
        ),
        migrations.AlterModelTable(name='hit', table=None),
        migrations.AlterModelTable(name='historicalhit', table=None),
    ]
