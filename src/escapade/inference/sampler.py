"""``infer``: the posterior of free config parameters with emcee's ensemble sampler.

The likelihood is the fit's (:mod:`escapade.fit`): the same data selection, systematics,
normalisations and force-field potentials; log L = -chi2 / 2. The walkers start in a small
ball around the fit's minimum (``init="fit"``: the linearised MIGRAD fit of the same
settings, the ball ``ball`` times its HESSE errors) or around the config's values
(``init="config"``: ``ball`` times the fit's initial steps). The walkers of one step are
evaluated in parallel on dask when a client, a scheduler address or a number of local
workers is given, else one after the other in this process. The chain is written to
``OUTPUT/chain.nc`` after every step; running the same call again continues it.
"""

from __future__ import annotations

import contextlib
import logging
import math
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..fit.likelihood import SYST_MODES
from ..fit.problem import FitProblem
from ..parallel import SchedulerConnectionError, dask_client
from .chain import CHAIN_FILE, Chain, read_chain, settings_token, write_chain
from .posterior import LogPosterior, build_problem
from .priors import InferError, Prior, check_in_limits, default_prior, make_prior, parse_prior
from .result import InferResult, diagnostics, parameter_summary
from .spec import DEFAULT_PHI_GV, INITS, MOVES

log = logging.getLogger("escapade.inference")


def _as_list(x) -> list:
    if x is None:
        return []
    if isinstance(x, str):
        return [v.strip() for v in x.split(",") if v.strip()]
    return [v for item in x for v in (_as_list(item) if isinstance(item, str) else [item])]


def _check_settings(walkers, steps, seed, init, ball, burn, draws, syst, rmin_gv, rmax_gv, move):
    def whole(name, v, lo, what):
        if not isinstance(v, int) or isinstance(v, bool) or v < lo:
            raise InferError(f"{name} = {v!r}: give {what}")

    whole("walkers", walkers, 2, "a whole number >= 2 (and >= 2 x the free parameters)")
    whole("steps", steps, 1, "a whole number >= 1")
    whole("seed", seed, 0, "a whole number >= 0")
    whole("draws", draws, 0, "a whole number >= 0")
    if burn is not None:
        whole("burn", burn, 0, f"a whole number of steps from 0 to {steps - 1}")
        if burn >= steps:
            raise InferError(f"burn = {burn}: give a whole number of steps from 0 to {steps - 1}")
    if init not in INITS:
        raise InferError(f"init = {init!r}: allowed {', '.join(INITS)}")
    if move not in MOVES:
        raise InferError(f"move = {move!r}: allowed {', '.join(MOVES)}")
    if not (isinstance(ball, int | float) and math.isfinite(ball) and ball > 0):
        raise InferError(f"ball = {ball!r}: give a number > 0")
    if syst not in SYST_MODES:
        raise InferError(f"syst = {syst!r}: allowed {', '.join(SYST_MODES)}")
    for name, v in (("rmin_gv", rmin_gv), ("rmax_gv", rmax_gv)):
        if v is not None and not (math.isfinite(v) and v >= 0):
            raise InferError(f"{name} = {v!r}: give a rigidity >= 0 in GV")


def _resolve_priors(pb: FitProblem, bounds: Mapping, priors: Mapping) -> list[Prior]:
    """The prior of every free parameter (own prior, bounds, or the default), checked."""
    names = [p.name for p in pb.params]
    for what, given in (("prior", priors), ("bound", bounds)):
        for k in given:
            if k not in names:
                raise InferError(f"{what} {k}: not a free parameter (free: {', '.join(names)})")
    out = []
    for p in pb.params:
        if p.name in priors:
            pr = priors[p.name]
            pr = pr if isinstance(pr, Prior) else parse_prior(p.name, str(pr))
        elif p.name in bounds:
            lo, hi = bounds[p.name]
            pr = make_prior(p.name, "uniform", float(lo), float(hi))
        else:
            rel = next((pb.like.terms[i].syst_rel for i in p.terms), None) if p.terms else None
            pr = default_prior(p, rel)
        check_in_limits(p, pr)
        out.append(pr)
    return out


