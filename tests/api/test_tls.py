"""`selfauth serve --tls-cert --tls-key`: HTTPS without a reverse proxy, and clear refusals."""

from __future__ import annotations

import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.test_setup import assert_refused, run_cli, user_env
from tests.support.certificates import write_self_signed
from tests.support.server import free_port


def trusting(cert: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def https_server(
    tmp_path_factory: pytest.TempPathFactory, certificate: tuple[Path, Path]
) -> Iterator[str]:
    """A server started as a user would, with the certificate and no SELFAUTH_ISSUER."""
    directory = tmp_path_factory.mktemp("tls-server")
    cert, key = certificate
    port = free_port()
    log_path = directory / "server.log"
    tls_options = ["--tls-cert", str(cert), "--tls-key", str(key)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "selfauth", "serve", "--port", str(port), *tls_options],
            env=user_env(
                SELFAUTH_DATABASE_URL=f"sqlite:///{directory / 'selfauth.db'}",
                SELFAUTH_BCRYPT_COST="4",
            ),
            cwd=directory,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"selfauth exited early:\n{log_path.read_text()}")
            try:
                httpx.get(f"{base_url}/.well-known/jwks.json", verify=trusting(cert), timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_discovery_answers_over_https_with_an_https_issuer(
    https_server: str, certificate: tuple[Path, Path]
) -> None:
    response = httpx.get(
        f"{https_server}/.well-known/openid-configuration", verify=trusting(certificate[0])
    )
    assert response.status_code == 200
    document = response.json()
    assert document["issuer"] == f"{https_server}/"
    assert document["jwks_uri"] == f"{https_server}/.well-known/jwks.json"


def test_plain_http_is_not_answered(https_server: str) -> None:
    with pytest.raises(httpx.TransportError):
        httpx.get(https_server.replace("https://", "http://") + "/.well-known/jwks.json", timeout=5)


def test_a_certificate_without_a_key_is_refused(
    tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    result = run_cli(
        ["serve", "--tls-cert", str(certificate[0])],
        tmp_path,
        SELFAUTH_DATABASE_URL=f"sqlite:///{tmp_path / 'selfauth.db'}",
    )
    assert_refused(result, "SELFAUTH_TLS_CERT_FILE", "SELFAUTH_TLS_KEY_FILE")
    assert not (tmp_path / "selfauth.db").exists()


def test_an_unreadable_key_file_is_refused_naming_it(
    tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    missing = tmp_path / "missing.pem"
    result = run_cli(
        ["serve", "--tls-cert", str(certificate[0]), "--tls-key", str(missing)],
        tmp_path,
        SELFAUTH_DATABASE_URL=f"sqlite:///{tmp_path / 'selfauth.db'}",
    )
    assert_refused(result, "SELFAUTH_TLS_KEY_FILE", str(missing))


def test_a_key_that_is_not_the_certificates_is_refused(
    tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    _, other_key = write_self_signed(tmp_path)
    result = run_cli(
        ["serve", "--tls-cert", str(certificate[0]), "--tls-key", str(other_key)],
        tmp_path,
        SELFAUTH_DATABASE_URL=f"sqlite:///{tmp_path / 'selfauth.db'}",
    )
    assert_refused(result, "SELFAUTH_TLS_CERT_FILE", "SELFAUTH_TLS_KEY_FILE")


def test_an_http_issuer_with_tls_is_refused(tmp_path: Path, certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    result = run_cli(
        ["serve", "--tls-cert", str(cert), "--tls-key", str(key)],
        tmp_path,
        SELFAUTH_DATABASE_URL=f"sqlite:///{tmp_path / 'selfauth.db'}",
        SELFAUTH_ISSUER="http://127.0.0.1:8080/",
    )
    assert_refused(result, "SELFAUTH_ISSUER", "https://")
