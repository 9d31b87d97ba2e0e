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


# --- the contract: a model per field type the catalog describes (issue 21) ---


class Specimen(models.Model):
    """One field of every common type: the catalog's schemas and the "standard" body."""

    STATUSES = [("draft", "Draft"), ("live", "Live")]
    LEVELS = [(1, "low"), (2, "high")]

    title = models.CharField(max_length=60, help_text="What the customer sees.")
    body = models.TextField(blank=True, default="")
    count = models.IntegerField(default=0)
    big = models.BigIntegerField(default=0)
    small = models.SmallIntegerField(default=0)
    positive = models.PositiveIntegerField(default=0)
    positive_small = models.PositiveSmallIntegerField(default=0)
    positive_big = models.PositiveBigIntegerField(default=0)
    price = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    ratio = models.FloatField(default=0.0)
    active = models.BooleanField(default=True)
    day = models.DateField(null=True, blank=True)
    moment = models.DateTimeField(null=True, blank=True)
    alarm = models.TimeField(null=True, blank=True)
    lasting = models.DurationField(null=True, blank=True)
    token = models.UUIDField(default=uuid.uuid4)
    extra = models.JSONField(default=dict, blank=True)
    email = models.EmailField(blank=True, default="")
    website = models.URLField(blank=True, default="")
    slug = models.SlugField(blank=True, default="")
    address = models.GenericIPAddressField(null=True, blank=True)
    blob = models.BinaryField(null=True, blank=True)
    pizza = models.ForeignKey(Pizza, null=True, blank=True, on_delete=models.SET_NULL)
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    category = models.OneToOneField(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=STATUSES, default="draft")
    level = models.IntegerField(choices=LEVELS, null=True, blank=True)
    note = models.CharField(max_length=20, null=True, blank=True)

    class Meta:
        app_label = "testapp"
        verbose_name = "lab specimen"


class Bundle(models.Model):
    """Many-to-many fields: sent as lists of the related primary keys."""

    name = models.CharField(max_length=60)
    pizzas = models.ManyToManyField(Pizza, blank=True, related_name="+")
    orders = models.ManyToManyField(Order, blank=True, related_name="+")

    class Meta:
        app_label = "testapp"