@contextlib.contextmanager
def _pool(client, workers: int | None):
    """None (a plain loop here), or an object with ``map`` on a dask client: the one given,
    one connected to a scheduler address, or a local cluster of ``workers`` processes
    (:func:`escapade.parallel.dask_client`)."""
    if client is None and not workers:
        yield None
        return
    try:
        with dask_client(client, workers, config_address=False) as c:
            yield _DaskPool(c)
    except SchedulerConnectionError as exc:
        raise InferError(f"client = {client!r}: {exc}") from None


class _DaskPool:
    """The ``map`` emcee calls, one dask task per walker."""

    def __init__(self, client):
        self.client = client

    def map(self, fn: Callable, items) -> list:
        futures = self.client.map(fn, list(items), pure=False)
        return self.client.gather(futures)


def _new_chain(post: LogPosterior, pool, x0: np.ndarray, start: dict) -> Chain:
    """A chain of no steps yet: the starting ball with its log posterior and chi2."""
    lp0, c0 = np.array(_evaluate(pool, post, x0)).T
    post.raise_if_stopped()
    n_w, n_d = x0.shape
    empty = np.empty((0, n_w))
    return Chain(post.names, x0, lp0, c0, np.empty((0, n_w, n_d)), empty, empty, None, start)


def _start_ball(post: LogPosterior, centre, width, walkers, seed) -> np.ndarray:
    """``walkers`` points around ``centre`` (natural units), each inside the prior."""
    rng = np.random.default_rng(seed)
    out = np.empty((walkers, len(centre)))
    for w in range(walkers):
        for _ in range(1000):
            x = centre + width * rng.standard_normal(len(centre))
            if math.isfinite(post.log_prior(x)):
                break
        else:
            where = dict(zip(post.names, centre, strict=True))
            raise InferError(
                f"no starting point inside the priors around {where}; "
                "widen the priors or use init = 'config'"
            )
        out[w] = x
    return out


def _centre(pb: FitProblem, priors: list[Prior], settings, init, ball, meas, progress):
    """The centre and the per-parameter radius of the starting ball (natural units), and a
    record of where it is (the fit's values, errors and chi2, or the config's values)."""
    names = [p.name for p in pb.params]
    centre = np.array([p.start for p in pb.params], dtype=float)
    steps = np.array([p.start * math.log(10.0) * p.step if p.log else p.step for p in pb.params])
    for j, pr in enumerate(priors):  # a start outside its prior: the prior's middle
        if not math.isfinite(pr.log_pdf(centre[j])):
            centre[j] = (
                pr.a
                if pr.kind == "gauss"
                else (math.sqrt(pr.a * pr.b) if pr.kind == "loguniform" else 0.5 * (pr.a + pr.b))
            )
    if init == "config":
        info = {"init": "config", "values": dict(zip(names, centre.tolist(), strict=True))}
        return centre, ball * steps, info
    from ..fit.fit import fit

    res = fit(
        pb.cfg,
        data=meas,
        free=[p.name for p in pb.params if p.kind != "norm" or p.name in settings["free"]],
        bounds={
            p.name: pr.support()
            for p, pr in zip(pb.params, priors, strict=True)
            if pr.kind != "gauss"
        },
        priors={
            p.name: (pr.a, pr.b)
            for p, pr in zip(pb.params, priors, strict=True)
            if pr.kind == "gauss"
        },
        start={p.name: float(c) for p, c in zip(pb.params, centre, strict=True)},
        fix=settings["fix"],
        rmin_gv=settings["rmin_gv"],
        rmax_gv=settings["rmax_gv"],
        syst=settings["syst"],
        phi_gv=settings["phi_gv"],
        model=pb.model,
    )
    progress(f"start: the fit's minimum, chi2 = {res.chi2:.3f} ({res.n_solves} solves)")
    c = np.array([res.values[p.name] for p in pb.params])
    err = np.array([res.errors[p.name] for p in pb.params])
    err = np.where(np.isfinite(err) & (err > 0), err, steps)
    info = {
        "init": "fit",
        "values": {k: float(res.values[k]) for k in names},
        "errors": {k: float(res.errors[k]) for k in names},
        "chi2": float(res.chi2),
        "valid": bool(res.valid),
        "n_solves": int(res.n_solves),
    }
    return c, ball * err, info


