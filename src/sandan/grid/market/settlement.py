"""Settlement of a market day from metered 15-minute data: what each company's meter shows
against what it bought and sold (market trades and PPA deliveries), the deviation settled
afterwards, and the grid operator's hourly aggregate.

Per company and quarter hour (energy in kWh, positive = drawn from the grid at the meter)::

    scheduled = market bought − market sold + PPA received − PPA delivered
    deviation = metered − scheduled

A positive deviation (the company used more, or produced less, than it had bought) is bought from
KEPCO at the import tariff; a negative one (it used less, or produced more) is taken back at the
deviation price (the export price: never more than the tariff, so a deviation never pays).  The
trades and PPAs themselves are settled at their own prices (their ledgers); this module adds the
deviation charges.  Amounts are cumulatively rounded per company over the day: each company's day
total is its exact total rounded, every quarter hour within 1 won of its exact amount.

Pure: arrays in, arrays out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sandan.core.errors import InvalidInput

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class DaySettlement:
    """Arrays are (companies, intervals) unless named per hour."""

    deviation_kwh: FloatArray
    deviation_won: IntArray
    company_total_won: IntArray
    grid_import_kwh_per_hour: FloatArray
    grid_export_kwh_per_hour: FloatArray


def settle_day(metered_kwh: FloatArray, scheduled_kwh: FloatArray, tariff_krw_per_kwh: FloatArray,
               deviation_price_krw_per_kwh: FloatArray) -> DaySettlement:
    """Settle the deviations of a day.

    Parameters
    ----------
    metered_kwh : net energy at each company's meter per quarter hour, drawn > 0 [kWh] (companies × 96)
    scheduled_kwh : net bought in the market and through PPAs per quarter hour [kWh] (same shape)
    tariff_krw_per_kwh : KEPCO import tariff per quarter hour [KRW kWh-1] (96)
    deviation_price_krw_per_kwh : price of a negative deviation per quarter hour [KRW kWh-1] (96)

    Returns the deviations, their charges in won (> 0: the company pays), each company's day total
    and the grid operator's aggregate: the complex's net import and export per hour [kWh], summing
    each quarter hour's net over all companies.
    """
    metered = np.asarray(metered_kwh, dtype=np.float64)
    scheduled = np.asarray(scheduled_kwh, dtype=np.float64)
    tariff = np.asarray(tariff_krw_per_kwh, dtype=np.float64)
    dev_price = np.asarray(deviation_price_krw_per_kwh, dtype=np.float64)
    if metered.ndim != 2 or metered.shape != scheduled.shape or metered.shape[1] % 4:
        raise InvalidInput("metered and scheduled energy need the same (companies, quarter hours) shape, "
                           "whole hours")
    if tariff.shape != (metered.shape[1],) or dev_price.shape != tariff.shape:
        raise InvalidInput("one tariff and one deviation price per quarter hour")
    if not (np.isfinite(metered).all() and np.isfinite(scheduled).all()):
        raise InvalidInput("energy must be finite (fill or estimate missing readings first)")
    if (dev_price > tariff).any():
        raise InvalidInput("the deviation price may not exceed the tariff")
    deviation = metered - scheduled
    exact = np.where(deviation > 0, deviation * tariff, deviation * dev_price)
    prefix = np.concatenate((np.zeros((exact.shape[0], 1)), np.cumsum(exact, axis=1)), axis=1)
    rounded: IntArray = np.floor(prefix + 0.5).astype(np.int64)
    won: IntArray = rounded[:, 1:] - rounded[:, :-1]
    net = metered.sum(axis=0).reshape(-1, 4).sum(axis=1)
    return DaySettlement(deviation_kwh=deviation, deviation_won=won, company_total_won=won.sum(axis=1),
                         grid_import_kwh_per_hour=np.clip(net, 0, None),
                         grid_export_kwh_per_hour=np.clip(-net, 0, None))
