"""Django settings for building the documentation: autodoc imports signalhooks.

Nothing here is used at run time; the build only needs the app registry ready.
"""

SECRET_KEY = "signalhooks-docs"
# The portal (signalhooks.portal.urls) needs auth, as docs/portal.md says.
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "signalhooks"]
DATABASES: dict[str, dict[str, str]] = {}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
