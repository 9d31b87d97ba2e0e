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


# --- payload control and conditional delivery (issue 5) ---


class CategoryManager(models.Manager["Category"]):
    def get_by_natural_key(self, slug: str) -> "Category":
        return self.get(slug=slug)


class Category(models.Model):
    """A model with natural keys (``use_natural_keys=True``)."""

    slug = models.SlugField(unique=True)
    objects = CategoryManager()

    class Meta:
        app_label = "testapp"

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class Ticket(models.Model):
    """Fields to watch with ``when_changed=`` and to pick with ``fields=`` / ``exclude=``."""

    title = models.CharField(max_length=100)
    status = models.CharField(max_length=20, default="open")
    priority = models.IntegerField(default=0)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        app_label = "testapp"


class Tags(set[str]):
    """A Python value Django's JSON serializer cannot encode."""


class TagsField(models.TextField):  # type: ignore[type-arg]
    """Stores a set of tags as comma-separated text.

    Its ``value_to_string`` returns the set itself, a real-world mistake that makes
    Django's JSON serializer fail (``Object of type Tags is not JSON serializable``).
    """

    def from_db_value(self, value: str | None, expression: object, connection: object) -> Tags:
        return Tags(filter(None, (value or "").split(",")))

    def to_python(self, value: object) -> Tags:
        if isinstance(value, set):
            return Tags(value)
        return Tags(filter(None, str(value or "").split(",")))

    def get_prep_value(self, value: object) -> str:
        return ",".join(sorted(value)) if isinstance(value, set) else str(value or "")

    def value_to_string(self, obj: models.Model) -> object:  # type: ignore[override]
        return self.value_from_object(obj)


class Gadget(models.Model):
    name = models.CharField(max_length=100)
    tags = TagsField(default="", blank=True)

    class Meta:
        app_label = "testapp"
