"""The t-SNE stages of one map, with its neighbour affinities computed once.

A map is a chain of scikit-learn ``fit_transform`` calls (``projection``: it has no callback),
and each computed the same neighbour affinities again from the same points and perplexity (the
nearest-neighbour search and the perplexity search: seconds on 15,000 points). ``Stages`` keeps
those of its first stage (captured where ``TSNE._fit`` hands them to ``TSNE._tsne``) and gives
the later stages to ``TSNE._tsne`` directly: the optimisation alone, the map unchanged to the
bit. Both are private to scikit-learn: ``reuse_supported`` checks ``_tsne``'s signature, and
where it differs (another scikit-learn) each stage computes its affinities as before. A test
(``test_map_process``) holds the maps with and without reuse equal on the installed version.
What it saves is small beside the optimisation: 1.6-1.7 % of the CPU time of a 5,000- and a
15,000-point map of Product vectors, the same maps (``scripts/bench_map_affinities.py``).
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
from typing import NamedTuple

import numpy as np

log = logging.getLogger(__name__)

#: Iterations per t-SNE stage (scikit-learn requires max_iter >= 250).
STAGE_ITERATIONS = 250
EARLY_EXAGGERATION = 12.0
#: Maps of up to this many points use exact t-SNE (quick at that size), bigger ones Barnes-Hut.
EXACT_MAX_POINTS = 500
#: How often, in iterations, scikit-learn says where it is (its default is 50: 12 s and more
#: apart on 15,000 points). It also checks its stopping rules then, which here only matters
#: for the gradient-norm rule (1e-7, not met by a map of a stage's length), and works out the
#: error, a small part of an iteration's cost.
REPORT_EVERY = 10
#: Set (to anything), each stage computes its affinities, as before session 25: for measuring
#: (``scripts/bench_map_affinities.py``); the child process inherits it.
EACH_STAGE_ENV = "VSDESK_TSNE_AFFINITIES_EACH_STAGE"
#: ``TSNE._tsne``'s parameters as scikit-learn 1.6-1.9 have them (``reuse_supported``).
_TSNE_PARAMETERS = ("self", "P", "degrees_of_freedom", "n_samples", "X_embedded", "neighbors", "skip_num_points")


class Settings(NamedTuple):
    perplexity: float
    learning_rate: float
    random_state: int
    exaggerate_first: bool  # the first stage is t-SNE's early exaggeration (a map not refined)


@functools.cache
def _estimator_class():
    from sklearn.manifold import TSNE

    class StagedTSNE(TSNE):
        """scikit-learn's TSNE saying where it is every ``REPORT_EVERY`` iterations, and keeping
        the affinities its fit computed (``affinities``), before ``_tsne`` scales them in place."""

        _N_ITER_CHECK = REPORT_EVERY
        affinities = None

        def _tsne(self, P, *args, **kwargs):
            if self.affinities is None:
                self.affinities = P.copy()
            return super()._tsne(P, *args, **kwargs)

    return StagedTSNE


@functools.cache
def reuse_supported() -> bool:
    """Whether this scikit-learn's ``TSNE._tsne`` is the one ``Stages`` gives affinities to."""
    from sklearn.manifold import TSNE

    try:
        found = tuple(inspect.signature(TSNE._tsne).parameters)
    except (AttributeError, TypeError, ValueError):
        found = ()
    if found != _TSNE_PARAMETERS:
        log.info("t-SNE: each stage computes its neighbour affinities (scikit-learn's TSNE._tsne is %s)",
                 found or "not there")
    return found == _TSNE_PARAMETERS


class Stages:
    """The stages of the map of ``x`` (n, d) with ``settings``: ``run(start, stage)`` is stage
    ``stage`` from the (n, 2) layout ``start``. The first one run computes the neighbour
    affinities; the others reuse them (``reuse``: where ``reuse_supported``)."""

    def __init__(self, x: np.ndarray, settings: Settings, verbose: int = 0, reuse: bool | None = None):
        self.x, self.settings, self.verbose = x, settings, verbose
        self.reuse = reuse_supported() and not os.environ.get(EACH_STAGE_ENV) if reuse is None else reuse
        self.affinities = None
        self.computed = 0  # how many times the affinities were computed (once, where reused)

    def run(self, start: np.ndarray, stage: int) -> np.ndarray:
        """One stage of ``STAGE_ITERATIONS`` iterations from ``start``: (n, 2) float32."""
        tsne = self._estimator(start, stage)
        if self.affinities is not None:
            try:
                return self._optimise(tsne, start)
            except (AttributeError, TypeError) as exc:  # another scikit-learn after all: as before
                log.warning("t-SNE: the neighbour affinities could not be reused (%s); each stage computes them", exc)
                self.reuse, self.affinities = False, None
        embedding = tsne.fit_transform(self.x).astype(np.float32)
        self.computed += 1
        if self.reuse:
            self.affinities = tsne.affinities
        return embedding

    def _optimise(self, tsne, start: np.ndarray) -> np.ndarray:
        """What ``tsne.fit_transform`` does once it has the affinities (``TSNE._fit``): the
        learning rate set, then the optimisation (``_tsne``; it scales ``P`` in place: a copy)."""
        tsne.learning_rate_ = tsne.learning_rate
        tsne.affinities = self.affinities
        degrees_of_freedom = 1  # (``_fit``'s max(n_components - 1, 1), for a 2-D map)
        return tsne._tsne(self.affinities.copy(), degrees_of_freedom, len(self.x), X_embedded=start).astype(np.float32)

    def _estimator(self, start: np.ndarray, stage: int):
        settings = self.settings
        return _estimator_class()(
            n_components=2,
            perplexity=settings.perplexity,
            early_exaggeration=EARLY_EXAGGERATION if stage == 0 and settings.exaggerate_first else 1.0,
            learning_rate=settings.learning_rate,
            max_iter=STAGE_ITERATIONS,
            init=start,
            random_state=settings.random_state,
            method="barnes_hut" if len(self.x) > EXACT_MAX_POINTS else "exact",
            verbose=self.verbose,
        )
