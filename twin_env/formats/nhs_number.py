"""NHS numbers: Modulus 11 check digit, validation, and synthetic numbers from the 999 test range.

An NHS number has 10 digits; the last is a check digit over the first nine (weights 10..2,
check = 11 - (sum mod 11), 11 -> 0, 10 -> no valid number). Synthetic records use only the range
reserved for testing, 999 000 0000 - 999 999 9999, so they can never be mistaken for a patient.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "SYNTHETIC_PREFIX",
    "format_nhs_number",
    "is_synthetic_nhs_number",
    "is_valid_nhs_number",
    "nhs_number_check_digit",
    "synthetic_nhs_numbers",
]

#: The first three digits of every NHS number reserved for test and synthetic records.
SYNTHETIC_PREFIX = "999"
_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)
_SERIALS = 10**6  # digits 4-9; digit 10 is the check digit
_MAX_SYNTHETIC = 900_000  # a lower bound on the valid numbers in the range (909,091 exist)


def nhs_number_check_digit(first9: str) -> int | None:
    """The Modulus 11 check digit for nine digits, or None if no valid number starts with them."""
    if len(first9) != 9 or not first9.isascii() or not first9.isdigit():
        raise ValueError(f"expected exactly nine digits, got {first9!r}")
    check = 11 - sum(w * int(d) for w, d in zip(_WEIGHTS, first9, strict=True)) % 11
    if check == 10:
        return None
    return 0 if check == 11 else check


def is_valid_nhs_number(s: str) -> bool:
    """True if ``s`` is ten digits (no spaces) with a correct check digit."""
    if not isinstance(s, str) or len(s) != 10 or not s.isascii() or not s.isdigit():
        return False
    return nhs_number_check_digit(s[:9]) == int(s[9])


def is_synthetic_nhs_number(s: str) -> bool:
    """True if ``s`` is a valid NHS number in the 999 000 0000 - 999 999 9999 test range."""
    return is_valid_nhs_number(s) and s.startswith(SYNTHETIC_PREFIX)


def format_nhs_number(s: str) -> str:
    """The NHS number as people write it: ``"9990000018" -> "999 000 0018"``."""
    if not is_valid_nhs_number(s):
        raise ValueError(f"not a valid NHS number: {s!r}")
    return f"{s[:3]} {s[3:6]} {s[6:]}"


def synthetic_nhs_numbers(n: int, rng: np.random.Generator) -> list[str]:
    """``n`` distinct valid NHS numbers from the test range, drawn deterministically from ``rng``.

    Candidates whose check digit would be 10 are skipped (about 1 in 11 serials).
    """
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    if n > _MAX_SYNTHETIC:
        raise ValueError(f"n={n} is more than the {_MAX_SYNTHETIC} synthetic NHS numbers this draws from")
    numbers: list[str] = []
    seen: set[int] = set()
    while len(numbers) < n:
        for serial in rng.integers(0, _SERIALS, size=n - len(numbers) + 16).tolist():
            if serial in seen:
                continue
            seen.add(serial)
            first9 = f"{SYNTHETIC_PREFIX}{serial:06d}"
            check = nhs_number_check_digit(first9)
            if check is not None and len(numbers) < n:
                numbers.append(f"{first9}{check}")
    return numbers
