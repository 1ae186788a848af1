"""The spallation/decay network as pure data: species, solve order, channels, lifetimes.

A :class:`Network` knows which nuclei are propagated, in which order, which parents
feed each of them (by spallation on H and He, with cumulative cross sections of a
named production set, and by radioactive decay), and the rest-frame lifetimes of
the radioactive ones. It knows nothing about the spatial grid or the linear
algebra: the transport code asks it, at one kinetic energy per nucleon, for the
secondary source of a daughter given the parents' densities.

Physics (``docs/PHYSICS.md`` section 1), straight-ahead approximation (the
fragment has the projectile's kinetic energy per nucleon E, so densities per unit
E map one to one, with no Jacobian):

    Q_d(E) = sum_p beta_p(E) c [n_H sigma_{p->d,H}(E) + n_He sigma_{p->d,He}(E)] N_p(E)
           + sum_{p decaying to d} N_p(E) / (gamma_p(E) tau_p)

with N in 1/(cm^3 GeV/n), n in cm^-3, sigma in mb, tau the rest-frame mean lifetime
in Myr; Q comes out in 1/(cm^3 GeV/n Myr), the unit of the sources of
:mod:`escapade.model` (rates in 1/Myr, :mod:`escapade.constants`).

Solve order: parents before daughters, heaviest first (mass number, then charge) among
the species ready, so a species fed by the beta decay of a same-A species is placed after
it (10Be before 10B, 14C before 14N, 36Cl before 36Ar, 54Mn before 54Fe, ...) and 1H before
2H, which p p -> d pi+ of Coste et al. 2012 feeds. Only when the channels form a cycle
(``secondary_protons``: 2H -> 1H as well) are the channels to a heavier daughter set aside
in :attr:`Network.backward`; the transport then marches those daughters a second time.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial

import numpy as np

from ..constants import C_CM_S, MB_CM2, MYR_S
from ..species import Nuclide, SpeciesError, nuclide
from .crosssections import INELASTIC_SETS, CrossSectionError, inelastic_mb
from .decays import (
    CHART_Z_MAX,
    DEFAULT_THRESHOLD_MYR,
    DecayError,
    cr_species,
    decay,
    decay_target,
    fold_target,
    is_cr_species,
    nuclide_name,
    usine_chart,
)
from .production import ProductionSet, production_set

RATE_CM3_PER_MYR_PER_MB = C_CM_S * MB_CM2 * MYR_S
"""c * 1 mb in cm^3/Myr: beta c n sigma [1/Myr] = beta * n[cm^-3] * sigma[mb] * this."""


class NetworkError(ValueError):
    """An inconsistent network request (unknown species, missing data, bad order)."""


@dataclass(frozen=True)
class ParentLink:
    """A spallation parent of a daughter, with its cumulative cross sections."""

    parent: str
    sigma_h: Callable[[np.ndarray], np.ndarray]
    """Production cross section on H (mb) as a function of E_kin (GeV/n)."""
    sigma_he: Callable[[np.ndarray], np.ndarray]
    """Production cross section on He (mb) as a function of E_kin (GeV/n)."""
    source: str
    """Tabulation the channel comes from ("galprop12", "evoli2019", "coste12", ...)."""


@dataclass(frozen=True)
class Radioactive:
    """Decay of a propagated radioactive species (fully stripped, rest frame)."""

    half_life_myr: float
    lifetime_myr: float
    """Mean lifetime tau = T_1/2 / ln 2; the lab lifetime is gamma tau."""
    mode: str
    daughter: str | None
    """Propagated species fed (ghost daughters followed), None if outside the network."""
    daughter_outside: str | None = None
    """Name of the CR species fed when it is not propagated in this network."""


def _name(za: tuple[int, int]) -> str:
    return nuclide_name(*za)


class Network:
    """Nuclear network: see the module notes. Build with :meth:`Network.build`."""

    def __init__(
        self,
        species: list[tuple[int, int]],
        production: ProductionSet,
        inelastic: str,
        secondary_protons: bool = False,
    ):
        self.production = production
        self.inelastic = inelastic
        self.threshold_myr = production.threshold_myr
        self.decay_source = production.decay_source
        self.secondary_protons = secondary_protons
        members = {_name(za): za for za in species}
        self.nuclides: dict[str, Nuclide] = {n: nuclide(n) for n in members}

        # spallation channels -------------------------------------------------------
        spall: dict[str, list[ParentLink]] = {n: [] for n in members}
        leaving: list[tuple[str, str, str]] = []
        edges: list[tuple[str, str, str]] = []
        for p_za, d_za in production.channels(z_max=CHART_Z_MAX):
            p, d = _name(p_za), _name(d_za)
            if p not in members:
                continue
            if d_za == (1, 1) and not secondary_protons:
                continue
            if d not in members:
                leaving.append((p, d, "spallation"))
                continue
            link = ParentLink(
                p,
                partial(production.sigma_mb, p_za, d_za, "H"),
                partial(production.sigma_mb, p_za, d_za, "He"),
                production.source_of(p_za, d_za),
            )
            spall[d].append(link)
            edges.append((p, d, "spallation"))

        # decays ---------------------------------------------------------------------
        radioactive: dict[str, Radioactive] = {}
        decay_parents: dict[str, list[str]] = {n: [] for n in members}
        for n, za in members.items():
            info = decay(*za, self.decay_source)
            if info.stable:
                continue
            target = decay_target(*za, self.threshold_myr, self.decay_source)
            t = _name(target) if target else None
            inside = t if t in members else None
            radioactive[n] = Radioactive(
                info.half_life_myr,
                info.lifetime_myr,
                info.mode,
                inside,
                None if inside else t,
            )
            if inside:
                decay_parents[inside].append(n)
                edges.append((n, inside, "decay"))
            elif t:
                leaving.append((n, t, "decay"))

        self.spallation_parents: dict[str, tuple[ParentLink, ...]] = {
            n: tuple(v) for n, v in spall.items()
        }
        self.decay_parents: dict[str, tuple[str, ...]] = {
            n: tuple(v) for n, v in decay_parents.items()
        }
        self.radioactive = radioactive
        self.leaving: tuple[tuple[str, str, str], ...] = tuple(leaving)
        """Channels (parent, daughter, kind) whose daughter is not propagated here."""

        order, backward = _solve_order(self.nuclides, edges)
        self.species: tuple[str, ...] = tuple(order)
        """Propagated species in solve order (parents before daughters)."""
        self.backward: tuple[tuple[str, str, str], ...] = tuple(backward)
        """Channels (parent, daughter, kind) whose parent is solved after the daughter."""
        self._position = {n: i for i, n in enumerate(self.species)}

    # -- construction -----------------------------------------------------------------
    @classmethod
    def build(
        cls,
        z_max: int | None = None,
        isotopes: Iterable[str] | None = None,
        production: str = "galprop12",
        inelastic: str = "tripathi99",
        *,
        threshold_myr: float = DEFAULT_THRESHOLD_MYR,
        decay_source: str = "usine",
        light: bool = True,
        secondary_protons: bool = False,
        z_min: int = 1,
    ) -> Network:
        """Build the network of all CR species with z_min <= Z <= z_max, or of ``isotopes``.

        Parameters
        ----------
        production : a set of :data:`escapade.nuclear.production.PRODUCTION_SETS`.
        inelastic : a set of ``INELASTIC_SETS`` (:mod:`escapade.nuclear.crosssections`)
            (checked to cover every species).
        threshold_myr : radioactive nuclides with a shorter half-life are folded
            into their daughters (default 1 kyr).
        light : merge the Coste et al. 2012 light-nuclei channels.
        secondary_protons : keep the channels X -> 1H (Coste 2012 4He, 3He, 2H -> 1H).
        """
        if (z_max is None) == (isotopes is None):
            raise NetworkError("give exactly one of z_max or isotopes")
        ps = production_set(production, float(threshold_myr), decay_source, light)
        if inelastic not in INELASTIC_SETS:
            raise CrossSectionError(
                f"inelastic cross-section set {inelastic!r} is unknown; "
                f"allowed: {', '.join(INELASTIC_SETS)}"
            )
        if isotopes is None:
            if not 1 <= z_max <= CHART_Z_MAX:
                raise NetworkError(
                    f"z_max={z_max} is outside 1..{CHART_Z_MAX} (the USINE chart and the "
                    "production tables stop at Z = 28)"
                )
            species = cr_species(z_max, ps.threshold_myr, decay_source, z_min=z_min)
        else:
            species = [_check_isotope(n, ps.threshold_myr, decay_source) for n in isotopes]
            if len(set(species)) != len(species):
                raise NetworkError(f"isotopes contains duplicates: {list(isotopes)}")
        missing = []
        for za in species:
            for t in ("H", "He"):
                try:
                    inelastic_mb(inelastic, za[0], za[1], t, 1.0)
                except CrossSectionError:
                    missing.append(f"{_name(za)} on {t}")
        if missing:
            raise CrossSectionError(
                f"inelastic set {inelastic!r} has no cross section for: {', '.join(missing)}; "
                f"choose another set ({', '.join(INELASTIC_SETS)}) or drop those species"
            )
        return cls(species, ps, inelastic, secondary_protons)

    def __repr__(self) -> str:
        return (
            f"Network({len(self.species)} species, production={self.production.label!r}, "
            f"inelastic={self.inelastic!r})"
        )

    # -- queries ----------------------------------------------------------------------
    @property
    def production_set_name(self) -> str:
        return self.production.name

    def position(self, name: str) -> int:
        """Index of a species in the solve order."""
        return self._position[name]

    def parents(self, daughter: str) -> tuple[str, ...]:
        """All parents of ``daughter``: spallation ones, then decaying ones."""
        return tuple(lk.parent for lk in self.spallation_parents[daughter]) + tuple(
            self.decay_parents[daughter]
        )

    def ancestors(self, names) -> set[str]:
        """``names`` (those in the network) and every species that feeds them, directly or
        through others, by spallation or decay: what a solve must march to get ``names``."""
        todo = [n for n in names if n in self._position]
        seen = set(todo)
        while todo:
            for p in self.parents(todo.pop()):
                if p not in seen:
                    seen.add(p)
                    todo.append(p)
        return seen

    def channel_list(self) -> list[tuple[str, str, str]]:
        """Every (parent, daughter, kind) inside the network, in solve order of daughters."""
        out = []
        for d in self.species:
            out += [(lk.parent, d, "spallation") for lk in self.spallation_parents[d]]
            out += [(p, d, "decay") for p in self.decay_parents[d]]
        return out

    def lifetime_myr(self, name: str) -> float:
        """Rest-frame mean lifetime tau (Myr); ``inf`` if stable."""
        r = self.radioactive.get(name)
        return r.lifetime_myr if r else math.inf

    def decay_rate_per_myr(self, name: str, ekin_gev_per_n) -> np.ndarray:
        """Decay rate in the Galaxy frame, 1 / (gamma tau) (1/Myr); 0 if stable."""
        e = np.asarray(ekin_gev_per_n, dtype=float)
        tau = self.lifetime_myr(name)
        if math.isinf(tau):
            return np.zeros_like(e)
        return 1.0 / (self.nuclides[name].gamma(e) * tau)

    def inelastic_mb(self, name: str, target: str, ekin_gev_per_n) -> np.ndarray:
        """Total inelastic cross section (mb) of ``name`` in the network's inelastic set."""
        nuc = self.nuclides[name]
        return inelastic_mb(self.inelastic, nuc.z, nuc.a, target, ekin_gev_per_n)

    def loss_coefficients(self, name: str, ekin_gev_per_n):
        """(beta c sigma_H, beta c sigma_He in cm^3/Myr, 1/(gamma tau) in 1/Myr) of ``name``
        on an energy array: the destruction rate is k_H n_H + k_He n_He + decay."""
        e = np.atleast_1d(np.asarray(ekin_gev_per_n, dtype=float))
        k = self.nuclides[name].beta(e) * RATE_CM3_PER_MYR_PER_MB
        return (
            k * self.inelastic_mb(name, "H", e),
            k * self.inelastic_mb(name, "He", e),
            self.decay_rate_per_myr(name, e),
        )

    def loss_rate_per_myr(self, name: str, ekin_gev_per_n: float, n_h_cm3, n_he_cm3):
        """Destruction rate (1/Myr): beta c (n_H sigma_H + n_He sigma_He) + 1/(gamma tau)."""
        k_h, k_he, dec = (float(c[0]) for c in self.loss_coefficients(name, ekin_gev_per_n))
        return k_h * np.asarray(n_h_cm3) + k_he * np.asarray(n_he_cm3) + dec

    def at_energies(self, ekin_gev_per_n) -> NetworkRates:
        """Tabulate every rate coefficient of the network on an energy array."""
        return NetworkRates(self, np.atleast_1d(np.asarray(ekin_gev_per_n, dtype=float)))

    def secondary_source(
        self,
        daughter: str,
        ekin_gev_per_n: float,
        densities: Mapping[str, np.ndarray],
        n_h_cm3,
        n_he_cm3,
    ) -> np.ndarray:
        """Q_d (1/(cm^3 GeV/n Myr)) at one energy; see :meth:`NetworkRates.secondary_source`."""
        return self.at_energies([ekin_gev_per_n]).secondary_source(
            daughter, 0, densities, n_h_cm3, n_he_cm3
        )


