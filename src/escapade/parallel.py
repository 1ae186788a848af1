"""The dask client of the parallel workflows (parameter scans, the sampler's walkers).

:func:`dask_client` gives the client a workflow runs on: the one the caller passes; one
connected to a scheduler address (the argument, or the dask configuration's
``scheduler-address``, e.g. the environment variable ``DASK_SCHEDULER_ADDRESS``); or a
``LocalCluster`` of single-threaded worker processes on this machine (dask.distributed,
https://distributed.dask.org).
"""

from __future__ import annotations

import contextlib

__all__ = ["SchedulerConnectionError", "dask_client"]


class SchedulerConnectionError(ValueError):
    """The dask scheduler at the given address cannot be reached (one line)."""


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@contextlib.contextmanager
def dask_client(client=None, workers: int | None = None, config_address: bool = True):
    """A dask Client: ``client`` itself when it is one; connected to ``client`` when it is an
    address (or, with ``config_address``, to the dask config's scheduler address); otherwise
    a LocalCluster of ``workers`` processes with one thread each (None: dask's count of the
    usable cores, affinity and cgroup limits respected). Raises
    :class:`SchedulerConnectionError` when an address cannot be reached."""
    import dask
    from distributed import Client, LocalCluster

    if client is not None and not isinstance(client, str):
        yield client
        return
    address = client or (dask.config.get("scheduler-address", None) if config_address else None)
    if address:
        try:
            c = Client(address)
        except (OSError, TimeoutError, ValueError) as exc:
            raise SchedulerConnectionError(
                f"cannot connect to the dask scheduler at {address!r}: {_one_line(exc)}"
            ) from None
        try:
            yield c
        finally:
            c.close()
        return
    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c
