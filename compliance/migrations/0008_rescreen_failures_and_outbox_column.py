# Chunks count their attempts so a failing one stops and fails its job; admins retry jobs.
# Chunks planned as id ranges (before 0007) are re-planned; the outbox loses its link to
# licensing before it moves to lib (0009, lib 0002).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def replan_range_chunks(apps, schema_editor):
    RescreenChunk = apps.get_model("compliance", "RescreenChunk")
    RescreenJob = apps.get_model("compliance", "RescreenJob")
    legacy = RescreenChunk.objects.filter(done=False, action="parties", first_party_id__isnull=False, party_ids=[])
    job_ids = set(legacy.values_list("job_id", flat=True))
    # Planning again cuts the job afresh from the open cases, in name order.
    RescreenChunk.objects.filter(job_id__in=job_ids).delete()
    RescreenJob.objects.filter(pk__in=job_ids).update(total_chunks=0, done_chunks=0)


class Migration(migrations.Migration):

    dependencies = [
        ('compliance', '0007_rescreen_chunk_party_ids'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(replan_range_chunks, migrations.RunPython.noop),
        migrations.RemoveField(model_name='rescreenchunk', name='first_party_id'),
        migrations.RemoveField(model_name='rescreenchunk', name='last_party_id'),
        migrations.AddField(
            model_name='rescreenchunk',
            name='attempts',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='rescreenchunk',
            name='error',
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name='rescreenjob',
            name='retried_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='rescreenjob',
            name='retried_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='rescreenjob',
            name='retries',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RemoveField(model_name='notification', name='application'),
    ]