class NetworkRates:
    """Rate coefficients of a :class:`Network` tabulated on an energy array.

    For each daughter and each spallation parent: k_H[k] = beta_p c sigma_{p->d,H}
    and k_He[k] (cm^3/Myr); for each decaying parent: 1/(gamma_p tau_p) (1/Myr).
    """

    def __init__(self, network: Network, ekin_gev_per_n: np.ndarray):
        self.network = network
        self.ekin_gev_per_n = ekin_gev_per_n
        e = ekin_gev_per_n
        self.spallation: dict[str, list[tuple[str, np.ndarray, np.ndarray]]] = {}
        self.decay: dict[str, list[tuple[str, np.ndarray]]] = {}
        self._mixed_cache: dict[tuple[str, float], list[tuple[str, np.ndarray]]] = {}
        for d in network.species:
            rows = []
            for lk in network.spallation_parents[d]:
                k = network.nuclides[lk.parent].beta(e) * RATE_CM3_PER_MYR_PER_MB
                rows.append((lk.parent, k * lk.sigma_h(e), k * lk.sigma_he(e)))
            self.spallation[d] = rows
            self.decay[d] = [
                (p, network.decay_rate_per_myr(p, e)) for p in network.decay_parents[d]
            ]

    def secondary_source(
        self,
        daughter: str,
        k: int,
        densities: Mapping[str, np.ndarray],
        n_h_cm3,
        n_he_cm3,
    ) -> np.ndarray:
        """Secondary source of ``daughter`` at energy index ``k`` (1/(cm^3 GeV/n Myr)).

        densities : parent name -> density N_p(E_k) in 1/(cm^3 GeV/n), arrays of one
            shape (e.g. (nr, nz)); n_h_cm3, n_he_cm3 : target densities (cm^-3),
            broadcastable to it. A parent missing from ``densities`` is an error,
            except a backward one (solved after the daughter), which is skipped.
        """
        backward = self._backward_parents(daughter)
        n_h = np.asarray(n_h_cm3, dtype=float)
        n_he = np.asarray(n_he_cm3, dtype=float)
        # sum_p k_H N_p and sum_p k_He N_p first, then one multiplication by each target
        acc_h = acc_he = None
        for p, k_h, k_he in self.spallation[daughter]:
            n_p = _get(densities, p, daughter, backward)
            if n_p is None:
                continue
            if acc_h is None:
                acc_h, acc_he = k_h[k] * n_p, k_he[k] * n_p
            else:
                acc_h += k_h[k] * n_p
                acc_he += k_he[k] * n_p
        acc_dec = _weighted_sum(self.decay[daughter], k, densities, daughter, backward)
        q = np.zeros(np.broadcast(n_h, n_he).shape)
        if acc_h is not None:
            q = q + n_h * acc_h + n_he * acc_he
        if acc_dec is not None:
            q = q + acc_dec
        return q

    def secondary_source_on_gas(
        self,
        daughter: str,
        k: int,
        densities: Mapping[str, np.ndarray],
        n_h_cm3,
        he_per_h: float,
    ) -> np.ndarray:
        """:meth:`secondary_source` on a gas whose helium is a fixed fraction of its
        hydrogen, n_He = ``he_per_h`` n_H everywhere (the transport's gas,
        :class:`~escapade.galaxy.gas.GasOnGrid`): the same source, with one accumulation
        per parent instead of two, Q = n_H sum_p (k_H + he_per_h k_He) N_p + decays."""
        backward = self._backward_parents(daughter)
        mixed = self._mixed(daughter, float(he_per_h))
        acc = _weighted_sum(mixed, k, densities, daughter, backward)
        decays = _weighted_sum(self.decay[daughter], k, densities, daughter, backward)
        n_h = np.asarray(n_h_cm3, dtype=float)
        q = np.zeros(n_h.shape) if acc is None else acc * n_h
        return q if decays is None else q + decays

    def _backward_parents(self, daughter: str) -> set[str]:
        """The parents of ``daughter`` solved after it (skipped when missing); an unknown
        daughter is a :class:`NetworkError`."""
        if daughter not in self.spallation:
            raise NetworkError(f"{daughter!r} is not a species of this network")
        return {p for p, d, _ in self.network.backward if d == daughter}

    def _mixed(self, daughter: str, he_per_h: float) -> list[tuple[str, np.ndarray]]:
        """k_H + he_per_h k_He per spallation parent of ``daughter``, tabulated once."""
        key = (daughter, he_per_h)
        if key not in self._mixed_cache:
            rows = self.spallation[daughter]
            self._mixed_cache[key] = [(p, k_h + he_per_h * k_he) for p, k_h, k_he in rows]
        return self._mixed_cache[key]


