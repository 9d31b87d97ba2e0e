"""Changes to endpoints made in this process, told to the caches built on the table.

The ``Endpoint`` table (:mod:`.models`) sends these signals; the endpoint index
(:mod:`.index`), which reads the table, receives them. So the table never imports
its cache, and the package has no import circle.
"""

from __future__ import annotations

from django.dispatch import Signal

__all__ = ["endpoints_changed", "endpoints_enabled"]

#: Endpoints changed on the database ``using``: sent at the change, in its transaction
#: (this thread sees its own change at once), and again once it commits.
endpoints_changed = Signal()

#: The endpoints ``endpoint_ids`` were enabled again: sent once that is committed.
endpoints_enabled = Signal()
