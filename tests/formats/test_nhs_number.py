"""NHS number check digits and synthetic numbers from the 999 test range."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from twin_env.formats.nhs_number import (
    format_nhs_number,
    is_synthetic_nhs_number,
    is_valid_nhs_number,
    nhs_number_check_digit,
    synthetic_nhs_numbers,
)

nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)


def test_worked_example() -> None:
    # 9*10 + 9*9 + 9*8 + 1*2 = 245; 245 mod 11 = 3; 11 - 3 = 8
    assert nhs_number_check_digit("999000001") == 8
    assert is_valid_nhs_number("9990000018")
    assert is_synthetic_nhs_number("9990000018")
    assert format_nhs_number("9990000018") == "999 000 0018"


def test_check_of_ten_means_no_valid_number() -> None:
    first9 = next(f"999{i:06d}" for i in range(1000) if nhs_number_check_digit(f"999{i:06d}") is None)
    assert not any(is_valid_nhs_number(first9 + d) for d in "0123456789")


@given(nine_digits)
def test_exactly_one_last_digit_is_valid_unless_check_is_ten(first9: str) -> None:
    check = nhs_number_check_digit(first9)
    valid = [d for d in "0123456789" if is_valid_nhs_number(first9 + d)]
    assert valid == ([] if check is None else [str(check)])


@given(nine_digits)
def test_synthetic_means_999_prefix_and_valid(first9: str) -> None:
    check = nhs_number_check_digit(first9)
    if check is not None:
        assert is_synthetic_nhs_number(first9 + str(check)) == first9.startswith("999")


@pytest.mark.parametrize("bad", ["", "999000001", "99900000180", "999 000 0018", "999000001X", 9990000018, None])
def test_malformed_numbers_are_invalid(bad: object) -> None:
    assert not is_valid_nhs_number(bad)  # type: ignore[arg-type]


def test_check_digit_rejects_malformed_input() -> None:
    with pytest.raises(ValueError, match="nine digits"):
        nhs_number_check_digit("12345678")


@given(st.integers(0, 2**32 - 1), st.integers(0, 300))
def test_synthetic_numbers_are_unique_valid_and_deterministic(seed: int, n: int) -> None:
    numbers = synthetic_nhs_numbers(n, np.random.default_rng(seed))
    assert len(numbers) == n == len(set(numbers))
    assert all(is_synthetic_nhs_number(x) for x in numbers)
    assert numbers == synthetic_nhs_numbers(n, np.random.default_rng(seed))


def test_synthetic_numbers_reject_bad_counts() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        synthetic_nhs_numbers(-1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="more than"):
        synthetic_nhs_numbers(10**6, np.random.default_rng(0))
