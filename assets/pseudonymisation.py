"""Pseudonyms for patient and staff identifiers, and the NHS number check digit.

A pseudonym is a keyed HMAC-SHA256 of the identifier, so it is stable (the same patient links
across months and providers) yet cannot be reversed or recomputed without the key, unlike a plain
hash of a 10-digit number, which anyone can brute-force. Each kind of identifier has its own
domain, so an NHS number and a local id that happen to share digits never share a pseudonym.
"""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pandas as pd

DOMAINS = frozenset({"nhs_number", "patient", "staff", "peer"})
PSEUDONYM_LENGTH = 32  # hex characters: 128 bits, far beyond any collision among NHS numbers
NHS_NUMBER_WEIGHTS = np.arange(10, 1, -1)  # weights of the first nine digits: 10 down to 2


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


def nhs_check_digits(first_nine: np.ndarray) -> np.ndarray:
    """Modulus 11 check digits of rows of nine digits; 10 means the stem has no valid number."""
    return (11 - (first_nine @ NHS_NUMBER_WEIGHTS) % 11) % 11


def is_valid_nhs_number(s: str) -> bool:
    """Ten digits whose last is the modulus 11 check digit of the first nine."""
    if len(s) != 10 or not (s.isascii() and s.isdigit()):
        return False
    first_nine = np.array([int(c) for c in s[:9]])
    return int(nhs_check_digits(first_nine)) == int(s[9])
