"""Issue 5, points 3-4: redirects, TLS verification, response cap, SSRF guard."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from signalhooks import conf
from signalhooks.hooks import HTTPSignalHook
from signalhooks.transports.guard import blocked_reason
from tests.helpers import unique_path


def deliver(hook: HTTPSignalHook):
    """One custom-signal delivery through the real engine; its final DeliveryResult."""
    return asyncio.run(hook.async_receiver(sender=None, probe=True))


def settings_with(**overrides):
    return override_settings(SIGNALHOOKS={**settings.SIGNALHOOKS, **overrides})


# --- redirects and the response cap ------------------------------------------------


def test_redirect_is_a_failed_delivery_and_is_not_followed(http):
    path, elsewhere = unique_path("redirect"), unique_path("elsewhere")
    http.behave(path, statuses=[(302, {"Location": http.url(elsewhere)})])
    result = deliver(HTTPSignalHook(http.url(path)))
    assert not result.ok
    assert result.status == 302
    assert result.attempts == 1  # a 3xx is final, not retried
    assert "redirects are not followed" in (result.error or "")
    assert http.requests(elsewhere) == []


def test_response_body_is_read_only_up_to_the_limit(http):
    path = unique_path("big-answer")
    http.behave(path, body=b"x" * 500_000)
    with settings_with(RESPONSE_BODY_LIMIT=100):
        result = deliver(HTTPSignalHook(http.url(path)))
    assert result.ok, result
    assert result.response == "x" * 100


# --- TLS: verification on by default, CA bundle and client certificate via ssl_context --


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _issue(subject: str, issuer=None, *, ca=False, usage=None):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(subject) if issuer is None else issuer[0].subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        # Python 3.13 verifies with VERIFY_X509_STRICT, which wants both key identifiers.
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                (key if issuer is None else issuer[1]).public_key()
            ),
            critical=False,
        )
    )
    if ca:
        signing_only = dict.fromkeys(
            (
                "digital_signature",
                "content_commitment",
                "key_encipherment",
                "data_encipherment",
                "key_agreement",
                "encipher_only",
                "decipher_only",
            ),
            False,
        )
        usage_ext = x509.KeyUsage(key_cert_sign=True, crl_sign=True, **signing_only)
        builder = builder.add_extension(usage_ext, critical=True)
    if usage is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        if usage == ExtendedKeyUsageOID.SERVER_AUTH:
            names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    cert = builder.sign(key if issuer is None else issuer[1], hashes.SHA256())
    return cert, key


def _write(directory: Path, stem: str, cert, key) -> tuple[str, str]:
    cert_path, key_path = directory / f"{stem}.pem", directory / f"{stem}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


class TLSServer:
    """An HTTPS endpoint with its own CA; ``require_client_cert`` turns on mutual TLS."""

    def __init__(self, directory: Path, require_client_cert: bool) -> None:
        ca = _issue("signalhooks test CA", ca=True)
        self.ca_file, _ = _write(directory, "ca", *ca)
        server_cert = _issue("localhost", ca, usage=ExtendedKeyUsageOID.SERVER_AUTH)
        client_cert = _issue("client", ca, usage=ExtendedKeyUsageOID.CLIENT_AUTH)
        self.client_cert, self.client_key = _write(directory, "client", *client_cert)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*_write(directory, "server", *server_cert))
        if require_client_cert:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(self.ca_file)
        self.bodies: list[bytes] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                received.append(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.url = f"https://localhost:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def client_context(self, *, with_cert: bool) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.ca_file)
        if with_cert:
            context.load_cert_chain(self.client_cert, self.client_key)
        return context


@pytest.fixture
def tls_server(tmp_path) -> Iterator[TLSServer]:
    server = TLSServer(tmp_path, require_client_cert=False)
    yield server
    server.httpd.shutdown()


@pytest.fixture
def mtls_server(tmp_path) -> Iterator[TLSServer]:
    server = TLSServer(tmp_path, require_client_cert=True)
    yield server
    server.httpd.shutdown()


def test_tls_certificates_are_verified_by_default(tls_server):
    result = deliver(HTTPSignalHook(tls_server.url, max_attempts=1))
    assert not result.ok
    assert "certificate" in (result.error or "").lower(), result.error
    assert tls_server.bodies == []


def test_ssl_context_trusts_a_private_ca(tls_server):
    context = tls_server.client_context(with_cert=False)
    result = deliver(HTTPSignalHook(tls_server.url, ssl_context=context))
    assert result.ok, result
    assert len(tls_server.bodies) == 1


def test_ssl_context_presents_a_client_certificate(mtls_server):
    without = mtls_server.client_context(with_cert=False)
    refused = deliver(HTTPSignalHook(mtls_server.url, ssl_context=without, max_attempts=1))
    assert not refused.ok
    context = mtls_server.client_context(with_cert=True)
    result = deliver(HTTPSignalHook(mtls_server.url, ssl_context=context))
    assert result.ok, result
    assert len(mtls_server.bodies) == 1


def test_ssl_context_is_checked_at_construction():
    with pytest.raises(ImproperlyConfigured, match=r"must be an ssl\.SSLContext"):
        HTTPSignalHook("https://example.com/", ssl_context="/etc/ssl/ca.pem")  # type: ignore[arg-type]
    with pytest.raises(ImproperlyConfigured, match="verify=/cert="):
        HTTPSignalHook(
            "https://example.com/",
            ssl_context=ssl.create_default_context(),
            http_client=httpx.AsyncClient,
        )


# --- SSRF guard -------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["url", "localhost_url"])
def test_guard_refuses_loopback_by_ip_and_by_name(http, which):
    path = unique_path(f"ssrf-{which}")
    url = getattr(http, which)(path)
    with settings_with(BLOCK_PRIVATE_ADDRESSES=True):
        result = deliver(HTTPSignalHook(url, max_attempts=5))
    assert not result.ok
    assert result.attempts == 1  # refused addresses are not retried
    assert "loopback address blocked by SIGNALHOOKS['BLOCK_PRIVATE_ADDRESSES']" in (
        result.error or ""
    )
    assert http.requests(path) == []


@pytest.mark.parametrize("which", ["url", "localhost_url"])
def test_guard_off_delivers_to_the_same_targets(http, which):
    path = unique_path(f"no-ssrf-{which}")
    with settings_with(BLOCK_PRIVATE_ADDRESSES=False):
        result = deliver(HTTPSignalHook(getattr(http, which)(path)))
    assert result.ok, result
    assert len(http.requests(path)) == 1


def test_guard_fails_closed_for_hooks_with_their_own_client(http):
    path = unique_path("ssrf-own-client")
    hook = HTTPSignalHook(http.url(path), http_client=httpx.AsyncClient, max_attempts=5)
    with settings_with(BLOCK_PRIVATE_ADDRESSES=True):
        result = deliver(hook)
    assert not result.ok and result.attempts == 1
    assert "cannot be guarded" in (result.error or "")
    assert http.requests(path) == []


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("169.254.169.254", "link-local/metadata"),
        ("fe80::1", "link-local/metadata"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.0.10", "private"),
        ("fd00:ec2::254", "private"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "non-global"),
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
    ],
)
def test_blocked_address_classes(address, reason):
    assert blocked_reason(address) == reason


def test_guard_requires_the_aiohttp_transport():
    problems = conf.validate({"BLOCK_PRIVATE_ADDRESSES": True, "HTTP_TRANSPORT": "httpx"})
    assert any("needs HTTP_TRANSPORT='aiohttp'" in p for p in problems)
    assert conf.validate({"BLOCK_PRIVATE_ADDRESSES": True}) == []
