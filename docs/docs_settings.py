"""Django settings for building the documentation: autodoc imports signalhooks.

Nothing here is used at run time; the build only needs the app registry ready.
"""

SECRET_KEY = "signalhooks-docs"
INSTALLED_APPS = ["django.contrib.contenttypes", "signalhooks"]
DATABASES: dict[str, dict[str, str]] = {}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
