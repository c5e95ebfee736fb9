# Hits now belong to licensing (licensing 0002) and the outbox to lib (lib 0002): compliance
# forgets them. State only: the tables were taken over, not dropped.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('compliance', '0008_rescreen_failures_and_outbox_column'),
        ('licensing', '0002_hits_from_compliance'),
        ('lib', '0002_outbox_from_compliance'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='HistoricalHit'),
                migrations.DeleteModel(name='Hit'),
                migrations.DeleteModel(name='Notification'),
            ],
        ),
    ]
