"""Amazon SNS message signatures, checked as AWS documents them.

The signing certificate must come from https://sns.<region>.amazonaws.com/…pem (anything
else is refused before a byte is fetched); the canonical string is built from the fields
AWS names for each message type; SignatureVersion 1 is SHA1withRSA, 2 is SHA256withRSA.
`SES_SNS_CERT_FILE` supplies the certificate from disk instead of fetching it (tests,
machines without outbound access); the URL is still checked.
"""

from __future__ import annotations

import base64
import binascii
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

SNS_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token",
                                 "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token",
                                "TopicArn", "Type"),
}


class SignatureError(Exception):
    """The message is not provably from SNS."""


def is_sns_url(url: str, *, pem: bool = False) -> bool:
    parts = urlsplit(url)
    return (parts.scheme == "https" and parts.port in (None, 443) and not parts.username
            and SNS_HOST.match(parts.hostname or "") is not None
            and (not pem or parts.path.endswith(".pem")))


def canonical(message: dict[str, object]) -> bytes:
    kind = str(message.get("Type", ""))
    if kind not in FIELDS:
        raise SignatureError(f"unknown SNS message type {kind!r}")
    lines = []
    for name in FIELDS[kind]:
        if name == "Subject" and message.get(name) is None:
            continue
        value = message.get(name)
        if not isinstance(value, str):
            raise SignatureError(f"SNS message lacks {name}")
        lines.append(f"{name}\n{value}\n")
    return "".join(lines).encode()


@lru_cache(maxsize=8)
def _download(url: str) -> bytes:
    response = httpx.get(url, timeout=10, follow_redirects=False)
    response.raise_for_status()
    return response.content


def verify(message: dict[str, object], cert_file: str | None = None) -> None:
    """Raise SignatureError unless the message carries a valid SNS signature."""
    url = str(message.get("SigningCertURL") or message.get("SigningCertUrl") or "")
    if not is_sns_url(url, pem=True):
        raise SignatureError("the signing certificate is not on an sns.*.amazonaws.com host")
    version = str(message.get("SignatureVersion", ""))
    algorithm = {"1": hashes.SHA1(), "2": hashes.SHA256()}.get(version)  # noqa: S303 - AWS's v1
    if algorithm is None:
        raise SignatureError(f"unsupported SignatureVersion {version!r}")
    try:
        signature = base64.b64decode(str(message.get("Signature", "")), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("the signature is not base64") from exc
    try:
        pem = Path(cert_file).read_bytes() if cert_file else _download(url)
        key = x509.load_pem_x509_certificate(pem).public_key()
    except (OSError, ValueError, httpx.HTTPError) as exc:
        raise SignatureError(f"cannot load the signing certificate: {exc}") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureError("the signing certificate has no RSA key")
    try:
        key.verify(signature, canonical(message), padding.PKCS1v15(), algorithm)
    except InvalidSignature as exc:
        raise SignatureError("the SNS signature does not match") from exc


def confirm_subscription(url: str) -> None:
    """Visit SubscribeURL (only on an SNS host) so the topic starts sending to us."""
    if not is_sns_url(url):
        raise SignatureError("SubscribeURL is not on an sns.*.amazonaws.com host")
    response = httpx.get(url, timeout=10, follow_redirects=False)
    response.raise_for_status()
