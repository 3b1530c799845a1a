"""``adoption_share`` takes any mix of per-trial (n,) and constant parameters.

A point steepness with ranges on start_share / ceiling crashed with shapes (24,) vs (4096, 24).
Every mix must give the same numbers as evaluating each trial alone with scalars.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from numpy.testing import assert_allclose

from finops_model.costs.volume import adoption_share

T = np.arange(24, dtype=float)
VALUES = {"start_share": (0.1, np.array([0.1, 0.2, 0.3])), "midpoint_month": (6.0, np.array([3.0, 6.0, 9.0])),
          "steepness": (0.5, np.array([0.2, 0.5, 1.0])), "ceiling": (0.9, np.array([0.8, 0.9, 1.0]))}


@pytest.mark.parametrize("per_trial", list(itertools.product([False, True], repeat=4)))
def test_adoption_share_any_mix_of_per_trial_parameters(per_trial):
    kw = {name: (arr if pt else const) for (name, (const, arr)), pt in zip(VALUES.items(), per_trial, strict=True)}
    out = adoption_share(T, **kw)
    if not any(per_trial):
        assert out.shape == (24,)
        rows = [out]
    else:
        assert out.shape == (3, 24)
        rows = list(out)
    for i, row in enumerate(rows):
        scalars = {k: (float(v[i]) if np.ndim(v) else v) for k, v in kw.items()}
        assert_allclose(row, adoption_share(T, **scalars), rtol=1e-12)


def test_adoption_share_hand_checked_point():
    # start 0.1, ceiling 0.9, k 0.5, midpoint 6: L(0) = 1/(1+e^3); at t = 6, L = 0.5
    l0 = 1 / (1 + np.exp(3.0))
    expected = 0.1 + 0.8 * (0.5 - l0) / (1 - l0)
    out = adoption_share(np.array([0.0, 6.0]), np.array([0.1, 0.1]), 6.0, 0.5, np.array([0.9, 0.9]))
    assert_allclose(out[:, 1], expected, rtol=1e-12)
    assert_allclose(out[:, 0], 0.1, rtol=1e-12)
