"""A stand-in signalhooks migration that no test database has applied (for check W002)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies: list[tuple[str, str]] = []
    operations: list[migrations.operations.base.Operation] = []
