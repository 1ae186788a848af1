"""Fitting propagation parameters to measured data.

The measured tables come from :mod:`escapade.measurements` (re-exported here:
``load_measurement("B/C:AMS-02")``, ``list_measurements()``, user CSV tables);
``likelihood`` holds the chi-square, ``parameters`` the free-parameter names and scales,
``problem`` the data terms and cached solves, ``minimise`` MIGRAD and the linearised
method, ``result`` the :class:`FitResult`, ``fit`` the function itself::

    import escapade.fit
    res = escapade.fit.fit("configs/letter_tau0.85_fast.toml", data=["B/C:AMS-02"],
                           free=["diffusion.d0_cm2_s", "modulation.phi_gv"])
    print(res.summary()); res.write("fit/")

The package is itself callable once imported: ``escapade.fit(cfg, data=[...], free=[...])``
is ``escapade.fit.fit(...)``. A :class:`~escapade.fit.spec.FitSpec` holds the settings of
one fit as a value (what ``escapade scan --fit`` sends to its workers):
``fit(cfg, **spec.kwargs())``.
"""

import sys as _sys
import types as _types

from ..measurements import (
    DATA_DIR,
    X_KINDS,
    DataError,
    Measurement,
    list_measurements,
    list_observables,
    load_csv,
    load_measurement,
)
from .fit import (
    DEFAULT_PHI_GV,
    METHODS,
    PHI_KEY,
    FitError,
    FitResult,
    check_parameter_name,
    fit,
    model_values,
    parameter_choices,
    smooth_flux,
)
from .likelihood import MAIN_ISOTOPES, SYST_MODES, DataTerm, Likelihood
from .spec import FitSpec

__all__ = [
    "DATA_DIR",
    "DEFAULT_PHI_GV",
    "DataError",
    "DataTerm",
    "FitError",
    "FitResult",
    "FitSpec",
    "Likelihood",
    "MAIN_ISOTOPES",
    "METHODS",
    "Measurement",
    "PHI_KEY",
    "SYST_MODES",
    "X_KINDS",
    "check_parameter_name",
    "fit",
    "list_measurements",
    "list_observables",
    "load_csv",
    "load_measurement",
    "model_values",
    "parameter_choices",
    "smooth_flux",
]


class _CallableModule(_types.ModuleType):
    """``escapade.fit(...)`` calls :func:`escapade.fit.fit.fit`."""

    def __call__(self, *args, **kwargs):
        return fit(*args, **kwargs)


_sys.modules[__name__].__class__ = _CallableModule