def _progress_fn(progress) -> Callable[[str], None]:
    def emit(line: str) -> None:
        log.info("%s", line)
        if callable(progress):
            progress(line)
        elif progress is True and not (log.isEnabledFor(logging.INFO) and log.hasHandlers()):
            print(f"escapade infer: {line}", file=sys.stderr)

    return emit


def _tau_now(chain: Chain) -> np.ndarray:
    import emcee

    if chain.n_steps < 4:
        return np.full(len(chain.names), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):  # walkers that have not moved yet
        return emcee.autocorr.integrated_time(chain.chain, tol=0)


def _moves(move: str):
    """emcee's proposal for ``move`` (:data:`escapade.inference.spec.MOVES`)."""
    import emcee

    if move == "de":
        return [(emcee.moves.DEMove(), 0.8), (emcee.moves.DESnookerMove(), 0.2)]
    return emcee.moves.StretchMove()


class _Sampled:
    """The log posterior in the sampler's coordinates: ln x for every parameter with a
    log-uniform prior (its density there is p(x) x, so the target in x is unchanged and the
    prior is flat), x itself for the others. Affine-invariant moves (stretch, differential
    evolution) mix over decades only on such a scale (Foreman-Mackey et al. 2013, PASP 125,
    306, sec. 5: sample the logarithm of scale parameters)."""

    def __init__(self, post: LogPosterior):
        self.post = post
        self.log = np.array([p.kind == "loguniform" for p in post.priors], dtype=bool)

    def to_sampled(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.log, np.log(np.where(self.log, x, 1.0)), x)

    def to_natural(self, y: np.ndarray) -> np.ndarray:
        y = np.asarray(y, dtype=float)
        return np.where(self.log, np.exp(np.where(self.log, y, 0.0)), y)

    def log_jacobian(self, y: np.ndarray) -> np.ndarray:
        """ln |dx/dy| of each point (rows of ``y``)."""
        return np.sum(np.where(self.log, y, 0.0), axis=-1)

    def __call__(self, y) -> tuple[float, float]:
        lp, c = self.post(self.to_natural(y))
        return (lp + float(self.log_jacobian(y)) if math.isfinite(lp) else lp), c


def _run(post, pool, chain: Chain, steps, seed, emit, write, move="stretch") -> int:
    """Advance the chain to ``steps`` steps (if it is shorter), writing it after every
    step; returns the number of posterior evaluations made.

    One step at a time from the positions stored (natural units, converted to the sampler's
    coordinates of :class:`_Sampled`) and the random state stored, so that a resumed chain
    is, to the bit, the chain of an uninterrupted run; a walker whose proposal was rejected
    keeps its stored position and log posterior exactly."""
    import emcee
    from emcee.state import State

    n_w, n_d = chain.initial.shape
    target = _Sampled(post)
    sampler = emcee.EnsembleSampler(
        n_w, n_d, target, pool=pool, blobs_dtype=float, moves=_moves(move)
    )
    t0, n_eval, first = time.perf_counter(), 0, True
    while chain.n_steps < steps:
        x, lp, c2 = chain.last()
        y = target.to_sampled(x)
        rs = chain.random_state or np.random.RandomState(seed).get_state()
        state = State(y, log_prob=lp + target.log_jacobian(y), blobs=c2, random_state=rs)
        (st,) = sampler.sample(state, iterations=1, store=False, skip_initial_state_check=not first)
        first = False
        post.raise_if_stopped()  # an interrupted step is not kept
        same = np.all(st.coords == y, axis=1)
        x_new = np.where(same[:, None], x, target.to_natural(st.coords))
        lp_new = np.where(same, lp, st.log_prob - target.log_jacobian(st.coords))
        chain.append(x_new, lp_new, np.where(same, c2, st.blobs), sampler.random_state)
        n_eval += n_w
        write(chain)
        tau = _tau_now(chain)
        dt = (time.perf_counter() - t0) / n_eval
        emit(
            f"step {chain.n_steps}/{steps}: acceptance {chain.acceptance().mean():.2f}, "
            f"tau ~ {', '.join(f'{t:.1f}' if np.isfinite(t) else '?' for t in tau)} steps, "
            f"max log posterior {np.max(chain.log_prob):.3f}, {dt:.2f} s per evaluation"
        )
    return n_eval


def _evaluate(pool, fn, items) -> list:
    return list(map(fn, items)) if pool is None else pool.map(fn, items)


