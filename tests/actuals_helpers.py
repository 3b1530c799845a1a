"""Small usage tables in the column contract of the actuals (built by hand in tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = ["timestamp", "source", "source_file", "source_row", "provider", "model", "input_tokens",
           "cache_read_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens", "requests",
           "request_id", "billed_cost", "currency", "application", "owner", "environment", "cost_center",
           "use_case", "business_process", "request_type"]


def usage(rows: list[dict]) -> pd.DataFrame:
    """A usage table from row dicts; missing columns get neutral defaults."""
    defaults = {"source": "test", "source_file": "test.csv", "provider": "testai", "input_tokens": 0,
                "cache_read_tokens": 0, "cache_write_tokens": 0, "output_tokens": 0, "reasoning_tokens": 0,
                "requests": 1, "request_id": None, "billed_cost": np.nan, "currency": "USD", "application": None,
                "owner": None, "environment": "production", "cost_center": None, "use_case": "worked",
                "business_process": None, "request_type": None}
    out = []
    for i, r in enumerate(rows):
        row = {**defaults, "source_row": i, **r}
        out.append(row)
    df = pd.DataFrame(out, columns=COLUMNS)
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True)
    df["billed_cost"] = df["billed_cost"].astype(float)
    return df
