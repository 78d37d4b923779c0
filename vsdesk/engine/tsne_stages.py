"""The t-SNE stages of one map, the same in this process and in the map's child process.

A map is a chain of scikit-learn ``fit_transform`` calls (``projection``: it has no callback).
Each stage computes the neighbour affinities again from the same points. Reusing them through
scikit-learn's private ``TSNE._tsne`` was measured (session 25: the same maps to the bit) and
saved 1.6-1.7 % of the CPU time of a 5,000- and a 15,000-point map of Product vectors (the
affinities are 0.3 s of a 15 s stage), too little for a second dependence on scikit-learn's
private parts (``_N_ITER_CHECK`` below is one, which the progress tests would catch changing).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

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


class Settings(NamedTuple):
    perplexity: float
    learning_rate: float
    random_state: int
    exaggerate_first: bool  # the first stage is t-SNE's early exaggeration (a map not refined)


@functools.cache
def _estimator_class():
    from sklearn.manifold import TSNE

    class StagedTSNE(TSNE):
        """scikit-learn's TSNE saying where it is every ``REPORT_EVERY`` iterations."""

        _N_ITER_CHECK = REPORT_EVERY

    return StagedTSNE


class Stages:
    """The stages of the map of ``x`` (n, d) with ``settings``: ``run(start, stage)`` is stage
    ``stage`` from the (n, 2) layout ``start``."""

    def __init__(self, x: np.ndarray, settings: Settings, verbose: int = 0):
        self.x, self.settings, self.verbose = x, settings, verbose

    def run(self, start: np.ndarray, stage: int) -> np.ndarray:
        """One stage of ``STAGE_ITERATIONS`` iterations from ``start``: (n, 2) float32."""
        return self._estimator(start, stage).fit_transform(self.x).astype(np.float32)

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
