"""Eligibility per programme of the 2026 call: an accepted and a refused case for each, with the
refusal's words."""

from __future__ import annotations

import pytest

from sandan.programs.catalogue import programmes_2026
from sandan.programs.eligibility import Applicant, carbon_sector, check

RULES = {p.code: p.eligibility_rule for p in programmes_2026()}

GWANGYANG = Applicant("gwangyang", 2023, ksic_code="24111")      # steel, designated 2023
ASAN = Applicant("asan_bugok", 2025, ksic_code="29172")          # designated 2025, machinery
YEOSU = Applicant("yeosu", 2020, ksic_code="20111")
POHANG = Applicant("pohang", 2022, ksic_code="24121")
NOT_DESIGNATED = Applicant("ochang", None, ksic_code="30121")   # not one of the 24

CASES = {
    # programme: (accepted, refused, code of the refusal)
    "ax_demo_complex": (GWANGYANG, NOT_DESIGNATED, "not_designated"),
    "private_5g": (ASAN, NOT_DESIGNATED, "not_designated"),
    "edge_aidc": (YEOSU, NOT_DESIGNATED, "not_designated"),
    "energy_self_sufficiency": (POHANG, NOT_DESIGNATED, "not_designated"),
    "smart_logistics": (ASAN, GWANGYANG, "reserved_to_designation_year"),
    "ax_industry_academia_park": (Applicant("masan_ftz", 2025), GWANGYANG, "reserved_to_designation_year"),
    "fems": (Applicant("chungju_1", 2025), YEOSU, "reserved_to_designation_year"),
    "resource_circulation": (YEOSU, GWANGYANG, "reserved_to_complexes"),
    "fems_plus": (GWANGYANG, ASAN, "sector_not_regulated"),
}


def test_every_programme_has_cases() -> None:
    assert set(CASES) == set(RULES)


@pytest.mark.parametrize("code", sorted(CASES))
def test_accepted_and_refused(code: str) -> None:
    accepted, refused, why = CASES[code]
    assert check(RULES[code], accepted, 2026) == []
    refusals = check(RULES[code], refused, 2026)
    assert [r.code for r in refusals] == [why]
    assert refusals[0].message  # explained in words


def test_refusals_say_why_in_words() -> None:
    (r,) = check(RULES["smart_logistics"], GWANGYANG, 2026)
    assert r.message == ("this programme is reserved to complexes designated in 2025; gwangyang was "
                         "designated in 2023")
    (r,) = check(RULES["resource_circulation"], GWANGYANG, 2026)
    assert r.message == "this programme is reserved to the complexes yeosu, pohang; gwangyang is not one of them"
    (r,) = check(RULES["fems_plus"], ASAN, 2026)
    assert "KSIC 29172 is not in the five carbon-regulated sectors" in r.message


def test_pohang_is_the_other_resource_circulation_complex() -> None:
    assert check(RULES["resource_circulation"], POHANG, 2026) == []


def test_a_complex_designated_after_the_call_year_is_refused() -> None:
    (r,) = check("designated", Applicant("asan_bugok", 2025), 2024)
    assert r.code == "designated_later"


def test_fems_plus_needs_a_company() -> None:
    refusals = check(RULES["fems_plus"], Applicant("gwangyang", 2023, is_company=False), 2026)
    assert [r.code for r in refusals] == ["company_only"]


def test_an_unknown_rule_refuses() -> None:
    assert [r.code for r in check("lottery", GWANGYANG, 2026)] == ["unknown_rule"]


@pytest.mark.parametrize(("ksic", "sector"), [
    ("30110", "automobiles"), ("30320", "automobiles"), ("28202", "batteries"), ("28511", "home_appliances"),
    ("24111", "steel_aluminium"), ("24212", "steel_aluminium"), ("24222", "steel_aluminium"),
    ("13101", "textiles"), ("14111", None), ("24211", None), ("29172", None), ("", None)])
def test_ksic_mapping(ksic: str, sector: str | None) -> None:
    # 14111 (apparel) is not textiles (C13); 24211 (copper) is a non-ferrous metal but not aluminium
    assert carbon_sector(ksic) == sector
