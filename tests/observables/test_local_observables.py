"""Local observables: force-field modulation, element sums, axis conversions, ratios."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from escapade.constants import AMU_GEV, M_ELECTRON_GEV, M_PROTON_GEV
from escapade.observables.local import (
    LocalObservableError,
    convert_flux,
    isotopes_in,
    local_flux,
    modulate,
    observable,
    parse_species,
    particle,
    predict,
    ratio,
)

E = np.logspace(-2, 4, 121)  # 20 nodes per decade, E[40] == 1 GeV/n


def _flux_per_ekin_from_rigidity_law(name, k, gamma=2.7):
    """J_n(E) for a flux K R^-gamma per GV: J_n = J_R dR/dE_n."""
    nuc = particle(name)
    r = nuc.rigidity_gv(E)
    return k * r**-gamma * nuc.drigidity_dekin(E)


def make_ds(fluxes: dict[str, np.ndarray]) -> xr.Dataset:
    names = list(fluxes)
    return xr.Dataset(
        {"flux_local": (("species", "ekin_gev_per_n"), np.stack([fluxes[n] for n in names]))},
        coords={"species": np.array(names, dtype=object), "ekin_gev_per_n": E},
    )


@pytest.fixture(scope="module")
def ds():
    abund = {
        "1H": 1.0,
        "2H": 0.02,
        "3He": 0.01,
        "4He": 0.1,
        "10B": 1e-3,
        "11B": 2e-3,
        "12C": 3e-3,
        "13C": 3e-5,
        "16O": 3e-3,
        "pbar": 2e-5,
        "e-": 1e-2,
        "e+": 1e-3,
    }
    return make_ds({n: _flux_per_ekin_from_rigidity_law(n, k) for n, k in abund.items()})


# -- force field -----------------------------------------------------------------------
def test_force_field_hand_computed_value():
    # J_IS = E^-2 on a log grid (exact under log-log interpolation), 4He: Z/A = 1/2.
    # phi = 0.6 GV -> Phi = 0.3 GeV/n; at E = 1 GeV/n with m = 4 u / 4 = 0.93149410242 GeV:
    # J_TOA = 1.3^-2 * 1 * (1 + 2m) / (1.3 (1.3 + 2m))
    #       = 0.5917159763 * 2.8629882048 / 4.1118846663 = 0.4119949849
    j = modulate(E, E**-2.0, "4He", 0.6)
    assert E[40] == pytest.approx(1.0, rel=1e-14)
    m = 0.93149410242
    expected = 1.3**-2 * (1 + 2 * m) / (1.3 * (1.3 + 2 * m))
    assert expected == pytest.approx(0.4119949849, rel=1e-9)
    assert j[40] == pytest.approx(expected, rel=1e-9)


def test_force_field_is_liouville_invariant_in_momentum():
    # J / p^2 is conserved along the shift E -> E + Phi (same formula, other form)
    phi = 0.75
    for name in ("1H", "12C", "pbar", "e+"):
        nuc = particle(name)
        j_is = _flux_per_ekin_from_rigidity_law(name, 1.0)
        j = modulate(E, j_is, name, phi)
        shift = abs(nuc.z) / nuc.a * phi
        m = nuc.mass_per_nucleon_gev
        sel = slice(10, 110)
        e_is = E[sel] + shift
        j_is_shifted = np.exp(np.interp(np.log(e_is), np.log(E), np.log(j_is)))
        lhs = j[sel] / (E[sel] * (E[sel] + 2 * m))
        rhs = j_is_shifted / (e_is * (e_is + 2 * m))
        np.testing.assert_allclose(lhs, rhs, rtol=1e-10)


def test_force_field_phi_zero_is_identity_and_reduces_flux(ds):
    for name in ("1H", "4He", "pbar", "e-"):
        j = ds["flux_local"].sel(species=name).values
        np.testing.assert_array_equal(modulate(E, j, name, 0.0), j)
        jm = modulate(E, j, name, 0.5)
        assert np.all(jm[:100] < j[:100])  # modulation only lowers low-energy fluxes
        assert np.all(np.isfinite(jm))  # top node: power-law continuation
    da = local_flux(ds, "C", phi_gv=0.0)
    np.testing.assert_array_equal(
        da.values,
        ds["flux_local"].sel(species="12C").values + ds["flux_local"].sel(species="13C").values,
    )


def test_force_field_high_energy_limit_and_leptons():
    j = E**-3.0
    jm = modulate(E, j, "e-", 0.6)
    # lepton: Phi = phi = 0.6 GeV; J(E+Phi)/J(E) = (E/(E+Phi))^3 times the p^2 factor
    i = np.argmin(abs(E - 1e3))
    e, m2 = E[i], 2 * M_ELECTRON_GEV
    assert jm[i] / j[i] == pytest.approx(
        (e / (e + 0.6)) ** 3 * e * (e + m2) / ((e + 0.6) * (e + 0.6 + m2)), rel=1e-9
    )
    assert jm[i] / j[i] == pytest.approx(1 - 5 * 0.6 / 1e3, rel=1e-5)  # E^-(3+2)
    assert particle("e+").mass_gev == M_ELECTRON_GEV
    assert particle("pbar").mass_gev == M_PROTON_GEV


def test_modulate_rejects_bad_input():
    with pytest.raises(LocalObservableError, match="phi_gv"):
        modulate(E, E**-2, "1H", -0.1)
    with pytest.raises(LocalObservableError, match="energies"):
        modulate(E, E[:-1], "1H", 0.5)
    with pytest.raises(LocalObservableError, match="leptons"):
        modulate(E, E**-2, "mu-", 0.5)


# -- sums and conversions --------------------------------------------------------------
def test_element_sums_isotopes_present(ds):
    assert isotopes_in(ds, "B") == ["10B", "11B"]
    assert isotopes_in(ds, "H") == ["1H", "2H"]
    assert isotopes_in(ds, "p") == ["1H", "2H"]
    assert isotopes_in(ds, "He") == ["3He", "4He"]
    assert isotopes_in(ds, "e+e-") == ["e+", "e-"]
    assert isotopes_in(ds, "C+12C+O") == ["12C", "13C", "16O"]
    with pytest.raises(LocalObservableError, match="no species for 'Sc'"):
        isotopes_in(ds, "Sc+Ti+V")  # a sum needs every term
    f = ds["flux_local"]
    for phi in (0.0, 0.7):
        b = local_flux(ds, "B", phi_gv=phi)
        manual = sum(modulate(E, f.sel(species=s).values, s, phi) for s in ("10B", "11B"))
        np.testing.assert_allclose(b.values, manual, rtol=1e-14)
        assert b.dims == ("ekin_gev_per_n",)
        assert b.attrs["units"] == "1/(m^2 s sr GeV/n)"
        assert b["ekin_gev_per_n"].attrs["units"] == "GeV/n"
        assert b.attrs["phi_gv"] == phi


def test_unknown_species_lists_what_the_solution_holds(ds):
    with pytest.raises(LocalObservableError, match=r"no species for 'Fe'.*12C.*elements"):
        local_flux(ds, "Fe")
    with pytest.raises(LocalObservableError, match="cannot read species"):
        local_flux(ds, "carbon")
    with pytest.raises(LocalObservableError, match="unknown x axis"):
        local_flux(ds, "C", x="momentum")


def test_power_law_in_rigidity_round_trip():
    nuc = particle("12C")
    r = np.geomspace(1.0, 1e4, 50)
    j_r = 3.0 * r**-2.7
    e_n, j_n = convert_flux(r, j_r, "12C", "rigidity", "ekin")
    np.testing.assert_allclose(e_n, nuc.ekin_from_rigidity(r), rtol=1e-14)
    # dN/dE_n = dN/dR * dR/dE_n with dR/dE_n = (A/Z)/beta
    np.testing.assert_allclose(j_n, j_r * nuc.drigidity_dekin(e_n), rtol=1e-12)
    r2, j_r2 = convert_flux(e_n, j_n, "12C", "ekin", "rigidity")
    np.testing.assert_allclose(r2, r, rtol=1e-12)
    np.testing.assert_allclose(j_r2, j_r, rtol=1e-12)
    # per total kinetic energy and per total energy: dN/dE_k = dN/dE_n / A, same for E_tot
    ek, j_k = convert_flux(e_n, j_n, "12C", "ekin", "ekin_total")
    np.testing.assert_allclose(ek, 12 * e_n)
    np.testing.assert_allclose(j_k, j_n / 12, rtol=1e-14)
    et, j_t = convert_flux(e_n, j_n, "12C", "ekin", "etot")
    np.testing.assert_allclose(et, 12 * e_n + 12 * AMU_GEV, rtol=1e-14)
    np.testing.assert_allclose(j_t, j_k, rtol=1e-14)


def test_single_isotope_vs_rigidity_on_grid_nodes():
    ds1 = make_ds({"12C": _flux_per_ekin_from_rigidity_law("12C", 2.0)})
    da = local_flux(ds1, "12C", x="rigidity")
    r = particle("12C").rigidity_gv(E)
    np.testing.assert_allclose(da["rigidity_gv"].values, r, rtol=1e-14)
    np.testing.assert_allclose(da.values, 2.0 * r**-2.7, rtol=1e-10)
    assert da.attrs["units"] == "1/(m^2 s sr GV)"


def test_element_vs_rigidity_sums_at_the_same_rigidity():
    # 10B and 11B with the same power law in rigidity: the element is (K10 + K11) R^-2.7
    k10, k11 = 1.0, 2.0
    ds2 = make_ds(
        {
            "10B": _flux_per_ekin_from_rigidity_law("10B", k10),
            "11B": _flux_per_ekin_from_rigidity_law("11B", k11),
        }
    )
    r = np.geomspace(2.0, 5e3, 40)
    da = local_flux(ds2, "B", x="rigidity", x_values=r)
    np.testing.assert_allclose(da.values, (k10 + k11) * r**-2.7, rtol=1e-3)
    # summing at the same E_n instead and converting with one A/Z would be wrong by
    # far more than that at low rigidity (the isotopes' A/Z differ by 10 %)
    e_n = particle("11B").ekin_from_rigidity(r)
    wrong = local_flux(ds2, "B", x_values=e_n).values * (5 / 11) * particle("11B").beta(e_n)
    assert np.max(np.abs(wrong / da.values - 1)) > 0.05
    # the default rigidity grid stays inside the range both isotopes cover
    d = local_flux(ds2, "B", x="rigidity")
    assert np.all(np.isfinite(d.values))


def test_helium_per_total_kinetic_energy_and_etot(ds):
    ek = np.geomspace(1.0, 1e3, 25)
    da = local_flux(ds, "He", x="ekin_total", x_values=ek)
    f = ds["flux_local"]
    manual = 0.0
    for s, a in (("3He", 3), ("4He", 4)):
        manual = (
            manual
            + np.exp(np.interp(np.log(ek / a), np.log(E), np.log(f.sel(species=s).values))) / a
        )
    np.testing.assert_allclose(da.values, manual, rtol=1e-12)
    assert da.dims == ("ekin_gev",)
    # etot of a lepton: E_tot = E_k + m_e, same flux per GeV
    et = local_flux(ds, "e-", x="etot", x_values=ek + M_ELECTRON_GEV)
    ekl = local_flux(ds, "e-", x="ekin_total", x_values=ek)
    np.testing.assert_allclose(et.values, ekl.values, rtol=1e-12)


def test_outside_the_grid_is_nan(ds):
    da = local_flux(ds, "C", x_values=np.array([1e-3, 1.0, 1e5]))
    assert np.isnan(da.values[0]) and np.isfinite(da.values[1]) and np.isnan(da.values[2])


# -- ratios ----------------------------------------------------------------------------
@pytest.mark.parametrize("x", ["ekin", "rigidity", "ekin_total", "etot"])
def test_ratio_of_identical_species_is_one(ds, x):
    for phi in (0.0, 0.6):
        r = ratio(ds, "C", "C", phi_gv=phi, x=x)
        np.testing.assert_allclose(r.values, 1.0, rtol=1e-14)
        assert r.attrs["units"] == "1"


def test_ratio_b_over_c(ds):
    f = ds["flux_local"]
    phi = 0.55
    r = ratio(ds, "B", "C", phi_gv=phi)
    num = sum(modulate(E, f.sel(species=s).values, s, phi) for s in ("10B", "11B"))
    den = sum(modulate(E, f.sel(species=s).values, s, phi) for s in ("12C", "13C"))
    np.testing.assert_allclose(r.values, num / den, rtol=1e-13)
    # at the same rigidity: ratio of the per-GV fluxes on a common grid
    rr = ratio(ds, "B", "C", phi_gv=phi, x="rigidity")
    bx = local_flux(ds, "B", phi, x="rigidity", x_values=rr["rigidity_gv"].values)
    cx = local_flux(ds, "C", phi, x="rigidity", x_values=rr["rigidity_gv"].values)
    np.testing.assert_allclose(rr.values, bx.values / cx.values, rtol=1e-13)
    assert np.all(np.isfinite(rr.values))


def test_observable_names_and_predict(ds):
    pf = observable(ds, "posfraction", phi_gv=0.5, x="rigidity")
    ep = local_flux(ds, "e+", 0.5, x="rigidity", x_values=pf["rigidity_gv"].values)
    em = local_flux(ds, "e-", 0.5, x="rigidity", x_values=pf["rigidity_gv"].values)
    np.testing.assert_allclose(pf.values, ep.values / (ep.values + em.values), rtol=1e-13)
    pbp = observable(ds, "pbar/p", 0.5, x="rigidity")
    assert np.all((pbp.values > 0) & (pbp.values < 1e-3))
    assert parse_species("e++e-") == ["e+", "e-"]
    assert parse_species("(Sc+Ti+V)") == ["Sc", "Ti", "V"]

    class M:  # duck-typed measurement: total kinetic energy per particle in GeV
        observable = "He"
        x_kind = "ekin"
        x = np.array([10.0, 100.0])

    y = predict(ds, M(), phi_gv=0.4)
    np.testing.assert_allclose(
        y, local_flux(ds, "He", 0.4, x="ekin_total", x_values=M.x).values, rtol=1e-14
    )
