"""Pseudonyms for patient and staff identifiers, and for peers in published reports.

A pseudonym is a keyed HMAC-SHA256 of the identifier, so it is stable (the same patient links
across months and providers) yet cannot be reversed or recomputed without the key, unlike a plain
hash of a 10-digit number, which anyone can brute-force. Each kind of identifier has its own
domain, so an NHS number and a local id that happen to share digits never share a pseudonym.
"""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd

DOMAINS = frozenset({"nhs_number", "patient", "staff", "referral", "peer"})
PSEUDONYM_LENGTH = 32  # hex characters: 128 bits, far beyond any collision among NHS numbers


def pseudonymise(values: pd.Series, key: bytes, domain: str) -> pd.Series:
    """Each value's pseudonym in `domain`; missing values stay missing.

    Computed once per distinct value (patients recur many times in a month's contacts).
    """
    if domain not in DOMAINS:
        raise ValueError(f"unknown pseudonym domain {domain!r}; expected one of {sorted(DOMAINS)}")
    keyed = hmac.new(key, f"{domain}\x1f".encode(), hashlib.sha256)

    def pseudonym(value: str) -> str:
        digest = keyed.copy()
        digest.update(value.encode())
        return digest.hexdigest()[:PSEUDONYM_LENGTH]

    present = values.dropna().astype(str)
    mapping = {value: pseudonym(value) for value in present.unique()}
    return present.map(mapping).reindex(values.index).astype("str")


def anonymised_codes(organisation_codes: pd.Series, key: bytes, publication: str) -> pd.Series:
    """Peers' anonymous codes for one publication (`collection/period/vN`): meaningless without
    the key, and different in every publication, so that a peer matched to a named trust in one
    window (from a public file) is not thereby unmasked in every other."""
    in_publication = f"{publication}\x1f" + organisation_codes.astype(str)
    return "P" + pseudonymise(in_publication, key, "peer").str[:6].str.upper()
