"""Speed and memory benchmarks (``make bench``).

Each ``bench_*.py`` module exposes ``run(quick: bool = False) -> list[dict]``; every row has
``benchmark`` (name), ``measure`` (what was timed), ``median`` (seconds or MB), ``unit``,
``ratio`` (against the reference measured in the same run, or None), ``target`` (text) and
``ok`` (bool or None). Targets are reported, never asserted in tests: timings on a shared
2-core machine vary, ratios measured in one run do not drift as much.
"""
