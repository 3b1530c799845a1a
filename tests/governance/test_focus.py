"""FOCUS 1.2 showback export: column conformance, values, reconciliation, CSV injection."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import numpy as np
import pytest
import yaml
from numpy.testing import assert_allclose
from portfolio_helpers import make_tree

from finops_model.errors import FinopsError
from finops_model.governance.focus import (
    COLUMNS,
    focus_rows,
    parse_month,
    to_csv_text,
    write_focus_csv,
)
from finops_model.governance.portfolio import load_portfolio, rollup_assumptions
from finops_model.util.sheets import neutralise

#: FOCUS 1.2 columns that matter for AI spend (copied from the project's reference notes).
FOCUS_12_AI_COLUMNS = [
    "BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "ListUnitPrice", "ContractedUnitPrice",
    "PricingQuantity", "PricingUnit", "ConsumedQuantity", "ConsumedUnit", "ChargePeriodStart", "ChargePeriodEnd",
    "BillingPeriodStart", "BillingPeriodEnd", "BillingCurrency", "ChargeCategory", "ChargeClass", "ChargeDescription",
    "ServiceCategory", "ServiceSubcategory", "ServiceName", "ProviderName", "PublisherName", "InvoiceIssuerName",
    "SkuId", "SkuPriceId", "SkuMeter", "ResourceId", "SubAccountId", "Tags",
]
#: Columns of the FOCUS 1.0 sample data (FOCUS-Sample-Data, minus its non-spec Id column).
FOCUS_10_SAMPLE_COLUMNS = [
    "AvailabilityZone", "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd",
    "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency", "ChargePeriodEnd",
    "ChargePeriodStart", "CommitmentDiscountCategory", "CommitmentDiscountId", "CommitmentDiscountName",
    "CommitmentDiscountStatus", "CommitmentDiscountType", "ConsumedQuantity", "ConsumedUnit", "ContractedCost",
    "ContractedUnitPrice", "EffectiveCost", "InvoiceIssuerName", "ListCost", "ListUnitPrice", "PricingCategory",
    "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName", "RegionId", "RegionName", "ResourceId",
    "ResourceName", "ResourceType", "ServiceCategory", "ServiceName", "SkuId", "SkuPriceId", "SubAccountId",
    "SubAccountName", "Tags",
]
FOCUS_CHARGE_CATEGORIES = {"Usage", "Purchase", "Tax", "Credit", "Adjustment"}
FOCUS_CHARGE_FREQUENCIES = {"One-Time", "Recurring", "Usage-Based"}


@pytest.fixture(scope="module")
def port(tmp_path_factory):
    tree = make_tree(tmp_path_factory.mktemp("focus") / "assumptions")
    uc = yaml.safe_load((tree / "use_cases" / "worked-c.yaml").read_text())
    uc["name"] = "=HYPERLINK(\"http://x\")"
    uc["owners"]["business_owner"] = "@evil"
    (tree / "use_cases" / "worked-c.yaml").write_text(yaml.safe_dump(uc))
    return rollup_assumptions(load_portfolio(tree), 300, 2)


@pytest.fixture(scope="module")
def rows(port):
    return focus_rows(port, "tokens", month=dt.date(2026, 3, 1), org_name="Test Org")


def test_focus_columns_conform():
    assert set(FOCUS_12_AI_COLUMNS) <= set(COLUMNS)
    known = set(FOCUS_12_AI_COLUMNS) | set(FOCUS_10_SAMPLE_COLUMNS)
    for c in COLUMNS:
        assert c in known or c.startswith("x_"), c
    assert {"x_UseCase", "x_BusinessOwner", "x_Outcome"} <= set(COLUMNS)
    assert len(set(COLUMNS)) == len(COLUMNS)


def test_focus_values(rows):
    for r in rows:
        assert r["ServiceCategory"] == "AI and Machine Learning"
        assert r["ServiceSubcategory"] == "Generative AI"
        assert r["ChargeCategory"] in FOCUS_CHARGE_CATEGORIES
        assert r["ChargeFrequency"] in FOCUS_CHARGE_FREQUENCIES
        assert r["ChargePeriodStart"] == "2026-03-01T00:00:00Z" and r["ChargePeriodEnd"] == "2026-04-01T00:00:00Z"
        assert r["BillingCurrency"] == "USD"
        assert isinstance(json.loads(r["Tags"]), dict)
        assert r["BilledCost"] >= 0 and r["BilledCost"] == r["EffectiveCost"]
        assert r["x_UseCase"] == r["ResourceId"]
    model = [r for r in rows if r["SkuMeter"] == "Tokens"]
    assert {r["SkuId"] for r in model} == {"test-frontier", "test-small"}
    for r in model:
        assert_allclose(r["ListUnitPrice"] * r["PricingQuantity"], r["BilledCost"], rtol=1e-12)
        assert r["ConsumedQuantity"] == pytest.approx(r["PricingQuantity"] * 1e6)


def test_focus_rows_reconcile_to_direct_cost_plus_pool(port, rows):
    direct = sum(ru.stats["direct_run_cost"]["mean"] + ru.stats["build_cost"]["mean"] for ru in port.use_cases["as-written"].values())
    assert_allclose(sum(r["BilledCost"] for r in rows), direct + float(np.mean(port.pool)), rtol=1e-9)
    alloc = [r for r in rows if r["SkuId"] == "shared-ai-platform"]
    assert len(alloc) == 3
    assert_allclose(sum(r["BilledCost"] for r in alloc), float(np.mean(port.pool)), rtol=1e-12)


def test_neutralise_owasp():
    for bad in ("=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(bad) == "'" + bad
    assert neutralise("safe text") == "safe text"
    assert neutralise(-5.0) == -5.0 and neutralise(None) is None


def test_csv_cells_neutralised(rows):
    text = to_csv_text(rows)
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert list(parsed[0]) == list(COLUMNS)
    names = {r["x_UseCaseName"] for r in parsed}
    assert "'=HYPERLINK(\"http://x\")" in names
    assert "'@evil" in {r["x_BusinessOwner"] for r in parsed}
    for r in parsed:
        for c, v in r.items():
            assert not v.startswith(("=", "+", "@", "\t", "\r")), (c, v)
            if v.startswith("-"):
                float(v)  # only numbers may start with a minus sign
        assert r["ChargeClass"] == ""  # null


def test_write_focus_csv(tmp_path, port):
    path = write_focus_csv(tmp_path / "out" / "focus.csv", port, "even", month=dt.date(2026, 1, 1))
    text = path.read_text()
    assert text.splitlines()[0].split(",") == list(COLUMNS)
    assert not list((tmp_path / "out").glob(".focus.csv.*"))  # no temporary file left


def test_parse_month():
    assert parse_month("2026-12") == dt.date(2026, 12, 1)
    with pytest.raises(FinopsError, match="YYYY-MM"):
        parse_month("2026-13")
