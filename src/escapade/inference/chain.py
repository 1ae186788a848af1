"""The chain file ``DIR/chain.nc``: written atomically after every step, read to resume.

Variables: ``chain`` (step, walker, parameter) in natural units, ``log_prob`` and ``chi2``
(step, walker), the starting ball ``initial`` (walker, parameter) with its ``initial_log_prob``
and ``initial_chi2``, the sampler's random state after the last step (``rng_key``,
``rng_pos``, ``rng_has_gauss``, ``rng_cached_gauss``: numpy's MT19937 state), so that a
resumed chain is the chain an uninterrupted run makes. Attributes: the settings the chain
belongs to (``settings_json``, ``token``), the centre of the starting ball (``start_json``:
the fit's values, errors and chi2, or the config's values), the escapade version.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .priors import InferError

CHAIN_FILE = "chain.nc"


@dataclass
class Chain:
    """A chain so far: positions, log posteriors, chi2, the start and the random state."""

    names: list[str]
    initial: np.ndarray  # (walker, parameter)
    initial_log_prob: np.ndarray  # (walker,)
    initial_chi2: np.ndarray  # (walker,)
    chain: np.ndarray  # (step, walker, parameter)
    log_prob: np.ndarray  # (step, walker)
    chi2: np.ndarray  # (step, walker)
    random_state: tuple | None = None
    start: dict | None = None  # where the ball was centred (the fit's minimum or the config)

    @property
    def n_steps(self) -> int:
        return int(self.chain.shape[0])

    def append(self, coords, log_prob, chi2, random_state) -> None:
        self.chain = np.concatenate([self.chain, np.asarray(coords, float)[None]])
        self.log_prob = np.concatenate([self.log_prob, np.asarray(log_prob, float)[None]])
        self.chi2 = np.concatenate([self.chi2, np.asarray(chi2, float)[None]])
        self.random_state = random_state

    def last(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.n_steps == 0:
            return self.initial, self.initial_log_prob, self.initial_chi2
        return self.chain[-1], self.log_prob[-1], self.chi2[-1]

    def acceptance(self) -> np.ndarray:
        """Accepted fraction of the steps of every walker (a rejected step repeats it)."""
        if self.n_steps == 0:
            return np.zeros(self.initial.shape[0])
        prev = np.concatenate([self.initial[None], self.chain[:-1]])
        moved = np.any(self.chain != prev, axis=2)
        return moved.mean(axis=0)

    def to_dataset(self, settings_json: str, token: str):
        import xarray as xr

        from .._version import __version__

        ds = xr.Dataset(
            {
                "chain": (("step", "walker", "parameter"), self.chain),
                "log_prob": (("step", "walker"), self.log_prob),
                "chi2": (("step", "walker"), self.chi2),
                "initial": (("walker", "parameter"), self.initial),
                "initial_log_prob": ("walker", self.initial_log_prob),
                "initial_chi2": ("walker", self.initial_chi2),
            },
            coords={"parameter": np.array(self.names, dtype=object)},
        )
        if self.random_state is not None:
            _, key, pos, has_gauss, cached = self.random_state
            ds["rng_key"] = ("rng_word", np.asarray(key, dtype=np.uint32))
            ds["rng_pos"] = int(pos)
            ds["rng_has_gauss"] = int(has_gauss)
            ds["rng_cached_gauss"] = float(cached)
        ds.attrs.update(
            settings_json=settings_json,
            start_json=json.dumps(self.start or {}),
            token=token,
            escapade_version=__version__,
            description="emcee chain of escapade infer (natural units)",
        )
        return ds


def write_chain(c: Chain, path: Path, settings_json: str, token: str) -> None:
    """Write the chain atomically (a kill leaves the previous step's file); Ctrl-C and
    SIGTERM wait until the file is in place."""
    from ..io import atomic_path

    ds = c.to_dataset(settings_json, token)
    with _signals_held(), atomic_path(path, suffix=".nc") as tmp:
        ds.to_netcdf(tmp, engine="netcdf4")


@contextlib.contextmanager
def _signals_held():
    """Ctrl-C and SIGTERM held back while the file is written (main thread only), then
    raised again with the handlers they would have met."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[int] = []
    old = {
        s: signal.signal(s, lambda n, _f: got.append(n)) for s in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h if h is not None else signal.SIG_DFL)
        for n in got:
            signal.raise_signal(n)


def read_chain(path: Path, token: str) -> Chain | None:
    """The chain in ``path`` when it belongs to these settings (``token``); None when there
    is no file. A chain of other settings is an :class:`~escapade.inference.priors.InferError`."""
    import xarray as xr

    if not path.is_file():
        return None
    try:
        ds = xr.load_dataset(path, engine="netcdf4")
    except Exception as exc:  # noqa: BLE001 - any reader failure means the same here
        raise InferError(
            f"output {str(path)!r} is not a readable chain ({type(exc).__name__}); delete it "
            "or give another output folder"
        ) from None
    if ds.attrs.get("token") != token:
        theirs = json.loads(ds.attrs.get("settings_json", "{}"))
        raise InferError(
            f"output {str(path)!r} holds a chain of other settings "
            f"({_first_difference(theirs, json.loads(_settings_of(token)))}); give another "
            "output folder (-o) or delete it to start again"
        )
    rs = None
    if "rng_key" in ds:
        rs = (
            "MT19937",
            ds["rng_key"].values.astype(np.uint32),
            int(ds["rng_pos"]),
            int(ds["rng_has_gauss"]),
            float(ds["rng_cached_gauss"]),
        )
    return Chain(
        names=[str(n) for n in ds["parameter"].values],
        initial=ds["initial"].values,
        initial_log_prob=ds["initial_log_prob"].values,
        initial_chi2=ds["initial_chi2"].values,
        chain=ds["chain"].values,
        log_prob=ds["log_prob"].values,
        chi2=ds["chi2"].values,
        random_state=rs,
        start=json.loads(ds.attrs.get("start_json", "{}")),
    )


_TOKENS: dict[str, str] = {}


def settings_token(settings: dict) -> tuple[str, str]:
    """(settings as JSON, a short hash of it) for the chain's attributes."""
    import hashlib

    text = json.dumps(settings, sort_keys=True, default=str)
    token = hashlib.sha256(text.encode()).hexdigest()[:20]
    _TOKENS[token] = text
    return text, token


def _settings_of(token: str) -> str:
    return _TOKENS.get(token, "{}")


def _first_difference(a: dict, b: dict) -> str:
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            if k == "config":
                return "the config differs"
            return f"{k}: {a.get(k)!r} there, {b.get(k)!r} here"
    return "a different config"
