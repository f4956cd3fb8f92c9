"""Self-sufficiency and self-consumption per KST day and month, by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from sandan.grid.balance import balance_residual_kwh, rates


def test_rates_per_kst_day_and_month_by_hand() -> None:
    # four intervals: two on 31 May KST (the first at 23:30 KST = 14:30 UTC), two on 1 June KST
    idx = pd.DatetimeIndex(["2026-05-31T14:30Z", "2026-05-31T14:45Z", "2026-05-31T15:00Z", "2026-05-31T15:15Z"])
    frame = pd.DataFrame({"generation": [100.0, 0.0, 50.0, 50.0], "demand": [40.0, 60.0, 80.0, 20.0],
                          "charge": [30.0, 0.0, 0.0, 0.0], "discharge": [0.0, 27.0, 0.0, 0.0],
                          "export": [20.0, 0.0, 0.0, 20.0], "curtail": [10.0, 0.0, 0.0, 10.0],
                          "import": [0.0, 33.0, 30.0, 0.0]}, index=idx)
    assert balance_residual_kwh(frame).abs().max() == 0  # 100-10+0+0 = 40+30+20, 0-0+33+27 = 60, …
    by_day = rates(frame, "day")
    assert [d.strftime("%Y-%m-%d") for d in by_day.index] == ["2026-05-31", "2026-06-01"]
    # 31 May: generation 100, export 20, curtail 10 -> used 70; self-consumption 70/100 = 0.70;
    #         demand 100 -> self-sufficiency min(70, 100)/100 = 0.70
    # 1 June: generation 100, export 20, curtail 10 -> used 70 = 0.70; demand 100 -> 0.70
    assert by_day["self_consumption"].tolist() == pytest.approx([0.70, 0.70])
    assert by_day["self_sufficiency"].tolist() == pytest.approx([0.70, 0.70])
    by_month = rates(frame, "month")
    assert by_month["used"].tolist() == pytest.approx([70.0, 70.0])
    # a day without generation has no self-consumption rate (not 0, not 1)
    night = frame.assign(generation=0.0, curtail=0.0, export=0.0)
    assert rates(night, "year")["self_consumption"].isna().all()
    assert rates(night, "year")["self_sufficiency"].tolist() == [0.0]