def infer(
    cfg,
    data=None,
    free=None,
    *,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    priors: Mapping[str, Any] | None = None,
    fix: Mapping[str, Any] | None = None,
    start: Mapping[str, Any] | None = None,
    rmin_gv: float | None = 5.0,
    rmax_gv: float | None = None,
    syst: str = "quadrature",
    phi_gv: float = DEFAULT_PHI_GV,
    walkers: int = 32,
    steps: int = 1000,
    seed: int = 0,
    init: str = "fit",
    move: str = "stretch",
    ball: float = 0.1,
    burn: int | None = None,
    draws: int = 20,
    output: str | Path | None = None,
    client=None,
    workers: int | None = None,
    model=None,
    progress: Callable[[str], None] | bool | None = None,
) -> InferResult:
    """Sample the posterior of the ``free`` parameters of ``cfg`` given ``data``.

    ``cfg``, ``data``, ``free``, ``fix``, ``start``, ``rmin_gv``, ``rmax_gv``, ``syst`` and
    ``phi_gv`` are those of :func:`escapade.fit.fit.fit` (the same likelihood). ``bounds``:
    name -> (LO, HI), a uniform prior; ``priors``: name -> ``uniform:LO:HI``,
    ``loguniform:LO:HI``, ``gauss:MEAN:SIGMA`` or ``MEAN+-SIGMA`` (or a
    :class:`~escapade.inference.priors.Prior`); other free keys get the default prior of
    :mod:`escapade.inference.priors`. ``walkers`` x ``steps`` of emcee, seeded by ``seed``,
    with the proposal ``move`` (:data:`~escapade.inference.spec.MOVES`: ``stretch`` or
    ``de``); ``init``, ``ball``: the starting ball (module docstring); ``burn``: steps
    dropped from the summary (default a quarter); ``draws``: posterior draws solved for the
    predictive figure. ``output``: a folder for ``chain.nc`` (after every step; an existing
    chain of the same settings is continued), ``summary.json`` and ``best_fit.toml``.
    ``client``: a ``distributed.Client`` or a scheduler address; ``workers``: a local dask
    cluster of that many processes; neither: the walkers run one by one here. ``progress``:
    a callable taking one line per step, or True (the lines on stderr); the lines are also
    logged at INFO on ``escapade.inference``.
    """
    t0 = time.perf_counter()
    _check_settings(walkers, steps, seed, init, ball, burn, draws, syst, rmin_gv, rmax_gv, move)
    out = None if output is None else Path(output)
    if out is not None and out.exists() and not out.is_dir():
        raise InferError(f"output {str(out)!r} is a file; give a folder such as post/")
    settings = dict(
        free=[str(v) for v in _as_list(free)],
        fix=dict(fix or {}),
        start=dict(start or {}),
        rmin_gv=rmin_gv,
        rmax_gv=rmax_gv,
        syst=syst,
        phi_gv=float(phi_gv),
    )
    cfg, meas, pb, prior_list = _prepare(cfg, data, settings, bounds, priors, walkers, model)
    post = LogPosterior(cfg, meas, settings, [p.name for p in pb.params], prior_list, pb)
    chain_settings = _chain_settings(cfg, meas, settings, post, walkers, seed, init, ball, move)
    text, token = settings_token(chain_settings)
    path = None if out is None else out / CHAIN_FILE
    chain = None if path is None else read_chain(path, token)
    emit = _progress_fn(progress)

    def write(c: Chain) -> None:
        if path is not None:
            write_chain(c, path, text, token)

    n_eval = 0
    with _pool(client, workers) as pool:
        if chain is None:
            centre, width, start = _centre(pb, prior_list, settings, init, ball, meas, emit)
            chain = _new_chain(post, pool, _start_ball(post, centre, width, walkers, seed), start)
            n_eval += walkers
            write(chain)
        else:
            emit(f"resuming {path}: {chain.n_steps} of {steps} steps done")
        t_run = time.perf_counter()
        n_run = _run(post, pool, chain, steps, seed, emit, write, move)
        per_eval = (time.perf_counter() - t_run) / n_run if n_run else math.nan
        n_eval += n_run
        chain = _first_steps(chain, steps)
        burn = steps // 4 if burn is None else burn
        draw_x, map_x = _draw_points(chain, burn, draws, seed)
        models = _evaluate(pool, post.predictions, [map_x, *draw_x])
    res = _result(post, pb, prior_list, chain, burn, models, chain_settings, n_eval, per_eval, move)
    res.wall_s = time.perf_counter() - t0
    if out is not None:
        res.write(out)
    return res


