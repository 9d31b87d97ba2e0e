"""Durable hooks of the outbox benchmark (``phase_outbox``)."""
