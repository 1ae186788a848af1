"""Closed-form reference solutions used by the tests (derived in docs/validation.md)."""

from __future__ import annotations

import numpy as np
from scipy import special


def bessel_slab_density(
    r_kpc, z_kpc, *, r_max_kpc, h_kpc, slab_half_kpc, d_kpc2_myr, q_of_r, q0=1.0, n_terms=400
):
    """Steady diffusion from q0 q(R) in the slab |z| < slab_half; uniform D, N = 0 on walls.

    N(R, z) = sum_n J0(zeta_n R / R_max) f_n(z), with the Fourier-Bessel coefficients
    q_n = 2 / (R_max^2 J1(zeta_n)^2) int_0^Rmax R q(R) J0(zeta_n R / R_max) dR and
    f_n = q_n q0 / (D k^2) [1 - cosh(k (H - h)) / cosh(k H) cosh(k z)]      for |z| <= h,
    f_n = q_n q0 / (D k^2) sinh(k h) sinh(k (H - |z|)) / cosh(k H)           for |z| >= h,
    k = zeta_n / R_max.
    """
    zeros = special.jn_zeros(0, n_terms)
    r = np.atleast_1d(np.asarray(r_kpc, float))
    z = np.atleast_1d(np.asarray(z_kpc, float))
    big_r, hh, h = r_max_kpc, h_kpc, slab_half_kpc
    out = np.zeros(np.broadcast_shapes(r.shape, z.shape))
    az = np.abs(z)
    # Fourier-Bessel coefficients by Gauss-Legendre quadrature on 200 panels
    x, w = np.polynomial.legendre.leggauss(16)
    edges = np.linspace(0.0, big_r, 201)
    xs = (
        0.5 * (edges[1:] - edges[:-1])[:, None] * x + 0.5 * (edges[1:] + edges[:-1])[:, None]
    ).ravel()
    ws = (0.5 * (edges[1:] - edges[:-1])[:, None] * w).ravel()
    qns = special.j0(np.outer(zeros, xs) / big_r) @ (ws * xs * q_of_r(xs))
    qns *= 2.0 / (big_r**2 * special.j1(zeros) ** 2)
    for zeta, qn in zip(zeros, qns, strict=True):
        k = zeta / big_r
        amp = qn * q0 / (d_kpc2_myr * k**2)
        # stable ratios of hyperbolic functions for large k
        inside = (
            1.0
            - np.exp(-k * h)
            * (1 + np.exp(-2 * k * (hh - h)))
            / (1 + np.exp(-2 * k * hh))
            * (np.exp(k * (az - 0.0)) + np.exp(-k * az))
            / 2.0
            * 1.0
        )
        outside = (
            (1 - np.exp(-2 * k * h))
            / 2.0
            * np.exp(k * h)
            * (np.exp(-k * az) - np.exp(-k * (2 * hh - az)))
            / (1 + np.exp(-2 * k * hh))
        )
        fz = np.where(az <= h, inside, outside)
        out = out + amp * special.j0(zeta * r / big_r) * fz
    return out


def loss_box_density(ekin, *, escape_rate, loss_rate, source):
    """Leaky box with continuous losses: escape_rate(E) N - d(b N)/dE = Q(E).

    N(E) = 1/b(E) int_E^inf Q(E') exp(-int_E^E' escape_rate / b dE'') dE',
    evaluated by adaptive quadrature in ln E (the reference for the energy march).
    """
    from scipy import integrate

    def inner(e0, e1):
        val, _ = integrate.quad(
            lambda le: escape_rate(np.exp(le)) / loss_rate(np.exp(le)) * np.exp(le),
            np.log(e0),
            np.log(e1),
            limit=200,
        )
        return val

    out = []
    for e in np.atleast_1d(ekin):
        nodes = np.log(e) + np.linspace(0.0, 12.0, 97)
        val = 0.0
        acc = 0.0  # int_E^E' escape/b dE'' accumulated panel by panel
        for a, b in zip(nodes[:-1], nodes[1:], strict=True):
            part, _ = integrate.quad(
                lambda le, a=a, acc=acc: (
                    source(np.exp(le)) * np.exp(le) * np.exp(-acc - inner(np.exp(a), np.exp(le)))
                ),
                a,
                b,
                limit=100,
            )
            val += part
            acc += inner(np.exp(a), np.exp(b))
        out.append(val / loss_rate(e))
    return np.array(out)


def layered_mode(*, d, k2, h, big_h, rate_in, rate_out, c0, cosh_terms=()):
    """One Fourier-Bessel mode of D (f'' - k^2 f) - Gamma(z) f + s(z) = 0 on 0 <= z <= H.

    Gamma = rate_in for |z| < h and rate_out outside; the source s(z) = c0 +
    sum_i c_i cosh(kappa_i z) inside |z| < h and 0 outside; f'(0) = 0, f(H) = 0.
    Inside f = c0 / (D kin^2) + sum_i c_i cosh(kappa_i z) / (D (kin^2 - kappa_i^2))
    + A cosh(kin z), kin^2 = k^2 + rate_in / D; outside f = C sinh(kout (H - z)),
    kout^2 = k^2 + rate_out / D; A and C from continuity of f and f' at z = h.
    Returns (const, [(coef, kappa), ...]) of f inside and a function f(z).
    """
    kin = np.sqrt(k2 + rate_in / d)
    kout = np.sqrt(k2 + rate_out / d)
    const = c0 / (d * kin**2)
    terms = [(c / (d * (kin**2 - kap**2)), kap) for c, kap in cosh_terms]
    fp_h = const + sum(c * np.cosh(kap * h) for c, kap in terms)
    dfp_h = sum(c * kap * np.sinh(kap * h) for c, kap in terms)
    a = np.array(
        [
            [np.cosh(kin * h), -np.sinh(kout * (big_h - h))],
            [kin * np.sinh(kin * h), kout * np.cosh(kout * (big_h - h))],
        ]
    )
    amp, cc = np.linalg.solve(a, np.array([-fp_h, -dfp_h]))
    terms = [*terms, (amp, kin)]

    def f(z):
        az = np.abs(np.asarray(z, dtype=float))
        inside = const + sum(c * np.cosh(kap * az) for c, kap in terms)
        outside = cc * np.sinh(kout * (big_h - az))
        return np.where(az <= h, inside, outside)

    return const, terms, f
