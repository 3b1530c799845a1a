import datetime as dt

import pandas as pd

from finops_model.actuals.compare import compare, forecast
from finops_model.actuals.drawn import SOURCE, draw_usage
from finops_model.reports.actuals_forecast import business_case_html, portfolio_html, section_data


def test_section_from_drawn_actuals_with_a_planted_anomaly(test_assumptions):
    a = test_assumptions
    uc = a.use_cases["worked"]
    fc = forecast(a, "worked", pd.DataFrame({"use_case": []}), 500, 0, "2026-01-01")
    u = draw_usage(uc, fc, a.catalog, dt.date(2026, 1, 1), 3, plant=dt.date(2026, 3, 10), last_day=dt.date(2026, 3, 20))
    assert (u["source"] == SOURCE).all()
    av = compare(a, u, trials=500, go_live="2026-01-01")
    assert av.synthetic
    assert list(av.alerts["day"].unique()) == [dt.date(2026, 3, 10)]  # only the planted day
    d = section_data(av, "worked")
    assert list(d["bridge"]["part"])[0] == "forecast mean" and list(d["bridge"]["part"])[-1] == "actual"
    html = business_case_html(av, "worked", chart_html=lambda c: "<div>chart</div>")
    assert "Actuals vs forecast (synthetic actuals)" in html and "alert(s)" in html and "<script>" not in html
    page = portfolio_html(av)
    assert page.index("alert(s)") < page.index("<table")
