from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("candidates", "0004_fill_ballot_ids"),
    ]

    operations = [
        migrations.AlterField(
            model_name="election",
            name="ballot_id",
            field=models.CharField(
                help_text="Democracy Club's identifier, such as local.birmingham.acocks-green.2026-05-07.",
                max_length=200,
                unique=True,
                verbose_name="ballot identifier",
            ),
        ),
    ]
