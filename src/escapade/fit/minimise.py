"""The minimisers: MIGRAD on the exact chi2, and the linearised (surrogate) method."""

from __future__ import annotations

import numpy as np

from .problem import FitProblem

# --------------------------------------------------------------------------- the surrogate


class _Linearised:
    """log F(u) = log F(u_ref) + J (u - u_ref) in the solve parameters (F: flux_local)."""

    def __init__(self, problem: FitProblem, u_ref, ds_ref, jac: np.ndarray):
        self.pb = problem
        self.u_ref = np.array(u_ref, dtype=float)
        self.ds = ds_ref
        f = np.asarray(ds_ref["flux_local"].values, dtype=float)
        self.pos = f > 0
        self.logf = np.log(np.where(self.pos, f, 1.0))
        self.f = f
        self.jac = jac  # (n_solve, species, energy)
        self._template = ds_ref[["flux_local"]]

    def flux(self, u) -> np.ndarray:
        s = self.pb.solve_idx
        if not s:
            return self.f
        du = np.asarray(u, dtype=float)[s] - self.u_ref[s]
        lf = self.logf + np.tensordot(du, self.jac, axes=1)
        return np.where(self.pos, np.exp(np.minimum(lf, 700.0)), self.f)

    def dataset(self, u):
        out = self._template.copy(deep=False)
        out["flux_local"] = (self._template["flux_local"].dims, self.flux(u))
        return out

    def __call__(self, u) -> float:
        return self.pb.chi2_of(self.dataset(u), u)


def _log_flux(ds) -> tuple[np.ndarray, np.ndarray]:
    f = np.asarray(ds["flux_local"].values, dtype=float)
    pos = f > 0
    return np.log(np.where(pos, f, 1.0)), pos


def _jacobian(pb: FitProblem, u, ds_ref) -> np.ndarray:
    """d log F / d u_j by forward differences (one solve per free solve parameter)."""
    lf0, pos0 = _log_flux(ds_ref)
    jac = np.zeros((len(pb.solve_idx), *lf0.shape))
    for k, j in enumerate(pb.solve_idx):
        p = pb.params[j]
        h = p.step
        lo, hi = p.internal_limits()
        if u[j] + h > hi:
            h = -h
        uh = np.array(u, dtype=float)
        uh[j] += h
        ds, _ = pb.solution(uh, reason=f"derivative in {p.name}")
        lf, pos = _log_flux(pb.needed(ds))
        jac[k] = np.where(pos0 & pos, (lf - lf0) / h, 0.0)
    return jac


def _broyden(jac, du, dlf, mask) -> np.ndarray:
    """Rank-one secant update of the Jacobian with a step du and the change of log F."""
    du = np.asarray(du, dtype=float)
    nrm = float(du @ du)
    if nrm == 0:
        return jac
    resid = np.where(mask, dlf - np.tensordot(du, jac, axes=1), 0.0)
    return jac + du[:, None, None] * resid[None] / nrm


def _minuit(fcn, pb: FitProblem, u0, limits=None, strategy: int = 1):
    from iminuit import Minuit

    m = Minuit(fcn, np.array(u0, dtype=float), name=[p.name for p in pb.params])
    m.errordef = Minuit.LEAST_SQUARES
    m.strategy = strategy
    m.errors = [p.step for p in pb.params]
    m.limits = limits if limits is not None else [p.internal_limits() for p in pb.params]
    m.print_level = 0
    return m


def run_migrad(pb: FitProblem, strategy: int, minos: bool):
    m = _minuit(pb.exact, pb, pb.u0, strategy=strategy)
    m.migrad()
    m.hesse()
    if minos and m.valid:
        m.minos()
    return m, np.array(m.values), bool(m.valid), "", (m if minos else None)


def run_linearised(
    pb: FitProblem, strategy: int, minos: bool, tolerance: float, max_iterations: int
):
    """MIGRAD on the linearised model, re-linearised at every new minimum (module docstring)."""
    u = pb.u0.copy()
    ds_ref, _ = pb.solution(u, reason="start")
    pb.restrict_to_grid(ds_ref)
    ds_ref = pb.needed(ds_ref)  # the later solves march only what the data read
    s = pb.solve_idx
    jac = _jacobian(pb, u, ds_ref) if s else np.zeros((0,))
    chi2_ref = pb.chi2_of(ds_ref, u)
    radius = 25.0  # trust region of the solve parameters, in initial steps
    converged = not s
    message = ""
    for it in range(max_iterations if s else 0):
        sur = _Linearised(pb, u, ds_ref, jac)
        limits = []
        for j, p in enumerate(pb.params):
            lo, hi = p.internal_limits()
            if p.solve:
                lo, hi = max(lo, u[j] - radius * p.step), min(hi, u[j] + radius * p.step)
            limits.append((lo, hi))
        m = _minuit(sur, pb, u, limits, strategy)
        m.migrad()
        m.hesse()
        u_new = np.array(m.values)
        err = np.array(m.errors)
        step = float(np.max(np.abs(u_new[s] - u[s]) / np.maximum(err[s], 1e-12)))
        if step < tolerance:  # the solved point u is within tolerance of the minimum
            pb.report(f"iteration {it + 1}: step = {step:.3g} sigma: converged")
            converged = True
            break
        predicted = m.fval
        ds_new = pb.needed(pb.solution(u_new, reason=f"iteration {it + 1}")[0])
        chi2_new = pb.chi2_of(ds_new, u_new)
        pb.report(
            f"iteration {it + 1}: chi2 = {chi2_new:.3f} (linearised {predicted:.3f}), step = "
            f"{step:.3g} sigma"
        )
        lf_ref, pos_ref = _log_flux(ds_ref)
        lf_new, pos_new = _log_flux(ds_new)
        du = u_new[s] - u[s]
        if np.any(np.abs(du) > 1e-6 * np.array([pb.params[j].step for j in s])):
            jac = _broyden(jac, du, lf_new - lf_ref, pos_ref & pos_new)
        if chi2_new <= chi2_ref + 1e-6 * max(1.0, chi2_ref):
            u, ds_ref, chi2_ref = u_new, ds_new, chi2_new
        else:  # the linearisation overshot: shrink the trust region, keep the better point
            radius = min(radius, float(np.max(np.abs(du) / [pb.params[j].step for j in s]))) / 4
            if radius < 1e-3:
                message = "the linearised fit stalled: no step lowered the chi2"
                break
    else:
        if s:
            message = f"the linearised fit did not converge in {max_iterations} iterations"
    # the surrogate is exact at the solved point u: optimise the other parameters there, then
    # HESSE with everything free
    sur = _Linearised(pb, u, ds_ref, jac)
    m = _minuit(sur, pb, u, None, strategy)
    cheap = len(s) < len(pb.params)
    for j in s:
        m.fixed[j] = True
    if cheap:
        m.migrad()
    valid = bool(m.valid) if cheap else True
    u = np.array(m.values)
    for j in s:
        m.fixed[j] = False
    m.hesse()
    mm = None
    if minos:
        mm = _minuit(sur, pb, u, None, strategy)
        mm.migrad()
        mm.hesse()
        if mm.valid:
            mm.minos()
    return m, u, converged and valid, message, mm
