"""Volume: users, requests and outcomes over the months of the horizon."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

Array = NDArray[np.float64]


def _col(x: ArrayLike) -> Array:
    """Trials as a column ``(n, 1)`` (scalars stay 0-d) so they broadcast against months."""
    a = np.asarray(x, dtype=float)
    return a[:, None] if a.ndim == 1 else a


def adoption_share(
    months_live: ArrayLike,
    start_share: ArrayLike = 1.0,
    midpoint_month: ArrayLike = 0.0,
    steepness: ArrayLike = 1.0,
    ceiling: ArrayLike = 1.0,
) -> Array:
    """Share of the user base active, a logistic ramp from ``start_share`` to ``ceiling``.

    ``share(t) = start + (ceiling − start) · S(t)`` with the logistic
    ``L(t) = 1 / (1 + exp(−k (t − m)))`` normalised so that ``S(0) = 0`` and ``S(∞) = 1``:
    ``S(t) = (L(t) − L(0)) / (1 − L(0))``.

    Parameters
    ----------
    months_live : array_like, shape (M,) [months]
        Months since go-live (0 for the first live month); negative values (before go-live)
        give a share of 0.
    start_share : [fraction]
        Share in the first live month.
    midpoint_month : [months]
        Month at which the logistic is halfway.
    steepness : [1/month]
        Logistic rate k; 0 keeps adoption flat at ``start_share``.
    ceiling : [fraction]
        Saturation share.

    Returns
    -------
    numpy.ndarray, shape (n, M) or (M,) [fraction]
    """
    t = np.asarray(months_live, dtype=float)
    start, mid, k, cap = (_col(v) for v in (start_share, midpoint_month, steepness, ceiling))
    l0 = special.expit(-k * mid)  # L(0)
    denom = 1.0 - l0
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = np.where(denom > 0, (cap - start) / denom, 0.0)  # (ceiling − start) / (1 − L(0))
    # share = start + gain · (L(t) − L(0)), built in place on one (n, M) array
    z = np.maximum(t, 0.0) - mid
    # any parameter may be per trial (n, 1) while the others are constants: the result takes
    # the broadcast shape of all of them before the in-place steps below
    shape = np.broadcast_shapes(z.shape, np.shape(k), np.shape(l0), np.shape(gain), np.shape(start))
    if z.shape == shape:
        np.multiply(z, k, out=z)
    else:
        z = np.multiply(np.broadcast_to(z, shape), k)
    special.expit(z, out=z)
    z -= l0
    z *= gain
    z += start
    np.clip(z, 0.0, 1.0, out=z)
    if np.any(t < 0):
        z[..., t < 0] = 0.0
    return z


def monthly_users(
    active_users: ArrayLike, adoption: ArrayLike, growth_per_month: ArrayLike, months_live: ArrayLike
) -> Array:
    """Active users in each month [users].

    ``users(t) = active_users · adoption(t) · (1 + g)^t`` for live months, 0 before go-live.

    Parameters
    ----------
    active_users : [users]
        User base at full adoption.
    adoption : (n, M) [fraction]
        From :func:`adoption_share`.
    growth_per_month : [fraction/month]
        Compound growth of the user base (may be negative).
    months_live : (M,) [months]
    """
    t = np.maximum(np.asarray(months_live, dtype=float), 0.0)
    g = _col(growth_per_month)
    if np.ndim(g) == 0:
        growth = (1.0 + g) ** t
    else:  # (1 + g)^t as exp(t · log1p(g)): one exponential instead of a power per element
        growth = np.multiply.outer(np.log1p(g[:, 0]), t) if g.ndim == 2 else np.log1p(g) * t
        np.exp(growth, out=growth)
    return _col(active_users) * adoption * growth


def new_users(users: ArrayLike) -> Array:
    """Users who join in each month (increases only) [users/month].

    The first month counts every user as new (they all need training).
    """
    u = np.asarray(users, dtype=float)
    prev = np.concatenate([np.zeros_like(u[..., :1]), u[..., :-1]], axis=-1)
    return np.maximum(u - prev, 0.0)
