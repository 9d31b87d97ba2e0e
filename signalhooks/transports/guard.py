"""SSRF guard: refuse to connect to loopback, private, link-local or metadata addresses.

On when ``SIGNALHOOKS["BLOCK_PRIVATE_ADDRESSES"]`` is true (for webhook URLs that
come from data, e.g. entered by users), and for endpoints stored in the database
while ``ENDPOINT_BLOCK_PRIVATE_ADDRESSES`` is (the default). The check runs on the
*resolved* address, at connect time, inside aiohttp's connector: a host name that resolves to
``127.0.0.1`` or ``169.254.169.254`` (DNS rebinding) is refused just like the
literal address. Redirects are never followed, so a public URL cannot bounce a
request inward either.
"""

from __future__ import annotations

import ipaddress
import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from ..exceptions import BlockedAddressError

__all__ = ["BlockedAddressError", "GuardedResolver", "blocked_reason", "check_host"]


def blocked_reason(address: str) -> str | None:
    """Why ``address`` is refused (``"loopback"``, ``"private"``, ...), or ``None``."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return "unparseable"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:  # includes the cloud metadata address 169.254.169.254
        return "link-local/metadata"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_multicast:
        return "multicast"
    if ip.is_private:
        return "private"
    if not ip.is_global:  # shared (100.64/10), reserved, documentation ranges...
        return "non-global"
    return None


def _refuse(host: str, address: str, reason: str) -> BlockedAddressError:
    shown = host if host == address else f"{host} ({address})"
    return BlockedAddressError(
        f"refused to connect to {shown}: {reason} address blocked by "
        "SIGNALHOOKS['BLOCK_PRIVATE_ADDRESSES'] (ENDPOINT_BLOCK_PRIVATE_ADDRESSES for endpoints)"
    )


def check_host(host: str) -> None:
    """Raise :class:`BlockedAddressError` if ``host`` is a refused IP literal.

    aiohttp connects to IP literals without calling the resolver, so they are
    checked here; host names are checked by :class:`GuardedResolver`.
    """
    literal = host.strip("[]")
    try:
        ipaddress.ip_address(literal.split("%", 1)[0])
    except ValueError:
        return  # a name: resolved (and checked) at connect time
    reason = blocked_reason(literal)
    if reason is not None:
        raise _refuse(host, host, reason)


class GuardedResolver(AbstractResolver):
    """Wraps aiohttp's default resolver; refuses a host if *any* address is blocked.

    Refusing the whole answer (not just filtering it) keeps a name that mixes
    public and private records from being used as a foothold.
    """

    def __init__(self, inner: AbstractResolver | None = None) -> None:
        self._inner = inner if inner is not None else DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            reason = blocked_reason(result["host"])
            if reason is not None:
                raise _refuse(host, result["host"], reason)
        return results

    async def close(self) -> None:
        await self._inner.close()
