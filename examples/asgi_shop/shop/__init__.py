"""asgi_shop: an async Django shop whose orders are announced to webhooks by signalhooks."""
