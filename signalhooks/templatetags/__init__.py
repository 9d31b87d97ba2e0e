"""Template tags of signalhooks' templates (``{% load signalhooks_portal %}``)."""
