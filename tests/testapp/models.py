import uuid

from django.db import models


class Pizza(models.Model):
    name = models.CharField(max_length=100)
    price = models.DecimalField(max_digits=6, decimal_places=2, default=0)

    class Meta:
        app_label = "testapp"


class Order(models.Model):
    """A model whose primary key is not called ``id``."""

    code = models.UUIDField(primary_key=True, default=uuid.uuid4)
    pizza = models.ForeignKey(Pizza, null=True, on_delete=models.SET_NULL)
    note = models.TextField(blank=True, default="")

    class Meta:
        app_label = "testapp"
