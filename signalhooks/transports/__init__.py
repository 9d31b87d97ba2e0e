"""Stage 4, deliver: network clients behind small interfaces.

``http`` (aiohttp by default, httpx on request), ``sns`` (aiobotocore), ``pool`` (the
set of clients one delivery loop owns), ``guard`` (the SSRF guard) and ``query``
(AWS query bodies encoded once). Each client is created on the delivery loop, used
only there, and closed there.
"""
