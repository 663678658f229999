# Login cards and the classes' sign-in tokens. The token is added empty, then each class gets
# its own (a default would give every existing class the same one); 0009 makes it unique.

import secrets

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def give_each_class_a_token(apps, schema_editor):
    Classroom = apps.get_model("classroom", "Classroom")
    for classroom in Classroom.objects.filter(sign_in_token__isnull=True).only("pk"):
        classroom.sign_in_token = secrets.token_urlsafe(16)
        classroom.save(update_fields=["sign_in_token"])


class Migration(migrations.Migration):

    dependencies = [
        ('classroom', '0007_teacher_invitation'),
    ]

    operations = [
        migrations.AddField(
            model_name='classroom',
            name='sign_in_token',
            field=models.CharField(max_length=32, null=True),
        ),
        migrations.RunPython(give_each_class_a_token, migrations.RunPython.noop),
        migrations.CreateModel(
            name='LoginCard',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('pictures', 'Picture password'), ('words', 'Word pair')], default='pictures', max_length=16)),
                ('secret_hash', models.CharField(max_length=128)),
                ('made_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('membership', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='login_card', to='classroom.membership')),
            ],
        ),
    ]
