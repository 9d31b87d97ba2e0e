"""Stage 4, deliver: where deliveries go, and the contract between them and the engine.

``base`` (the :class:`~signalhooks.targets.base.Delivery` unit of work and the
``Target`` protocol), ``http`` (webhooks: requests, status classification),
``sns`` (topics: messages, batching, FIFO) and ``signing`` (Standard Webhooks).
"""
