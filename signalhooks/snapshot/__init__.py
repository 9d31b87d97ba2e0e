"""Stage 2, event snapshot: what happened, frozen in the caller's thread at signal time.

``events`` (the :class:`~signalhooks.Event`), ``dispatch`` (one event per signal
dispatch, shared by its hooks), ``serialization`` (instances and arguments to JSON as
Django writes it), ``payload`` (a hook's ``fields=``/``exclude=``/``serializer=``) and
``cloudevents`` (the event as a CloudEvents envelope).
"""
