"""Anisotropic inverse Compton: kernel, ISRF angular model, harmonics on the sky.

Truths: Blumenthal & Gould 1970 eq. 2.48 (the isotropic average), the Thomson-limit
scattered power sigma_T c gamma^2 eps (1 - cos theta)^2 (Rybicki & Lightman eq. 7.16a),
the closed-form intensity above an emitting slab, direct quadrature over the sphere in
Cartesian coordinates (no harmonics), and a brute-force line-of-sight integral with the
local frame built from scratch.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.polynomial import legendre as npleg

import escapade
from escapade.config import validate_config
from escapade.emission.ic_anisotropic import _z_u0, ic_kernel_anisotropic, kernel_legendre_moments
from escapade.interactions.inverse_compton import SIGMA_T_CM2, ic_kernel
from escapade.leptons.isrf_angular import (
    EMITTERS,
    EmittingDisk,
    angular_coefficients,
    harmonic_pairs,
    legendre_factor,
    real_harmonic,
)
from escapade.sky.assemble import skymap
from escapade.sky.geometry import Geometry
from escapade.sky.los import los_integrate

C_CM_S = 2.99792458e10
CASES = [  # gamma, eps (GeV), eps1 (GeV): Thomson, mild and deep Klein-Nishina
    (1e4, 6e-13, 1e-4),
    (1e4, 1e-9, 1e-2),
    (1e5, 1e-9, 1.0),
    (2e5, 1e-9, 50.0),
    (1e6, 3e-9, 400.0),
]


@pytest.mark.parametrize("g, eps, e1", CASES)
def test_isotropic_average_is_blumenthal_gould(g, eps, e1):
    kap = kernel_legendre_moments(eps, g, e1, 0)
    np.testing.assert_allclose(kap[0] / (4 * math.pi), ic_kernel(eps, g, e1), rtol=1e-10)


@pytest.mark.parametrize("g, eps, e1", CASES)
def test_legendre_moments_against_quadrature(g, eps, e1):
    """Closed-form kappa_l against Gauss-Legendre in ln u over the kinematic range."""
    lmax = 10
    kap = kernel_legendre_moments(eps, g, e1, lmax)
    _, u0 = _z_u0(eps, g, e1)
    x, w = np.polynomial.legendre.leggauss(200)
    a, b = math.log(u0), math.log(2.0)
    u = np.exp(0.5 * (b - a) * x + 0.5 * (a + b))
    wu = 0.5 * (b - a) * w * u
    k = ic_kernel_anisotropic(eps, g, e1, u)
    for ell in range(lmax + 1):
        num = 2 * math.pi * np.sum(wu * k * npleg.legval(u - 1.0, [0] * ell + [1]))
        assert num == pytest.approx(kap[ell], rel=1e-6, abs=1e-9 * abs(kap[0]))


@pytest.mark.parametrize("u", [0.1, 0.5, 1.0, 2.0])
def test_thomson_scattered_power_angle_dependence(u):
    g, eps = 1e3, 1e-12  # gamma eps << m c^2
    e1 = np.linspace(0.0, 2 * g * g * eps * u * 1.001, 200_001)
    power = np.trapezoid(ic_kernel_anisotropic(eps, g, e1, u) * e1, e1)
    assert power / (SIGMA_T_CM2 * C_CM_S * g * g * eps * u * u) == pytest.approx(1.0, abs=1e-4)


def test_emitting_slab_closed_form():
    h, z0 = 0.3, 0.7
    disk = EmittingDisk(1e9, h)  # infinite slab exp(-|z| / h)
    mu = np.array([-0.9, -0.5, -0.2, 0.2, 0.5, 0.9])
    exact = np.where(mu > 0, h / mu * math.exp(-z0 / h), h / np.abs(mu) * (2 - math.exp(-z0 / h)))
    np.testing.assert_allclose(disk.intensity(8.5, z0, mu, 0.3), exact, rtol=3e-3)
    # a uniformly absorbing slab seen from its mid-plane: int_0^inf e^{-t/..}: tau = k t
    thick = EmittingDisk(1e9, 1e9, tau_per_kpc=0.5, dust_r_scale_kpc=1e9, dust_z_scale_kpc=1e9)
    np.testing.assert_allclose(thick.intensity(8.5, 0.0, np.array([0.0]), 0.0), 2.0, rtol=3e-3)


def test_angular_coefficients_normalisation_and_symmetry():
    lmax = 6
    pairs = harmonic_pairs(lmax)
    r = np.array([0.0, 4.0, 8.5])
    z = np.array([-1.0, 0.0, 1.0])
    for disk in EMITTERS.values():
        a = angular_coefficients(disk, lmax, r, z)
        np.testing.assert_allclose(a[0], 1 / math.sqrt(4 * math.pi), rtol=1e-10)
        for p, (ell, m) in enumerate(pairs):
            if m > 0:  # on the axis the field is symmetric about e_z
                assert abs(a[p, 0, :]).max() < 2e-3 * a[0, 0, 0]
            if (ell + m) % 2:  # up-down symmetry in the plane
                assert abs(a[p, :, 1]).max() < 1e-12
            np.testing.assert_allclose(a[p, :, 0], (-1) ** (ell + m) * a[p, :, 2], atol=1e-12)
        # photons come from below (mu < 0) above the plane and from the inner Galaxy
        mean_mu = a[pairs.index((1, 0)), 2, 2] * math.sqrt(4 * math.pi / 3)
        mean_radial = -a[pairs.index((1, 1)), 2, 2] * math.sqrt(4 * math.pi / 3)
        assert mean_mu < -0.1 and mean_radial < -0.1


def _sphere(n_mu=400, n_phi=400):
    x, w = np.polynomial.legendre.leggauss(n_mu)
    phi = (np.arange(n_phi) + 0.5) * 2 * math.pi / n_phi
    mu, ph = np.meshgrid(x, phi, indexing="ij")
    st = np.sqrt(1 - mu**2)
    s = np.stack([st * np.cos(ph), st * np.sin(ph), mu], axis=-1)
    return s.reshape(-1, 3), (w[:, None] * np.full(n_phi, 2 * math.pi / n_phi)).ravel()


@pytest.mark.parametrize("g, eps, e1", [CASES[0], CASES[2], CASES[3]])
def test_harmonic_emissivity_equals_direct_sphere_quadrature(g, eps, e1):
    """sum_lm a_lm kappa_l Y_lm(e) = int dOmega_s f(s) K(1 + s.e), f by direct ray sums."""
    disk = EMITTERS["starlight"]
    r0, z0 = 6.0, 1.5
    s, w = _sphere()
    inten = disk.intensity(r0, z0, s[:, 2], np.arctan2(s[:, 1], s[:, 0]))
    f = inten / np.sum(inten * w)
    lmax = 8
    pairs = harmonic_pairs(lmax)
    a = angular_coefficients(disk, lmax, np.array([r0]), np.array([z0]))[:, 0, 0]
    kap = kernel_legendre_moments(eps, g, e1, lmax)
    iso = kap[0] / (4 * math.pi)
    spread = []
    for e in ([0.8, 0.0, -0.6], [-0.6, 0.0, -0.8], [0.0, 0.6, 0.8], [-1.0, 0.0, 0.0]):
        e = np.array(e) / np.linalg.norm(e)
        direct = np.sum(w * f * ic_kernel_anisotropic(eps, g, e1, 1.0 + s @ e))
        cospsi = e[0] / math.sqrt(max(1 - e[2] ** 2, 1e-300))
        harm = sum(
            a[p] * kap[ell] * real_harmonic(ell, m, e[2], cospsi)
            for p, (ell, m) in enumerate(pairs)
        )
        assert harm == pytest.approx(direct, rel=0.01, abs=0.01 * iso)
        spread.append(direct / iso)
    assert max(spread) - min(spread) > 0.1  # the anisotropy is not negligible here


def test_los_harmonic_integrals_against_brute_force():
    """cos(m psi)-weighted sight-line integrals vs a local frame built from scratch."""
    geom = Geometry(8.5, 20.0, 4.0)
    r = np.linspace(0, 20, 201)
    z = np.linspace(-4, 4, 201)
    rr, zz = np.meshgrid(r, z, indexing="ij")
    pairs = [(1, 0), (1, 1), (2, 1), (2, 2), (3, 3)]
    # m > 0 coefficients of an axisymmetric field vanish on the axis like R^m
    cols = [
        np.exp(-rr / (3 + p)) * (1 + 0.3 * zz) * np.tanh(rr) ** m for p, (_, m) in enumerate(pairs)
    ]
    tab = np.stack(cols, axis=-1)
    lon = np.radians([0.0, 30.0, 100.0, 180.0, 10.0])
    lat = np.radians([20.0, -45.0, 5.0, 60.0, 85.0])
    vals = los_integrate(tab, geom, lon, lat, harmonic_m=[m for _, m in pairs])
    got = sum(
        legendre_factor(ell, m, -np.sin(lat)) * vals[:, p] for p, (ell, m) in enumerate(pairs)
    )
    from scipy.interpolate import RegularGridInterpolator

    interp = [RegularGridInterpolator((r, z), c) for c in cols]
    for i, (lo, la) in enumerate(zip(lon, lat, strict=True)):
        n = np.array([-math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)])
        s_max = float(
            np.min(
                [
                    geom.h_kpc / abs(math.sin(la)),
                    (8.5 * math.cos(lo) + math.sqrt(400 - (8.5 * math.sin(lo)) ** 2))
                    / math.cos(la),
                ]
            )
        )
        s = (np.arange(40_000) + 0.5) * s_max / 40_000
        x = np.array([8.5, 0.0, 0.0]) + s[:, None] * n
        rad = np.hypot(x[:, 0], x[:, 1])
        e_r = np.stack([x[:, 0] / rad, x[:, 1] / rad, 0 * rad], axis=-1)
        e_phi = np.stack([-x[:, 1] / rad, x[:, 0] / rad, 0 * rad], axis=-1)
        e = -n  # photon direction, towards the Sun
        er, ephi, ez = e_r @ e, e_phi @ e, e[2]
        cospsi = er / np.hypot(er, ephi)
        y = sum(
            interp[p](np.stack([rad, x[:, 2]], -1)) * real_harmonic(ell, m, ez, cospsi)
            for p, (ell, m) in enumerate(pairs)
        )
        brute = np.sum(y) * s_max / s.size
        assert got[i] == pytest.approx(
            brute, rel=2e-3, abs=1e-3 * np.sum(np.abs(y)) * s_max / s.size
        )


def test_monopole_is_the_isotropic_emissivity(leptonic_solution):
    from escapade.emission.leptonic import _ic_moment_vectors, _ic_vectors

    ekin = np.ascontiguousarray(leptonic_solution["ekin_gev_per_n"].values, dtype=float)
    for t_k in (20.0, 5000.0):
        mom = _ic_moment_vectors(ekin.tobytes(), (2.0, 20.0), t_k, 3)
        iso = _ic_vectors(ekin.tobytes(), (2.0, 20.0), (t_k,))[0]
        np.testing.assert_allclose(mom[0] / (4 * math.pi), iso, rtol=1e-10)


def test_skymap_anisotropic_ic(leptonic_solution):
    ds = leptonic_solution
    iso = skymap(ds, (2.0, 20.0), 8)
    ani = skymap(ds, (2.0, 20.0), 8, ic_anisotropic=True)
    assert iso.meta["ic_anisotropic"] is False and ani.meta["ic_anisotropy_lmax"] == 4
    for c in ("HI", "H2", "HII", "bremsstrahlung"):
        np.testing.assert_array_equal(ani.maps[c], iso.maps[c])
    np.testing.assert_allclose(
        ani.maps["total"], ani.maps["pi0"] + ani.maps["IC"] + ani.maps["bremsstrahlung"]
    )
    ratio = ani.maps["IC"] / iso.maps["IC"]
    assert np.all(ratio > 0.5) and np.all(ratio < 2.0)
    lon, lat = ani.lonlat_deg()
    anti = (np.abs(lat) < 30) & (np.abs(lon - 180) < 30)
    assert ratio[anti].mean() > 1.2  # electrons heading inwards meet the disc light head-on
    # the harmonic series has converged by l = 4
    ani8 = skymap(ds, (2.0, 20.0), 8, ic_anisotropic=True, ic_lmax=8)
    np.testing.assert_allclose(ani8.maps["IC"], ani.maps["IC"], rtol=0.01)
    with pytest.raises(ValueError, match="ic_anisotropy_lmax"):
        skymap(ds, (2.0, 20.0), 8, ic_anisotropic=True, ic_lmax=40)


def test_gamma_cli_anisotropic_flag(leptonic_solution, tmp_path):
    from astropy.io import fits

    from escapade.cli import main
    from escapade.io import write_solution

    sol = write_solution(leptonic_solution, tmp_path / "lep.nc")
    iso, ani = tmp_path / "iso", tmp_path / "ani"
    assert main(["gamma", str(sol), "--bands", "2:20", "--nside", "8", "-o", str(iso)]) == 0
    args = ["gamma", str(sol), "--bands", "2:20", "--nside", "8", "-o", str(ani)]
    assert main(args + ["--ic-anisotropic", "--ic-lmax", "3"]) == 0
    name = "IC_2-20GeV_nside8.fits"
    with fits.open(iso / name) as a, fits.open(ani / name) as b:
        assert not a["SKYMAP"].header["ICANISO"]
        assert b["SKYMAP"].header["ICANISO"] and b["SKYMAP"].header["ICLMAX"] == 3
        assert not np.allclose(a["SKYMAP"].data["CHANNEL1"], b["SKYMAP"].data["CHANNEL1"])
    assert main(args + ["--ic-anisotropic", "--ic-lmax", "40"]) == 2


def test_cmb_alone_stays_isotropic():
    """The CMB is isotropic: with it as the only target the option changes nothing."""
    cfg = validate_config(
        {
            "grid": {"nr": 21, "nz": 21, "n_ekin": 25},
            "species": {"z_max": 2},
            "leptons": {"enabled": True, "isrf_model": "cmb", "ic_anisotropic": True},
        }
    )
    ds = escapade.solve(cfg, full=True)
    ani = skymap(ds, (2.0, 20.0), 4)  # switched on by the config key
    iso = skymap(ds, (2.0, 20.0), 4, ic_anisotropic=False)
    assert ani.meta["ic_anisotropic"] is True
    np.testing.assert_allclose(ani.maps["IC"], iso.maps["IC"], rtol=1e-12)
