"""Bayesian inference of propagation parameters: the posterior with emcee.

The likelihood is the fit's (:mod:`escapade.fit`: data selection, systematics,
normalisations, phi), log L = -chi2 / 2, with a prior per free parameter (``priors``:
uniform, log-uniform, Gaussian)::

    import escapade.inference
    res = escapade.inference.infer("configs/letter_tau0.85_fast.toml", data=["B/C:HEAO-3"],
                                   free=["diffusion.d0_cm2_s"], walkers=8, steps=40, seed=1,
                                   output="post/")
    res.parameters["diffusion.d0_cm2_s"]["median"], res.diagnostics["tau"]

``sampler`` holds :func:`~escapade.inference.sampler.infer`, ``posterior`` the log
posterior sent to dask workers, ``priors`` the priors, ``chain`` the checkpoint file,
``result`` :class:`~escapade.inference.result.InferResult`, ``spec`` the
:class:`~escapade.inference.spec.InferSpec` the command line builds. Figures:
:mod:`escapade.plots.inference`.
"""

from .chain import CHAIN_FILE, Chain
from .priors import KINDS, InferError, Prior, parse_prior
from .result import BEST_FIT_FILE, SUMMARY_FILE, InferResult
from .sampler import infer
from .spec import INITS, InferSpec

__all__ = [
    "BEST_FIT_FILE",
    "CHAIN_FILE",
    "INITS",
    "KINDS",
    "SUMMARY_FILE",
    "Chain",
    "InferError",
    "InferResult",
    "InferSpec",
    "Prior",
    "infer",
    "parse_prior",
]
