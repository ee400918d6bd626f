"""The platform's keyed pseudonym for the DuckDB scripts, standard library only: HMAC-SHA256
(RFC 2104) of `<domain>\\x1f<value>`, 32 hex characters, computed in SQL from two sha256 calls
with the padded keys bound as `$ipad` and `$opad` (`pads`)."""

from __future__ import annotations

import hashlib


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """HMAC-SHA256's inner and outer padded keys: HMAC(k, m) = sha256(opad || sha256(ipad || m))."""
    block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


def pads(key: bytes) -> dict[str, bytes]:
    """The padded keys as the named parameters `hmac_sql` binds."""
    return dict(zip(("ipad", "opad"), hmac_pads(key), strict=True))


def hmac_sql(domain: str, column: str) -> str:
    """The pseudonym of `column`'s value in SQL."""
    message = f"encode('{domain}' || chr(31) || {column})"
    return f"left(sha256($opad || unhex(sha256($ipad || {message}))), 32)"
