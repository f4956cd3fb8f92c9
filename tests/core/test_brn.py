"""사업자등록번호: the check digit rule of the National Tax Service."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandan.core.brn import check_digit, make_brn, normalise_brn
from sandan.core.errors import InvalidInput


def test_worked_example():
    # 124-81-00998: 1*1+2*3+4*7+8*1+1*3+0*7+0*1+9*3+9*5 = 1+6+28+8+3+0+0+27+45 = 118,
    # plus (9*5)//10 = 4 → 122; (10 - 122 % 10) % 10 = 8 ✓
    assert check_digit("124810099") == 8
    assert normalise_brn("1248100998") == "124-81-00998"
    assert normalise_brn(" 220-81-62517 ") == "220-81-62517"


@pytest.mark.parametrize("bad", ["124-81-00997", "12481009", "abc-de-fghij", "", "124-81-009980"])
def test_invalid_numbers_say_why(bad):
    with pytest.raises(InvalidInput) as err:
        normalise_brn(bad)
    assert err.value.field == "brn"
    assert "check digit" in err.value.detail or "10 digits" in err.value.detail


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_made_numbers_validate_and_one_wrong_digit_fails(nine):
    good = make_brn(nine)
    assert normalise_brn(good) == good
    wrong_last = str((int(good[-1]) + 1) % 10)
    with pytest.raises(InvalidInput):
        normalise_brn(good[:-1] + wrong_last)
