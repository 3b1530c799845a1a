"""Tests of finops_model.assumptions (with finops_model.schema): loading the assumptions tree,
organisation defaults and overrides, FX conversion, scenario overlays, the checks across files
(catalog models, roles, correlations) and the bridge to the sampler.

Bad inputs are made by copying tests/data/assumptions into tmp_path and breaking the copy.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from numpy.testing import assert_allclose
from scipy import stats

from finops_model.errors import AssumptionError, Problem
from finops_model.inputs.assumptions import (
    apply_scenario,
    build_use_case,
    check_override_path,
    deep_merge,
    get_path,
    iter_uncertain,
    load_assumptions,
    sample_spec,
)
from finops_model.inputs.boundary import validate_paths
from finops_model.inputs.distributions import Uncertain, sample
from finops_model.inputs.schema import Fx, Scenario
from finops_model.util.paths import ASSUMPTIONS_DIR

FIXTURE = Path(__file__).parents[1] / "data" / "assumptions"
EUR_PER_USD = 0.8


# ------------------------------------------------------------------------------ helpers
def _worked_raw() -> dict[str, Any]:
    return yaml.safe_load((FIXTURE / "use_cases" / "worked.yaml").read_text(encoding="utf-8"))


def _write(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return path


def _edit_worked(root: Path, mutate: Callable[[dict[str, Any]], None]) -> Path:
    raw = _worked_raw()
    mutate(raw)
    return _write(root / "use_cases" / "worked.yaml", raw)


def _add_use_case(root: Path, uc_id: str, mutate: Callable[[dict[str, Any]], None] | None = None) -> Path:
    raw = _worked_raw()
    raw["id"] = uc_id
    if mutate:
        mutate(raw)
    return _write(root / "use_cases" / f"{uc_id}.yaml", raw)


def _problems(root: Path, *args: Any, **kw: Any) -> list[Problem]:
    with pytest.raises(AssumptionError) as exc:
        load_assumptions(root, *args, **kw)
    assert str(exc.value) == "\n".join(str(p) for p in exc.value.problems)
    return exc.value.problems


def _one(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


def _value(u: Uncertain) -> float:
    assert u.is_constant
    return u.mean


def _make_uncertain(raw: dict[str, Any]) -> None:
    raw["volume"]["active_users"] = "50 to 150"
    raw["volume"]["requests_per_user_per_month"] = "500 to 1500"
    raw["steps"]["answer"]["output_tokens"] = "200 to 400"


# ------------------------------------------------------------------------------ loading
def test_load_assumptions_fixture_tree():
    a = load_assumptions(FIXTURE)
    assert list(a.use_cases) == ["worked"]
    assert a.files["worked"] == FIXTURE / "use_cases" / "worked.yaml"
    assert a.org.name == "Test Org"
    assert_allclose(a.fx.rates["EUR"].per_usd, EUR_PER_USD)
    assert set(a.catalog.model_ids) >= {"test-frontier", "test-small", "test-embed", "test-rerank"}
    uc = a.use_case("worked")
    assert uc.name == "Worked example (support assistant)"
    assert_allclose(_value(uc.volume.active_users), 100)
    assert_allclose(_value(uc.steps["answer"].output_tokens), 300)
    assert_allclose(_value(uc.steps["answer"].retry.rate), 0.1)
    assert uc.steps["check"].kind == "guardrail"
    assert uc.rag is not None and uc.rag.rerank is not None and uc.rag.rerank.model == "test-rerank"
    assert len(a.digest) == 16
    assert a.scenarios == ()


def test_load_assumptions_digest_is_stable_and_sensitive(root):
    d1 = load_assumptions(FIXTURE).digest
    assert load_assumptions(root).digest == d1
    _edit_worked(root, lambda r: r["volume"].update(active_users=101))
    assert load_assumptions(root).digest != d1


def test_load_assumptions_use_case_filter(root):
    _add_use_case(root, "second")
    a = load_assumptions(root, use_cases=["second"])
    assert list(a.use_cases) == ["second"]


def test_load_assumptions_unknown_use_case_id_did_you_mean(root):
    p = _one(_problems(root, use_cases=["workd"]))
    assert "found 'workd'" in p.message and "did you mean 'worked'" in p.message


def test_assumptions_use_case_unknown_id():
    a = load_assumptions(FIXTURE)
    with pytest.raises(AssumptionError, match="did you mean 'worked'"):
        a.use_case("worke")


def test_load_assumptions_validated_objects_are_frozen():
    uc = load_assumptions(FIXTURE).use_case("worked")
    with pytest.raises(Exception, match="frozen"):
        uc.name = "x"  # type: ignore[misc]


# ------------------------------------------------------------------------------ org defaults
def test_build_use_case_inherits_org_defaults():
    uc = load_assumptions(FIXTURE).use_case("worked")
    org = uc.org
    assert org is not None
    assert_allclose(_value(org.labour_rates["analyst"]), 50)
    assert_allclose(_value(org.labour_rates["ml_engineer"]), 100)
    assert_allclose(_value(org.platform.gateway), 1000)
    assert_allclose(_value(org.hidden_defaults.log_storage_price_per_gb_month), 0.02)
    assert org.hidden_defaults.review_role == "analyst"
    assert org.name == "Test Org"


def test_build_use_case_org_section_overrides_defaults(root):
    def mutate(r):
        r["org"] = {
            "labour_rates": {"analyst": 70, "reviewer": 90},
            "hidden_defaults": {"log_retention_months": 24},
            "discount_rate_per_year": 0.08,
        }

    _edit_worked(root, mutate)
    a = load_assumptions(root)
    org = a.use_case("worked").org
    assert org is not None
    # overridden
    assert_allclose(_value(org.labour_rates["analyst"]), 70)
    assert_allclose(_value(org.labour_rates["reviewer"]), 90)
    assert_allclose(_value(org.hidden_defaults.log_retention_months), 24)
    assert_allclose(_value(org.discount_rate_per_year), 0.08)
    # inherited, merged key by key
    assert_allclose(_value(org.labour_rates["ml_engineer"]), 100)
    assert_allclose(_value(org.hidden_defaults.log_ingest_price_per_gb), 0.5)
    assert org.hidden_defaults.review_role == "analyst"
    # the organisation itself is unchanged
    assert_allclose(_value(a.org.labour_rates["analyst"]), 50)


def test_build_use_case_org_override_only_affects_that_use_case(root):
    _add_use_case(root, "other", lambda r: r.update(org={"labour_rates": {"analyst": 99}}))
    a = load_assumptions(root)
    assert_allclose(_value(a.use_case("other").org.labour_rates["analyst"]), 99)
    assert_allclose(_value(a.use_case("worked").org.labour_rates["analyst"]), 50)


def test_build_use_case_org_override_is_validated(root):
    _edit_worked(root, lambda r: r.update(org={"discount_rate_per_year": 1.5}))
    p = _one(_problems(root))
    assert p.path == "org.discount_rate_per_year"
    assert "fraction" in p.message


def test_build_use_case_org_override_not_a_mapping(root):
    _edit_worked(root, lambda r: r.update(org=[1, 2]))
    p = _one(_problems(root))
    assert p.path == "org" and p.message.startswith("expected a mapping")


def test_deep_merge_nested_and_copies():
    base = {"a": {"x": 1, "y": [1]}, "b": 1}
    out = deep_merge(base, {"a": {"y": [2]}, "c": 3})
    assert out == {"a": {"x": 1, "y": [2]}, "b": 1, "c": 3}
    out["a"]["x"] = 9
    assert base["a"]["x"] == 1


def test_build_use_case_direct():
    a = load_assumptions(FIXTURE)
    org_raw = yaml.safe_load((FIXTURE / "org.yaml").read_text())
    uc = build_use_case(_worked_raw(), org_raw, a.fx, a.catalog, "worked.yaml")
    assert uc == a.use_case("worked")


def test_build_use_case_reports_every_problem():
    a = load_assumptions(FIXTURE)
    raw = _worked_raw()
    raw["steps"]["answer"]["model"] = "test-fronteir"
    raw["rag"]["embedding_model"] = "test-embd"
    raw["hidden"]["human_review"]["role"] = "analsyt"
    with pytest.raises(AssumptionError) as exc:
        build_use_case(raw, {"labour_rates": {"analyst": 1}}, a.fx, a.catalog, "f.yaml")
    paths = {p.path for p in exc.value.problems}
    assert {"steps.answer.model", "rag.embedding_model", "hidden.human_review.role"} <= paths


# ------------------------------------------------------------------------------ FX
def test_build_use_case_eur_money_fields_converted_to_usd(root):
    def eur(r):
        r["currency"] = "EUR"
        r["budget"] = {"monthly": 8000}
        r["hidden"]["safety"] = {"audit_per_year": "800 to 2000"}

    _add_use_case(root, "worked-eur", eur)
    a = load_assumptions(root)
    usd, e = a.use_case("worked"), a.use_case("worked-eur")
    money = [
        "rag.storage_price_per_gb_month",
        "infrastructure.gateway_per_month",
        "infrastructure.egress_price_per_gb",
        "value.value_per_outcome",
        "one_off.build",
        "budget.monthly",
    ]
    for path in money:
        got = get_path(e, path).mean
        raw_value = get_path(usd, path).mean if path != "budget.monthly" else 8000
        assert_allclose(got, raw_value / EUR_PER_USD, rtol=1e-12, err_msg=path)
    assert_allclose(e.rag.storage_price_per_gb_month.mean, 0.625, rtol=1e-12)
    assert_allclose(e.one_off.build.mean, 62_500, rtol=1e-12)
    # an uncertain money field: every quantile scales
    audit = e.hidden.safety.audit_per_year
    assert_allclose([audit.quantile(0.05), audit.quantile(0.95)], [1000, 2500], rtol=1e-10)
    # non-money fields are untouched
    for path in ("steps.answer.output_tokens", "volume.active_users", "rag.corpus_tokens",
                 "steps.answer.cached_prompt_share", "value.outcomes_per_request"):
        assert_allclose(get_path(e, path).mean, get_path(usd, path).mean, err_msg=path)
    # the organisation (in USD) is not converted by the use case's currency
    assert_allclose(_value(e.org.labour_rates["analyst"]), 50)


def test_build_use_case_eur_sampled_money_in_usd(root):
    _add_use_case(root, "eur", lambda r: r.update(currency="EUR", one_off={"build": "40000 to 80000"}))
    uc = load_assumptions(root).use_case("eur")
    x = sample(sample_spec(uc), 100_000, 0)["one_off.build"]
    assert abs(np.mean(x < 50_000) - 0.05) < 0.005
    assert abs(np.mean(x > 100_000) - 0.05) < 0.005


def test_build_use_case_org_in_eur_converts_org_money(root):
    org = yaml.safe_load((root / "org.yaml").read_text())
    org["currency"] = "EUR"
    _write(root / "org.yaml", org)
    uc = load_assumptions(root).use_case("worked")  # currency defaults to the org's: EUR
    assert_allclose(_value(uc.org.labour_rates["analyst"]), 50 / EUR_PER_USD)
    assert_allclose(_value(uc.org.platform.gateway), 1000 / EUR_PER_USD)
    assert_allclose(_value(uc.org.build_vs_buy_review_per_year), 500_000 / EUR_PER_USD)
    assert_allclose(_value(uc.org.hidden_defaults.log_storage_price_per_gb_month), 0.02 / EUR_PER_USD)
    assert_allclose(_value(uc.org.hidden_defaults.log_retention_months), 12)
    assert_allclose(_value(uc.infrastructure.gateway_per_month), 100 / EUR_PER_USD)


def test_build_use_case_unknown_currency_did_you_mean(root):
    _edit_worked(root, lambda r: r.update(currency="EURO"))
    p = _one(_problems(root))
    assert p.path == "currency"
    assert "expected a currency listed in fx.yaml" in p.message
    assert "did you mean 'EUR'" in p.message


def test_fx_rate_must_be_positive():
    with pytest.raises(Exception, match="greater than 0"):
        Fx.model_validate({"rates": {"EUR": {"per_usd": 0, "source": "x", "date": "2026-01-01"}}})


# ------------------------------------------------------------------------------ scenarios
def test_load_assumptions_scenario_overrides_one_use_case(root):
    _add_use_case(root, "other")
    _write(root / "scenarios" / "long.yaml", {
        "description": "longer answers",
        "overrides": {"worked.steps.answer.output_tokens": 600,
                      "worked.org.labour_rates.analyst": 70},
    })
    a = load_assumptions(root, ["long"])
    assert a.scenarios == ("long",)
    assert_allclose(_value(a.use_case("worked").steps["answer"].output_tokens), 600)
    assert_allclose(_value(a.use_case("worked").org.labour_rates["analyst"]), 70)
    assert_allclose(_value(a.use_case("other").steps["answer"].output_tokens), 300)
    assert a.digest != load_assumptions(root).digest


def test_load_assumptions_scenario_star_overrides_every_use_case(root):
    _add_use_case(root, "other")
    _write(root / "scenarios" / "growth.yaml", {"overrides": {"*.volume.active_users": "50 to 150"}})
    a = load_assumptions(root, ["growth"])
    for uc in a.use_cases.values():
        assert uc.volume.active_users.kind == "lognormal"
        assert_allclose(uc.volume.active_users.quantile(0.95), 150, rtol=1e-10)


def test_load_assumptions_scenarios_apply_in_order(root):
    _write(root / "scenarios" / "a.yaml", {"overrides": {"*.volume.active_users": 200}})
    _write(root / "scenarios" / "b.yaml", {"overrides": {"worked.volume.active_users": 300}})
    assert_allclose(_value(load_assumptions(root, ["a", "b"]).use_case("worked").volume.active_users), 300)
    assert_allclose(_value(load_assumptions(root, ["b", "a"]).use_case("worked").volume.active_users), 200)


def test_load_assumptions_scenario_unknown_field_did_you_mean(root):
    sc = _write(root / "scenarios" / "s.yaml", {"overrides": {"worked.steps.answer.output_tokenz": 5}})
    p = _one(_problems(root, ["s"]))
    assert p.file == str(sc)
    assert p.path == "overrides.worked.steps.answer.output_tokenz"
    assert "unknown field" in p.message
    assert "did you mean 'output_tokens'" in p.message


def test_load_assumptions_scenario_star_unknown_field(root):
    sc = _write(root / "scenarios" / "s.yaml", {"overrides": {"*.volume.active_userz": 5}})
    p = _one(_problems(root, ["s"]))
    assert p.file == str(sc)
    assert "did you mean 'active_users'" in p.message


def test_load_assumptions_scenario_unknown_use_case(root):
    sc = _write(root / "scenarios" / "s.yaml", {"overrides": {"workd.volume.active_users": 5}})
    p = _one(_problems(root, ["s"]))
    assert p.file == str(sc)
    assert p.message.startswith("expected a use case id or '*', found 'workd'")
    assert "did you mean 'worked'" in p.message


def test_load_assumptions_scenario_unknown_step(root):
    sc = _write(root / "scenarios" / "s.yaml", {"overrides": {"worked.steps.anser.output_tokens": 5}})
    p = _one(_problems(root, ["s"]))
    assert p.file == str(sc)
    assert "unknown entry 'steps.anser'" in p.message
    assert "did you mean 'answer'" in p.message
    assert "answer, check" in p.message


def test_load_assumptions_scenario_path_into_a_value(root):
    _write(root / "scenarios" / "s.yaml", {"overrides": {"worked.volume.active_users.low": 5}})
    p = _one(_problems(root, ["s"]))
    assert "is a value" in p.message


def test_load_assumptions_scenario_without_field_path(root):
    _write(root / "scenarios" / "s.yaml", {"overrides": {"worked": 5}})
    p = _one(_problems(root, ["s"]))
    assert "found no field path" in p.message


def test_load_assumptions_scenario_invalid_value_names_scenario(root):
    _write(root / "scenarios" / "s.yaml", {"overrides": {"worked.volume.active_users": -5}})
    p = _one(_problems(root, ["s"]))
    assert p.file.endswith("worked.yaml (with scenario s)")
    assert p.path == "volume.active_users"
    assert "expected a number ≥ 0" in p.message


def test_load_assumptions_unknown_scenario_name(root):
    _write(root / "scenarios" / "optimised.yaml", {"overrides": {}})
    p = _one(_problems(root, ["optimized"]))
    assert "expected a scenario among optimised" in p.message
    assert "did you mean 'optimised'" in p.message


def test_load_assumptions_scenario_unknown_top_level_key(root):
    sc = _write(root / "scenarios" / "s.yaml", {"overides": {"worked.volume.active_users": 5}})
    p = _one(_problems(root, ["s"]))
    assert p.file == str(sc)
    assert p.path == "overides"


def test_apply_scenario_direct_does_not_mutate_input():
    raw = {"worked": _worked_raw()}
    before = copy.deepcopy(raw)
    sc = Scenario(name="s", overrides={"*.steps.check.output_tokens": 75})
    out = apply_scenario(raw, sc, "s.yaml")
    assert out["worked"]["steps"]["check"]["output_tokens"] == 75
    assert raw == before


def test_apply_scenario_collects_every_problem():
    sc = Scenario(name="s", overrides={"nope.volume.active_users": 1, "worked.volumes.x": 2})
    with pytest.raises(AssumptionError) as exc:
        apply_scenario({"worked": _worked_raw()}, sc, "s.yaml")
    assert [p.path for p in exc.value.problems] == ["overrides.nope.volume.active_users",
                                                    "overrides.worked.volumes.x"]
    assert all(p.file == "s.yaml" for p in exc.value.problems)


@pytest.mark.parametrize(
    "path, fragment",
    [
        ("volume.active_users", None),
        ("steps.answer.retry.rate", None),
        ("org.labour_rates.analyst", None),
        ("org.labour_rates.new_role", None),
        ("rag.rerank.candidates", None),
        ("hidden.human_review.share_reviewed", None),
        ("correlations", None),
        ("volume.active_userz", "did you mean 'active_users'"),
        ("steps.anser.output_tokens", "did you mean 'answer'"),
        ("steps.answer.retri.rate", "did you mean 'retry'"),
        ("org.labour_ratez.analyst", "did you mean 'labour_rates'"),
        ("volume.active_users.x", "is a value"),
    ],
)
def test_check_override_path(path, fragment):
    msg = check_override_path(path.split("."), _worked_raw())
    if fragment is None:
        assert msg is None
    else:
        assert msg is not None and fragment in msg


# ------------------------------------------------------------------------------ cross-file checks
def test_load_assumptions_duplicate_use_case_id_across_files(root):
    dup = _write(root / "use_cases" / "zz-copy.yaml", (FIXTURE / "use_cases" / "worked.yaml").read_text())
    p = _one(_problems(root))
    assert p.file == str(dup)
    assert p.path == "id"
    assert "expected a unique use-case id, found 'worked'" in p.message
    assert str(root / "use_cases" / "worked.yaml") in p.message


def test_load_assumptions_use_case_without_id(root):
    _add_use_case(root, "x", lambda r: r.pop("id"))
    p = _one(_problems(root))
    assert p.path == "id" and "expected a use-case id" in p.message


def test_load_assumptions_model_missing_from_catalog(root):
    path = _edit_worked(root, lambda r: r["steps"]["answer"].update(model="test-fronteir"))
    p = _one(_problems(root))
    assert p.file == str(path)
    assert p.path == "steps.answer.model"
    assert "expected a model in the price catalog, found 'test-fronteir'" in p.message
    assert "did you mean 'test-frontier'" in p.message


def test_load_assumptions_embedding_and_judge_models_checked(root):
    def mutate(r):
        r["rag"]["embedding_model"] = "test-embedd"
        r["hidden"]["evaluation"]["judge_model"] = "nope"

    _edit_worked(root, mutate)
    problems = _problems(root)
    assert {p.path for p in problems} == {"rag.embedding_model", "hidden.evaluation.judge_model"}
    assert "did you mean 'test-embed'" in next(p.message for p in problems if p.path == "rag.embedding_model")


def test_load_assumptions_unknown_role_did_you_mean(root):
    _edit_worked(root, lambda r: r["hidden"]["human_review"].update(role="analsyt"))
    p = _one(_problems(root))
    assert p.path == "hidden.human_review.role"
    assert "did you mean 'analyst'" in p.message


def test_load_assumptions_every_bad_file_reported(root):
    _edit_worked(root, lambda r: r["steps"]["answer"].update(output_tokens=-1))
    _add_use_case(root, "second", lambda r: r["steps"]["check"].update(model="test-smal"))
    problems = _problems(root)
    assert {(Path(p.file).name, p.path) for p in problems} == {
        ("worked.yaml", "steps.answer.output_tokens"), ("second.yaml", "steps.check.model")}


@pytest.mark.parametrize(
    "mutate, path, fragment",
    [
        (lambda r: r["steps"]["answer"].update(output_tokens=-5), "steps.answer.output_tokens", "≥ 0"),
        (lambda r: r["rag"].update(storage_price_per_gb_month=-0.5), "rag.storage_price_per_gb_month", "≥ 0"),
        (lambda r: r["steps"]["answer"].update(output_tokens={"lognormal": {"p5": 300, "p95": 100}}),
         "steps.answer.output_tokens", "p5 < p95"),
        (lambda r: r["steps"]["answer"].update(cached_prompt_share=1.5), "steps.answer.cached_prompt_share",
         "fraction in [0, 1]"),
        (lambda r: r["volume"].update(active_users="lots"), "volume.active_users", "expected a number"),
        (lambda r: r.update(horizon_months="long"), "horizon_months", "whole number"),
        (lambda r: r["steps"]["answer"].update(kind="generator"), "steps.answer.kind", "did you mean"),
        (lambda r: r["value"].update(minutes_saved_per_outcome=3), "value", "exactly one of"),
        (lambda r: r["steps"]["answer"].update(agent_loop={"iterations": 3}), "steps.answer.agent_loop",
         "max_iterations"),
        (lambda r: r.pop("rag"), "", "rag section"),
        (lambda r: r["volume"].update(active_users={"normal": {"mean": 10, "sd": 5}}), "volume.active_users",
         "cannot go below 0"),
    ],
    ids=["negative-tokens", "negative-price", "p95-below-p5", "fraction", "wrong-type", "wrong-int",
         "literal", "value-rule", "agent-unbounded", "rag-missing", "nonneg-normal"],
)
def test_load_assumptions_bad_use_case_field(root, mutate, path, fragment):
    file = _edit_worked(root, mutate)
    p = _one(_problems(root))
    assert p.file == str(file)
    assert p.path == path
    assert p.message.startswith("expected") or "expected" in p.message
    assert fragment in p.message


def test_load_assumptions_uncertain_field_message_says_found_once(root):
    _edit_worked(root, lambda r: r["steps"]["answer"].update(output_tokens=-5))
    p = _one(_problems(root))
    assert p.message == "expected a number ≥ 0, found -5"


def test_load_assumptions_unknown_field_did_you_mean(root):
    _edit_worked(root, lambda r: r["steps"]["answer"].update(output_tokenz=3))
    p = _one(_problems(root))
    assert p.path == "steps.answer.output_tokenz"
    assert "did you mean 'output_tokens'" in p.message


def test_load_assumptions_unknown_field_is_reported(root):
    file = _edit_worked(root, lambda r: r["steps"]["answer"].update(output_tokenz=3))
    p = _one(_problems(root))
    assert p.file == str(file)
    assert p.path == "steps.answer.output_tokenz"
    assert "unknown field 'output_tokenz'" in p.message


@pytest.mark.parametrize(
    "name, content, fragment",
    [
        ("not-utf8.yaml", b"id: caf\xe9\n", "expected UTF-8"),
        ("empty.yaml", b"", "empty file"),
        ("malformed.yaml", b"id: m\nname: [x\nvolume: 1\n", "line 3"),
        ("list.yaml", b"- 1\n- 2\n", "expected a mapping of fields at the top level, found list"),
    ],
)
def test_load_assumptions_unreadable_use_case_file(root, name, content, fragment):
    path = root / "use_cases" / name
    path.write_bytes(content)
    p = _one(_problems(root))
    assert p.file == str(path)
    assert fragment in p.message


def test_load_assumptions_alias_bomb_use_case(root):
    bomb = (Path(__file__).parents[1] / "data" / "bad" / "alias_bomb.yaml").read_bytes()
    (root / "use_cases" / "bomb.yaml").write_bytes(bomb)
    p = _one(_problems(root))
    assert p.file.endswith("bomb.yaml") and "alias bomb" in p.message


def test_load_assumptions_bad_org_file(root):
    org = yaml.safe_load((root / "org.yaml").read_text())
    org["discount_rate_per_year"] = 2
    _write(root / "org.yaml", org)
    p = _one(_problems(root))
    assert p.file == str(root / "org.yaml")
    assert p.path == "discount_rate_per_year"


# ------------------------------------------------------------------------------ correlations
def test_load_assumptions_correlation_unknown_path(root):
    def mutate(r):
        _make_uncertain(r)
        r["correlations"] = [{"between": ["volume.active_userz", "steps.answer.output_tokens"], "rank": 0.5}]

    _edit_worked(root, mutate)
    p = _one(_problems(root))
    assert p.path == "correlations.0.between"
    assert "expected the path of a numeric input, found 'volume.active_userz'" in p.message
    assert "did you mean 'volume.active_users'" in p.message


def test_load_assumptions_correlation_constant_input(root):
    def mutate(r):
        _make_uncertain(r)
        r["correlations"] = [{"between": ["volume.active_users", "steps.check.output_tokens"], "rank": 0.5}]

    _edit_worked(root, mutate)
    p = _one(_problems(root))
    assert p.path == "correlations.0.between"
    assert "expected an uncertain input" in p.message and "constant" in p.message


def test_load_assumptions_correlation_same_input_twice_and_repeated_pair(root):
    def mutate(r):
        _make_uncertain(r)
        r["correlations"] = [
            {"between": ["volume.active_users", "volume.active_users"], "rank": 0.5},
            {"between": ["volume.active_users", "steps.answer.output_tokens"], "rank": 0.2},
            {"between": ["steps.answer.output_tokens", "volume.active_users"], "rank": 0.3},
        ]

    _edit_worked(root, mutate)
    messages = [p.message for p in _problems(root)]
    assert any("two different inputs" in m for m in messages)
    assert any("each pair once" in m for m in messages)


def test_load_assumptions_correlation_rank_out_of_range(root):
    def mutate(r):
        _make_uncertain(r)
        r["correlations"] = [{"between": ["volume.active_users", "steps.answer.output_tokens"], "rank": 1.5}]

    _edit_worked(root, mutate)
    p = _one(_problems(root))
    assert p.path == "correlations.0.rank"
    assert "≤ 1" in p.message


def test_load_assumptions_correlation_not_psd(root):
    def mutate(r):
        _make_uncertain(r)
        a, b, c = "volume.active_users", "volume.requests_per_user_per_month", "steps.answer.output_tokens"
        r["correlations"] = [
            {"between": [a, b], "rank": 0.9},
            {"between": [b, c], "rank": 0.9},
            {"between": [a, c], "rank": -0.9},
        ]

    file = _edit_worked(root, mutate)
    p = _one(_problems(root))
    assert p.file == str(file)
    assert p.path == "correlations"
    assert "positive semi-definite" in p.message
    assert "nearest valid" in p.message
    assert "volume.active_users–volume.requests_per_user_per_month: 0.500" in p.message


# ------------------------------------------------------------------------------ sampling bridge
def test_iter_uncertain_paths():
    uc = load_assumptions(FIXTURE).use_case("worked")
    items = list(iter_uncertain(uc))
    paths = [p for p, _ in items]
    assert len(paths) == len(set(paths))
    for expected in ("volume.active_users", "volume.adoption.ceiling", "steps.answer.output_tokens",
                     "steps.answer.retry.rate", "steps.check.output_tokens", "rag.top_k",
                     "rag.rerank.candidates", "hidden.human_review.share_reviewed",
                     "value.value_per_outcome", "one_off.build", "org.labour_rates.analyst",
                     "org.platform.gateway", "org.hidden_defaults.log_retention_months"):
        assert expected in paths, expected
    assert not any(p.startswith(("correlations", "sources")) for p in paths)
    # optional inputs left out (None) are not inputs
    assert "value.minutes_saved_per_outcome" not in paths
    assert "rag.rerank.price_per_search" not in paths
    for path, u in items:
        assert isinstance(u, Uncertain)
        assert get_path(uc, path) is u


def test_sample_spec_sample_returns_arrays_for_uncertain_inputs(root):
    def mutate(r):
        _make_uncertain(r)
        r["steps"]["answer"]["cached_prompt_share"] = "0.3 to 0.6"
        r["correlations"] = [
            {"between": ["volume.active_users", "volume.requests_per_user_per_month"], "rank": 0.6}]

    _edit_worked(root, mutate)
    uc = load_assumptions(root).use_case("worked")
    spec = sample_spec(uc)
    uncertain = {"volume.active_users", "volume.requests_per_user_per_month",
                 "steps.answer.output_tokens", "steps.answer.cached_prompt_share"}
    assert set(spec.uncertain_names) == uncertain
    assert spec.correlations == (("volume.active_users", "volume.requests_per_user_per_month", 0.6),)
    n = 20_000
    out = sample(spec, n, 5)
    assert set(out) == {p for p, _ in iter_uncertain(uc)}
    for name in uncertain:
        assert isinstance(out[name], np.ndarray) and out[name].shape == (n,)
    assert isinstance(out["steps.check.output_tokens"], float)
    assert_allclose(out["steps.check.output_tokens"], 50)
    share = out["steps.answer.cached_prompt_share"]
    assert np.all((share >= 0) & (share <= 1))
    rho = stats.spearmanr(out["volume.active_users"], out["volume.requests_per_user_per_month"]).statistic
    assert abs(rho - 0.6) < 0.03
    # same seed, bit-identical
    again = sample(sample_spec(uc), n, 5)
    for name in uncertain:
        np.testing.assert_array_equal(out[name], again[name])


# ------------------------------------------------------------------------------ shipped project
def _shipped_use_case_files() -> list[Path]:
    return sorted((ASSUMPTIONS_DIR / "use_cases").glob("*.yaml"))


def test_load_assumptions_shipped_project():
    files = _shipped_use_case_files()
    if not files:
        pytest.skip(f"{ASSUMPTIONS_DIR / 'use_cases'} holds no use cases yet")
    a = load_assumptions(ASSUMPTIONS_DIR)
    assert sorted(a.files[k] for k in a.use_cases) == files
    # every file, scenarios included, validates
    ok, problems = validate_paths([ASSUMPTIONS_DIR])
    assert problems == []
    for f in files:
        assert any(line.startswith(f"{f}: ok") for line in ok), f
    for uc_id in a.use_cases:
        assert a.files[uc_id].stem == uc_id
        spec = sample_spec(a.use_case(uc_id))
        out = sample(spec, 64, 0)
        for name in spec.uncertain_names:
            assert np.all(np.isfinite(out[name])), (uc_id, name)
    assert len(a.use_cases) == 6, f"expected six shipped use cases, found {sorted(a.use_cases)}"
    ucs = list(a.use_cases.values())
    patterns = {
        "RAG": any(uc.rag is not None for uc in ucs),
        "bounded agent loop": any(s.agent_loop is not None for uc in ucs for s in uc.steps.values()),
        "batch API": any(s.batch_share.support[1] > 0 for uc in ucs for s in uc.steps.values()),
        "multi-step with several models": any(len({s.model for s in uc.steps.values()}) > 1 for uc in ucs),
        "guardrail / judge / validation step": any(
            s.kind in ("guardrail", "judge", "validation", "moderation") for uc in ucs for s in uc.steps.values()),
        "uncertain inputs": all(sample_spec(uc).uncertain_names for uc in ucs),
    }
    missing = [k for k, ok in patterns.items() if not ok]
    assert not missing, f"no shipped use case covers: {missing}"
