"""Stage 4, deliver (in process): the delivery loop thread and what runs on it.

``bridge`` is the one place where the caller's threads meet the loop; ``lanes`` run
deliveries per target with caps, batching, retries and rate limits (``bucket``);
``retry`` says when the next attempt happens (in process and durable); ``waiters``
carries results back to an awaiting ``async_receiver``.
"""
