"""The benchmark model: a text field sized so the serialized instance is about 1 KB."""

from __future__ import annotations

from django.db import models


class Item(models.Model):
    name: models.CharField[str, str] = models.CharField(max_length=100)
    body: models.TextField[str, str] = models.TextField()

    class Meta:
        app_label = "bench"

    def __str__(self) -> str:
        return str(self.name)
