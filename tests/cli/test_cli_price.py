"""Tests of the ``finops price`` subcommand (finops_model.cli_price), called through argparse."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from finops_model.cli import price as cli_price

SMALL = Path(__file__).parents[1] / "data" / "catalog_small.yaml"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="finops")
    sub = parser.add_subparsers(dest="command", required=True)
    cli_price.add_parser(sub)
    return parser


def _run(*argv: str, catalog: Path | None = SMALL) -> tuple[int, str, str]:
    args = list(argv)
    if catalog is not None:
        args += ["--catalog", str(catalog)]
    ns = _parser().parse_args(["price", *args])
    out, err = io.StringIO(), io.StringIO()
    code = ns.func(ns, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_add_parser_flags() -> None:
    parser = _parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    price = sub.choices["price"]
    flags = {s for a in price._actions for s in a.option_strings} - {"-h", "--help"}
    assert flags == {
        "--input-tokens",
        "--output-tokens",
        "--cache-read-tokens",
        "--cache-write-tokens",
        "--reasoning-tokens",
        "--batch",
        "--date",
        "--catalog",
        "--json",
    }
    ns = parser.parse_args(["price", "gpt-4o", "--input-tokens", "1", "--output-tokens", "2"])
    assert ns.func is cli_price.run
    assert (ns.cache_read_tokens, ns.batch, ns.date, ns.catalog, ns.json) == (
        0,
        False,
        None,
        None,
        False,
    )


def test_add_parser_requires_token_counts() -> None:
    with pytest.raises(SystemExit) as info:
        _parser().parse_args(["price", "gpt-4o", "--input-tokens", "1"])
    assert info.value.code == 2


def test_run_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(
        "gpt-4o",
        "--input-tokens",
        "10000",
        "--output-tokens",
        "500",
        "--cache-read-tokens",
        "4000",
        "--date",
        "2025-01-01",
    )
    assert code == 0, err
    assert err == ""
    assert out.splitlines()[0] == "gpt-4o (openai, mid)"
    assert "price entry effective 2024-10-02 (call date 2025-01-01)" in out
    assert "source: LiteLLM key 'gpt-4o'" in out
    lines = {line.split("  ")[0]: line for line in out.splitlines()}
    assert lines["cache read"].split()[-3:] == ["4,000", "1.2500", "0.005000"]
    assert lines["input (uncached)"].split()[-3:] == ["6,000", "2.5000", "0.015000"]
    assert lines["total"].split()[-1] == "0.025000"


def test_run_json_long_context() -> None:
    code, out, err = _run(
        "claude-sonnet-4-5-20250929",
        "--input-tokens",
        "250000",
        "--output-tokens",
        "2000",
        "--cache-read-tokens",
        "100000",
        "--cache-write-tokens",
        "20000",
        "--json",
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["model"] == "claude-sonnet-4-5"
    assert result["requested_model"] == "claude-sonnet-4-5-20250929"
    assert result["long_context_applied"] is True
    assert result["total_usd"] == pytest.approx(1.035, rel=1e-12)
    comp = result["components"]
    assert comp["input"] == {
        "tokens": 130_000,
        "rate_usd_per_mtok": 6.0,
        "cost_usd": pytest.approx(0.78),
    }
    assert comp["cache_write"]["rate_usd_per_mtok"] == 7.5
    assert result["effective_date"] == "2025-09-29"
    assert result["warnings"] == []


def test_run_json_batch_reasoning_and_date() -> None:
    code, out, _ = _run(
        "o3",
        "--input-tokens",
        "10000",
        "--output-tokens",
        "5000",
        "--reasoning-tokens",
        "4000",
        "--batch",
        "--date",
        "2025-05-01",
        "--json",
    )
    assert code == 0
    result = json.loads(out)
    assert result["effective_date"] == "2025-04-16"
    assert result["batch"] is True
    # 50 % fallback: 10,000 × $5/M + 5,000 × $20/M
    assert result["total_usd"] == pytest.approx(0.15, rel=1e-12)
    assert result["components"]["reasoning"]["cost_usd"] == pytest.approx(0.08)


def test_run_missing_cache_price_note() -> None:
    code, out, err = _run(
        "meta.llama3-3-70b-instruct-v1:0",
        "--input-tokens",
        "1000",
        "--output-tokens",
        "100",
        "--cache-read-tokens",
        "500",
    )
    assert code == 0
    assert err.startswith("note: meta.llama3-3-70b-instruct-v1:0: no cache read price listed")
    code, out, err = _run(
        "meta.llama3-3-70b-instruct-v1:0",
        "--input-tokens",
        "1000",
        "--output-tokens",
        "100",
        "--cache-read-tokens",
        "500",
        "--json",
    )
    assert len(json.loads(out)["warnings"]) == 1


def test_run_default_catalog() -> None:
    code, out, err = _run(
        "gpt-4o", "--input-tokens", "1000", "--output-tokens", "10", "--json", catalog=None
    )
    assert code == 0, err
    assert json.loads(out)["provider"] == "openai"


def _single_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_run_unknown_model_did_you_mean() -> None:
    code, out, err = _run("gpt4o", "--input-tokens", "1", "--output-tokens", "1")
    assert code == 2 and out == ""
    line = _single_error_line(err)
    assert line.startswith(f"{SMALL}: models: ")
    assert line.endswith("found 'gpt4o' (did you mean 'gpt-4o'?)")


def test_run_date_before_first_price() -> None:
    code, _, err = _run(
        "gpt-4o", "--input-tokens", "1", "--output-tokens", "1", "--date", "2020-01-01"
    )
    assert code == 2
    assert _single_error_line(err) == (
        f"{SMALL}: models.gpt-4o.prices: expected a date on or after the first price of "
        "'gpt-4o' (2024-05-13), found 2020-01-01"
    )


def test_run_bad_date() -> None:
    code, _, err = _run(
        "gpt-4o", "--input-tokens", "1", "--output-tokens", "1", "--date", "01/02/2025"
    )
    assert code == 2
    assert _single_error_line(err) == "--date: expected a date (YYYY-MM-DD), found '01/02/2025'"


def test_run_negative_tokens() -> None:
    code, _, err = _run("gpt-4o", "--input-tokens", "-5", "--output-tokens", "1")
    assert code == 2
    assert _single_error_line(err) == "--input-tokens: expected a whole number ≥ 0, found -5"


def test_run_cached_more_than_input() -> None:
    code, _, err = _run(
        "gpt-4o",
        "--input-tokens",
        "10",
        "--output-tokens",
        "1",
        "--cache-read-tokens",
        "8",
        "--cache-write-tokens",
        "5",
    )
    assert code == 2
    assert "expected at most --input-tokens" in _single_error_line(err)


def test_run_reasoning_more_than_output() -> None:
    code, _, err = _run(
        "o3", "--input-tokens", "10", "--output-tokens", "1", "--reasoning-tokens", "2"
    )
    assert code == 2
    assert _single_error_line(err).startswith(
        "--reasoning-tokens: expected at most --output-tokens"
    )


def test_run_malformed_catalog(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("models: [unclosed\n", encoding="utf-8")
    code, _, err = _run("gpt-4o", "--input-tokens", "1", "--output-tokens", "1", catalog=bad)
    assert code == 2
    line = _single_error_line(err)
    assert line.startswith(f"{bad}: line ")
    assert "malformed YAML" in line


def test_run_invalid_catalog_lists_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = SMALL.read_text(encoding="utf-8")
    text = text.replace("input_per_mtok: 5.0", "input_per_mtok: -5.0").replace(
        "tier: reasoning", "tier: clever"
    )
    bad.write_text(text, encoding="utf-8")
    code, _, err = _run("gpt-4o", "--input-tokens", "1", "--output-tokens", "1", catalog=bad)
    assert code == 2
    lines = err.strip().splitlines()
    assert lines == [
        f"{bad}: models.gpt-4o.prices.0.input_per_mtok: expected a number ≥ 0, found -5.0",
        f"{bad}: models.o3.tier: expected one of 'small', 'mid', 'frontier', 'reasoning', "
        "'embedding' or 'rerank', found 'clever'",
    ]


def test_run_missing_catalog(tmp_path: Path) -> None:
    missing = tmp_path / "none.yaml"
    code, _, err = _run("gpt-4o", "--input-tokens", "1", "--output-tokens", "1", catalog=missing)
    assert code == 2
    assert _single_error_line(err) == f"{missing}: expected a file, found nothing at this path"