def _weighted_sum(rows, k, densities, daughter, backward) -> np.ndarray | None:
    """sum_p c_p[k] N_p over ``rows`` of (parent, c_p tabulated in energy), a fresh array;
    None when no parent is there."""
    acc = None
    for p, coef in rows:
        n_p = _get(densities, p, daughter, backward)
        if n_p is None:
            continue
        if acc is None:
            acc = coef[k] * n_p
        else:
            acc += coef[k] * n_p
    return acc


def _get(densities, parent, daughter, backward):
    if parent in densities:
        return np.asarray(densities[parent], dtype=float)
    if parent in backward:
        return None
    raise NetworkError(
        f"density of {parent}, a parent of {daughter}, is missing (solve order error?)"
    )


def _check_isotope(name: str, threshold_myr: float, source: str) -> tuple[int, int]:
    try:
        nuc = nuclide(name)
    except SpeciesError as exc:
        raise NetworkError(str(exc)) from None
    if name == "pbar":
        raise NetworkError("pbar is not a nucleus of the spallation network")
    za = (nuc.z, nuc.a)
    if is_cr_species(*za, threshold_myr, source):
        return za
    if za in usine_chart():
        why = (
            f"its half-life {decay(*za, source).half_life_myr:.3g} Myr is below the "
            f"threshold {threshold_myr:g} Myr"
        )
    else:
        why = "it is not a nuclide of the USINE cosmic-ray chart (Z <= 28)"
    try:
        target = fold_target(*za, threshold_myr, source).target
        into = f"; its production is folded into {_name(target)}"
    except DecayError:
        into = ""
    raise NetworkError(f"{name} is not a propagated cosmic-ray species: {why}{into}")


