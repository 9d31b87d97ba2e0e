"""Targets: the HTTP and SNS endpoints a hook delivers to."""

from .http import HTTPRequest, HTTPTarget
from .sns import SNS_MAX_BYTES, SNSMessage, SNSTarget

__all__ = ["SNS_MAX_BYTES", "HTTPRequest", "HTTPTarget", "SNSMessage", "SNSTarget"]
