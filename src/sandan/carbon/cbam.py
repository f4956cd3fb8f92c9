"""CBAM specific embedded emissions of a good (pure), Commission Implementing Regulation (EU) 2023/1773,
Annex III (sections F.1 and G): per production process of an installation,

* ``SEE_dir = (AttrEm_dir + Σ_i M_i × SEE_dir,i) / AL``  [tCO2e/t]
* ``SEE_ind = (AttrEm_ind + Σ_i M_i × SEE_ind,i) / AL``  [tCO2e/t], with ``AttrEm_ind = E_el × EF_el``
* ``SEE = SEE_dir + SEE_ind``

where ``AttrEm_dir`` are the direct emissions attributed to the process [tCO2e], ``E_el`` its
electricity [MWh] and ``EF_el`` the electricity factor [tCO2/MWh], ``M_i`` the mass of precursor
``i`` consumed [t] with its own specific embedded emissions, and ``AL`` the activity level (the
good produced) [t].
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sandan.core.errors import InvalidInput


@dataclass(frozen=True)
class Precursor:
    """A precursor consumed by the process: ``mass_t`` [t], ``see_direct`` and ``see_indirect`` [tCO2e/t]."""

    name: str
    cn_code: str
    mass_t: float
    see_direct: float
    see_indirect: float


@dataclass(frozen=True)
class EmbeddedEmissions:
    cn_code: str
    activity_level_t: float
    direct_t: float
    indirect_t: float
    precursors_direct_t: float
    precursors_indirect_t: float
    see_direct: float
    see_indirect: float
    see_total: float

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def specific_embedded_emissions(cn_code: str, activity_level_t: float, direct_t: float, electricity_mwh: float,
                                electricity_factor_t_per_mwh: float,
                                precursors: list[Precursor] | tuple[Precursor, ...] = ()) -> EmbeddedEmissions:
    """The specific embedded emissions [tCO2e per t of good] of one production process."""
    if activity_level_t <= 0:
        raise InvalidInput("the activity level (tonnes of the good produced) must be positive",
                           field="activity_level_t")
    if min(direct_t, electricity_mwh, electricity_factor_t_per_mwh) < 0:
        raise InvalidInput("emissions, electricity and its factor may not be negative", field="direct_t")
    indirect = electricity_mwh * electricity_factor_t_per_mwh
    pre_dir = sum(p.mass_t * p.see_direct for p in precursors)
    pre_ind = sum(p.mass_t * p.see_indirect for p in precursors)
    see_dir = (direct_t + pre_dir) / activity_level_t
    see_ind = (indirect + pre_ind) / activity_level_t
    return EmbeddedEmissions(cn_code, activity_level_t, direct_t, indirect, pre_dir, pre_ind, see_dir, see_ind,
                             see_dir + see_ind)
