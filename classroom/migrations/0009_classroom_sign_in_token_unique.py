# Apart from 0008, as Django advises for a unique field on existing rows: on PostgreSQL an
# ALTER TABLE in the transaction that updated its rows can fail (pending trigger events).

import classroom.models
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('classroom', '0008_login_cards'),
    ]

    operations = [
        migrations.AlterField(
            model_name='classroom',
            name='sign_in_token',
            field=models.CharField(default=classroom.models.new_sign_in_token, max_length=32, unique=True),
        ),
    ]
