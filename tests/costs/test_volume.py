import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from finops_model.costs import volume


def test_adoption_share_flat_when_start_is_ceiling():
    s = volume.adoption_share(np.arange(12), start_share=1.0, ceiling=1.0)
    assert_allclose(s, 1.0)


def test_adoption_share_hand_computed_logistic():
    # k = 1, midpoint 0: S(t) = (L(t) − ½) / ½ = tanh(t / 2)
    t = np.arange(6.0)
    s = volume.adoption_share(t, start_share=0.2, midpoint_month=0.0, steepness=1.0, ceiling=0.8)
    assert_allclose(s, 0.2 + 0.6 * np.tanh(t / 2))


def test_adoption_share_zero_before_go_live():
    s = volume.adoption_share(np.array([-2.0, -1.0, 0.0]), start_share=0.5)
    assert_allclose(s, [0.0, 0.0, 0.5])


def test_adoption_share_vectorised_over_trials():
    s = volume.adoption_share(np.arange(4), start_share=np.array([0.1, 0.5]), midpoint_month=np.array([2.0, 3.0]))
    assert s.shape == (2, 4)
    assert_allclose(s[:, 0], [0.1, 0.5])


@given(st.floats(0, 1), st.floats(0, 24), st.floats(0.01, 5), st.floats(0, 1))
def test_adoption_share_stays_a_fraction_and_moves_towards_ceiling(start, mid, k, cap):
    s = volume.adoption_share(np.arange(60), start, mid, k, cap)
    assert np.all((s >= 0) & (s <= 1))
    d = np.diff(s)
    assert np.all(d >= -1e-12) if cap >= start else np.all(d <= 1e-12)


def test_monthly_users_compound_growth():
    u = volume.monthly_users(100.0, np.ones(3), 0.1, np.arange(3.0))
    assert_allclose(u, [100.0, 110.0, 121.0])


def test_new_users_counts_increases_only():
    assert_allclose(volume.new_users(np.array([[10.0, 15.0, 12.0, 20.0]])), [[10.0, 5.0, 0.0, 8.0]])