def _chain_settings(cfg, meas, settings, post, walkers, seed, init, ball, move) -> dict:
    """What a chain file belongs to (its token): a chain is continued only with the same."""
    from ..config import dump_config

    log_keys = [n for n, p in zip(post.names, post.priors, strict=True) if p.kind == "loguniform"]
    return dict(
        config=dump_config(cfg), data=[m.name for m in meas], **settings,
        priors=[p.text for p in post.priors], walkers=walkers, seed=seed, init=init, ball=ball,
        **({} if move == "stretch" else {"move": move}),
        **({"sampled_in_log": log_keys} if log_keys else {}),
    )  # fmt: skip


def _prepare(cfg, data, settings, bounds, priors, walkers, model):
    """The config, the data, the fit problem (restricted to the model's grid) and the priors,
    every input checked before anything is written."""
    from ..config import Config, load_config
    from ..measurements import Measurement, load_measurement

    cfg = cfg if isinstance(cfg, Config) else load_config(cfg)
    names = _as_list(data)
    if not names:
        raise InferError("no data: give at least one data set, e.g. B/C:HEAO-3")
    meas = [m if isinstance(m, Measurement) else load_measurement(str(m)) for m in names]
    pb = build_problem(cfg, meas, settings, model)
    prior_list = _resolve_priors(pb, dict(bounds or {}), dict(priors or {}))
    n_dim = len(pb.params)
    if walkers < 2 * n_dim:
        raise InferError(
            f"walkers = {walkers}: give at least 2 x the free parameters ({2 * n_dim}; free: "
            f"{', '.join(p.name for p in pb.params)})"
        )
    ds0, _ = pb.solution(pb.u0, reason="start")
    pb.restrict_to_grid(ds0)
    return cfg, meas, pb, prior_list


def _first_steps(chain: Chain, steps: int) -> Chain:
    """The chain cut to ``steps`` steps (a file may hold more from an earlier, longer run)."""
    if chain.n_steps <= steps:
        return chain
    return Chain(
        chain.names, chain.initial, chain.initial_log_prob, chain.initial_chi2,
        chain.chain[:steps], chain.log_prob[:steps], chain.chi2[:steps], chain.random_state,
        chain.start,
    )  # fmt: skip


def _draw_points(chain: Chain, burn: int, draws: int, seed: int):
    """``draws`` posterior samples after burn-in (seeded) and the chain's MAP point."""
    flat = chain.chain[burn:].reshape(-1, len(chain.names))
    rng = np.random.default_rng(seed + 1)
    idx = rng.choice(len(flat), size=min(draws, len(flat)), replace=False) if draws else []
    i, w = np.unravel_index(np.argmax(chain.log_prob), chain.log_prob.shape)
    return [flat[k] for k in idx], chain.chain[i, w]


def _result(post, pb, priors, chain, burn, models, settings, n_eval, per_eval, move):
    i, w = np.unravel_index(np.argmax(chain.log_prob), chain.log_prob.shape)
    map_x = chain.chain[i, w]
    n_phys = sum(1 for p in pb.params if p.kind != "norm")
    ndof = pb.like.n_points - n_phys
    draws = [np.array([m[t] for m in models[1:]]) for t in range(len(pb.like.terms))]
    public = {k: v for k, v in settings.items() if k != "config"} | {"move": move}
    return InferResult(
        chain=chain,
        priors=list(priors),
        burn=burn,
        parameters=parameter_summary(chain, burn),
        diagnostics=diagnostics(chain, burn),
        map_values={k: float(v) for k, v in zip(chain.names, map_x, strict=True)},
        map_chi2=float(chain.chi2[i, w]),
        map_log_posterior=float(chain.log_prob[i, w]),
        best_config=pb.config_at(post.internal(map_x)),
        ndof=int(ndof),
        terms=list(pb.like.terms),
        draws=draws,
        map_model=list(models[0]),
        settings=public,
        n_evaluations=n_eval,
        seconds_per_evaluation=per_eval,
    )
