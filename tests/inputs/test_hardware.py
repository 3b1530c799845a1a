"""Hardware catalogs (finops_model.inputs.hardware): the project's GPUs and serving curves, and refusals."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from numpy.testing import assert_allclose

from finops_model.errors import CatalogError
from finops_model.inputs.hardware import load_hardware, prefill_rate_from_ttft
from finops_model.util.paths import CATALOG_DIR

DATA = Path(__file__).parents[1] / "data"


def test_load_hardware_project_catalogs_cover_the_issue_gpus():
    hw = load_hardware(CATALOG_DIR)
    for gpu in ("h100-sxm", "h200-sxm", "a100-80gb", "l40s", "l4", "b200", "mi300x"):
        g = hw.gpus.gpus[gpu]
        assert g.purchase_usd is not None and g.tdp_kw.value > 0
        for tier in ("on_demand", "reserved_1y", "reserved_3y"):
            assert g.rate(tier) is not None, (gpu, tier)
    engines = {p.engine for p in hw.serving.points}
    assert {"nim", "tensorrt-llm", "vllm"} <= engines
    assert all(p.gpu in hw.gpus.gpus for p in hw.serving.points)


def test_load_hardware_serving_curve_reads_nim_table():
    hw = load_hardware(CATALOG_DIR)
    c = hw.curve("llama-3.3-70b", "h100-sxm", "nim", 10.0)
    assert c.gpus_per_replica == 2 and (c.input_tokens, c.output_tokens) == (5000, 500)
    assert_allclose(c.tokens_per_s_per_gpu[0], 51.67 / 2)
    assert_allclose(c.prefill_tokens_per_s_per_gpu, 5000 / 0.40677 / 2)


def test_load_hardware_rejects_unknown_gpu_and_missing_source(tmp_path):
    folder = tmp_path / "catalog"
    folder.mkdir()
    shutil.copy(DATA / "tco" / "gpus.yaml", folder / "gpus.yaml")
    serving = yaml.safe_load((DATA / "tco" / "serving.yaml").read_text())
    serving["points"][0]["gpu"] = "test-gpux"
    (folder / "serving.yaml").write_text(yaml.safe_dump(serving))
    with pytest.raises(CatalogError) as exc:
        load_hardware(folder)
    assert "serving.yaml: points.0.gpu: expected a GPU of gpus.yaml" in str(exc.value) and "did you mean 'test-gpu'" in str(exc.value)
    del serving["points"][1]["source"]
    (folder / "serving.yaml").write_text(yaml.safe_dump(serving))
    with pytest.raises(CatalogError, match=r"serving\.yaml: points\.1\.source: expected a value"):
        load_hardware(folder)


def test_load_hardware_rejects_unknown_tier(tmp_path):
    folder = tmp_path / "catalog"
    folder.mkdir()
    shutil.copy(DATA / "tco" / "serving.yaml", folder / "serving.yaml")
    gpus = yaml.safe_load((DATA / "tco" / "gpus.yaml").read_text())
    gpus["gpus"]["test-gpu"]["rates"][0]["tier"] = "ondemand"
    (folder / "gpus.yaml").write_text(yaml.safe_dump(gpus))
    with pytest.raises(CatalogError, match=r"gpus\.test-gpu\.rates\.0\.tier"):
        load_hardware(folder)


def test_prefill_rate_from_a_single_request_ttft():
    # a published single-request point: 5,000 input tokens, 406.77 ms to first token on 2 GPUs
    assert_allclose(prefill_rate_from_ttft(5000, 406.77, 2), 5000 / 0.40677 / 2)
    assert_allclose(prefill_rate_from_ttft(5000, 406.77, 2), 6146.0, rtol=1e-3)