def _solve_order(
    nuclides: Mapping[str, Nuclide], edges: list[tuple[str, str, str]]
) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Parents before daughters, the heaviest first among the species ready; no backward
    channel when the channels form no cycle (then 1H comes before 2H, which p p -> d pi+
    feeds). With a cycle (secondary protons: 2H -> 1H beside 1H -> 2H) the channels to
    heavier daughters are set aside as backward ones and the rest ordered."""
    order = _topological(nuclides, edges)
    if order is not None:
        return order, []
    backward = [(p, d, k) for p, d, k in edges if nuclides[d].a > nuclides[p].a]
    forward = [(p, d, k) for p, d, k in edges if nuclides[d].a <= nuclides[p].a]
    order = _topological(nuclides, forward)
    if order is None:
        raise NetworkError("the network has a feeding cycle among nuclei of one mass number")
    return order, backward


def _topological(
    nuclides: Mapping[str, Nuclide], edges: list[tuple[str, str, str]]
) -> list[str] | None:
    """Kahn's order of ``edges`` (heaviest first, by mass number, then charge, among the
    species whose parents are all placed); None if they form a cycle."""
    key = {n: (-nuc.a, -nuc.z, n) for n, nuc in nuclides.items()}
    indeg = {n: 0 for n in nuclides}
    children: dict[str, list[str]] = {n: [] for n in nuclides}
    for p, d, _ in edges:
        indeg[d] += 1
        children[p].append(d)
    heap = [key[n] for n, k in indeg.items() if k == 0]
    heapq.heapify(heap)
    order = []
    while heap:
        n = heapq.heappop(heap)[2]
        order.append(n)
        for c in children[n]:
            indeg[c] -= 1
            if indeg[c] == 0:
                heapq.heappush(heap, key[c])
    return order if len(order) == len(nuclides) else None


__all__ = [
    "RATE_CM3_PER_MYR_PER_MB",
    "Network",
    "NetworkError",
    "NetworkRates",
    "ParentLink",
    "Radioactive",
]
