"""Network clients. Each is created on the delivery loop, used only there, closed there."""

from .http import AiohttpTransport, HTTPResponse, HTTPTransport, HttpxTransport, TransportError
from .sns import SNSClients

__all__ = [
    "AiohttpTransport",
    "HTTPResponse",
    "HTTPTransport",
    "HttpxTransport",
    "SNSClients",
    "TransportError",
]
