"""Time zones (issue #11): the account's IANA zone (its analytics days, its members' pages) and each
user's optional override. Existing accounts keep UTC, so their analytics days do not move."""

from django.db import migrations, models

import accounts.time_zones


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_api_tokens"),
    ]

    operations = [
        migrations.AddField(
            model_name="account",
            name="time_zone",
            field=models.CharField(
                default="UTC", help_text="IANA name, e.g. Australia/Sydney: the account's days and times.",
                max_length=64, validators=[accounts.time_zones.validate_time_zone]),
        ),
        migrations.AddField(
            model_name="user",
            name="time_zone",
            field=models.CharField(
                blank=True, help_text="IANA name; blank: use the account's time zone.", max_length=64,
                validators=[accounts.time_zones.validate_time_zone]),
        ),
    ]
