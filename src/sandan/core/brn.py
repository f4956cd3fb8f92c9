"""Korean business registration numbers (사업자등록번호): ``XXX-XX-XXXXX`` with a check digit.

The check digit rule (국세청): multiply the first nine digits by 1,3,7,1,3,7,1,3,5, add the
tens digit of (9th digit × 5), take the sum modulo 10; the check digit is (10 − that) mod 10.
"""

from __future__ import annotations

import re

from sandan.core.errors import InvalidInput

_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)


def check_digit(first_nine: str) -> int:
    """The tenth digit for the nine leading digits of a registration number."""
    digits = [int(c) for c in first_nine]
    total = sum(d * w for d, w in zip(digits, _WEIGHTS, strict=True))
    total += (digits[8] * 5) // 10
    return (10 - total % 10) % 10


def normalise_brn(text: str) -> str:
    """Return the number as ``XXX-XX-XXXXX`` or raise ``InvalidInput`` saying what is wrong."""
    digits = re.sub(r"[\s-]", "", text or "")
    if not re.fullmatch(r"\d{10}", digits):
        raise InvalidInput("a business registration number has 10 digits (XXX-XX-XXXXX)", field="brn")
    if check_digit(digits[:9]) != int(digits[9]):
        raise InvalidInput(f"business registration number {text} fails its check digit", field="brn")
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"


def make_brn(first_nine: str) -> str:
    """Complete nine digits into a valid formatted number (used by the demo's synthetic tenants)."""
    return normalise_brn(first_nine + str(check_digit(first_nine)))
