"""Tests of finops_model.validation: pydantic errors → Problem records."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from finops_model.errors import Problem
from finops_model.inputs.validation import (
    describe_value,
    problems_from_validation_error,
    rule_error,
)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rate(_Frozen):
    input_per_mtok: Annotated[float, Field(ge=0, strict=True, allow_inf_nan=False)]
    output_per_mtok: Annotated[float, Field(ge=0, strict=True)] = 0.0


class Threshold(_Frozen):
    threshold_tokens: Annotated[int, Field(gt=0, strict=True)]
    label: Literal["small", "mid", "frontier"] = "mid"


class Item(_Frozen):
    name: Annotated[str, Field(min_length=1)]
    when: dt.date | None = None
    enabled: bool = True
    rates: list[Rate] = Field(default_factory=list)
    limit: Threshold | None = None
    either: float | Threshold | None = None

    @field_validator("name")
    @classmethod
    def _no_spaces(cls, v: str) -> str:
        if " " in v:
            raise ValueError(f"expected a name without spaces, found {v!r}")
        return v

    @model_validator(mode="after")
    def _output_not_below_input(self) -> Item:
        for i, r in enumerate(self.rates):
            if r.output_per_mtok < r.input_per_mtok:
                raise rule_error(
                    f"rates.{i}.output_per_mtok",
                    f"expected ≥ input_per_mtok ({r.input_per_mtok}), found {r.output_per_mtok}",
                )
        return self


class Top(_Frozen):
    version: str
    items: dict[str, Item]


def _problems(data: object, model: type[BaseModel] | None = Top) -> list[Problem]:
    with pytest.raises(ValidationError) as info:
        Top.model_validate(data)
    return problems_from_validation_error(info.value, "f.yaml", model)


def _valid() -> dict:
    return {
        "version": "1",
        "items": {
            "a": {"name": "alpha", "rates": [{"input_per_mtok": 1.0, "output_per_mtok": 2.0}]}
        },
    }


def test_problems_from_validation_error_valid_data_has_no_error() -> None:
    Top.model_validate(_valid())


def test_problems_from_validation_error_unknown_field_did_you_mean() -> None:
    data = _valid()
    data["items"]["a"]["rates"][0]["inptu_per_mtok"] = 3
    problems = _problems(data)
    assert problems == [
        Problem(
            "f.yaml",
            "items.a.rates.0.inptu_per_mtok",
            "unknown field 'inptu_per_mtok' (did you mean 'input_per_mtok'?)",
        )
    ]


def test_problems_from_validation_error_unknown_field_without_close_match_lists_fields() -> None:
    data = _valid()
    data["items"]["a"]["zzz"] = 1
    (problem,) = _problems(data)
    assert problem.path == "items.a.zzz"
    assert problem.message.startswith("unknown field 'zzz'; expected one of name, when, enabled")


def test_problems_from_validation_error_unknown_top_level_field() -> None:
    data = _valid()
    data["verison"] = "2"
    (problem,) = _problems(data)
    assert problem.path == "verison"
    assert "did you mean 'version'?" in problem.message


def test_problems_from_validation_error_unknown_field_without_model_has_no_hint() -> None:
    data = _valid()
    data["items"]["a"]["rates"][0]["inptu_per_mtok"] = 3
    (problem,) = _problems(data, model=None)
    assert problem.path == "items.a.rates.0.inptu_per_mtok"
    assert problem.message == "unknown field 'inptu_per_mtok'"


def test_problems_from_validation_error_missing() -> None:
    data = _valid()
    del data["items"]["a"]["rates"][0]["input_per_mtok"]
    assert _problems(data) == [
        Problem("f.yaml", "items.a.rates.0.input_per_mtok", "expected a value, found nothing")
    ]


def test_problems_from_validation_error_wrong_type_number() -> None:
    data = _valid()
    data["items"]["a"]["rates"][0]["input_per_mtok"] = "cheap"
    (problem,) = _problems(data)
    assert problem.message == "expected a number, found 'cheap'"


def test_problems_from_validation_error_wrong_type_integer_and_bool() -> None:
    data = _valid()
    data["items"]["a"]["limit"] = {"threshold_tokens": 1.5}
    data["items"]["a"]["enabled"] = "perhaps"
    messages = {p.path: p.message for p in _problems(data)}
    assert messages["items.a.limit.threshold_tokens"] == "expected a whole number, found 1.5"
    assert messages["items.a.enabled"] == "expected true or false, found 'perhaps'"


def test_problems_from_validation_error_wrong_type_date_and_mapping() -> None:
    data = _valid()
    data["items"]["a"]["when"] = "last tuesday"
    data["items"]["b"] = [1, 2]
    messages = {p.path: p.message for p in _problems(data)}
    assert messages["items.a.when"].startswith("expected a date (YYYY-MM-DD), found 'last tuesday'")
    assert messages["items.b"] == "expected a mapping, found a list of 2 items"


def test_problems_from_validation_error_negative_number() -> None:
    data = _valid()
    data["items"]["a"]["rates"][0]["input_per_mtok"] = -1
    (problem,) = _problems(data)
    assert problem == Problem(
        "f.yaml", "items.a.rates.0.input_per_mtok", "expected a number ≥ 0, found -1"
    )
    assert str(problem) == "f.yaml: items.a.rates.0.input_per_mtok: expected a number ≥ 0, found -1"


def test_problems_from_validation_error_strictly_positive_and_non_finite() -> None:
    data = _valid()
    data["items"]["a"]["limit"] = {"threshold_tokens": 0}
    data["items"]["a"]["rates"][0]["input_per_mtok"] = float("nan")
    messages = {p.path: p.message for p in _problems(data)}
    assert messages["items.a.limit.threshold_tokens"] == "expected a number > 0, found 0"
    assert messages["items.a.rates.0.input_per_mtok"] == "expected a finite number, found nan"


def test_problems_from_validation_error_literal_did_you_mean() -> None:
    data = _valid()
    data["items"]["a"]["limit"] = {"threshold_tokens": 5, "label": "fronteir"}
    (problem,) = _problems(data)
    assert problem.path == "items.a.limit.label"
    assert problem.message == (
        "expected one of 'small', 'mid' or 'frontier', found 'fronteir' (did you mean 'frontier'?)"
    )


def test_problems_from_validation_error_value_error_passed_through() -> None:
    data = _valid()
    data["items"]["a"]["name"] = "two words"
    (problem,) = _problems(data)
    assert problem == Problem(
        "f.yaml", "items.a.name", "expected a name without spaces, found 'two words'"
    )


def test_problems_from_validation_error_empty_text() -> None:
    data = _valid()
    data["items"]["a"]["name"] = ""
    (problem,) = _problems(data)
    assert problem.message == "expected non-empty text, found ''"


def test_problems_from_validation_error_rule_error_points_at_field() -> None:
    data = _valid()
    data["items"]["a"]["rates"].append({"input_per_mtok": 5.0, "output_per_mtok": 1.0})
    (problem,) = _problems(data)
    assert problem == Problem(
        "f.yaml", "items.a.rates.1.output_per_mtok", "expected ≥ input_per_mtok (5.0), found 1.0"
    )


def test_problems_from_validation_error_union_tags_dropped_from_path() -> None:
    data = _valid()
    data["items"]["a"]["either"] = {"threshold_tokens": 5, "lable": "mid"}
    problems = _problems(data)
    assert problems, "an error is expected"
    for p in problems:
        assert p.path.startswith("items.a.either"), p
        assert "Threshold" not in p.path and "float" not in p.path
    assert any("did you mean 'label'?" in p.message for p in problems)


def test_problems_from_validation_error_several_problems_in_order() -> None:
    data = _valid()
    data["version"] = 3
    data["items"]["a"]["rates"][0]["input_per_mtok"] = -2
    data["items"]["a"]["colour"] = "red"
    paths = [p.path for p in _problems(data)]
    assert paths == ["version", "items.a.rates.0.input_per_mtok", "items.a.colour"]


def test_problems_from_validation_error_file_may_be_a_path() -> None:
    from pathlib import Path

    with pytest.raises(ValidationError) as info:
        Rate.model_validate({"input_per_mtok": True})
    (problem,) = problems_from_validation_error(info.value, Path("x") / "y.yaml", Rate)
    assert problem.file == str(Path("x") / "y.yaml")
    assert problem.path == "input_per_mtok"
    assert problem.message == "expected a number, found true"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "nothing (null)"),
        (True, "true"),
        (-1, "-1"),
        (2.5, "2.5"),
        ("abc", "'abc'"),
        (dt.date(2024, 5, 13), "2024-05-13"),
        ({}, "an empty mapping"),
        ({"a": 1}, "a mapping with keys 'a'"),
        ([1], "a list of 1 item"),
    ],
)
def test_describe_value_cases(value: object, text: str) -> None:
    assert describe_value(value) == text


def test_describe_value_truncates_long_text() -> None:
    assert len(describe_value("x" * 500)) <= 60
