"""The baseline `vsdesk eval product` compares a product model against: a logistic regression on
the frozen top's pooled features of the same training photos, fitted as the model is trained
(``train``) and saved beside it as plain arrays, applied when the model is evaluated
(``evaluate``)."""

from __future__ import annotations

import numpy as np

from vsdesk.engine.product.features import compiled
from vsdesk.engine.tasks import Cancelled, check_cancelled, never_cancelled


def fit_standardised(x: np.ndarray, y: np.ndarray, c: float, seed: int):
    """A logistic regression on ``x`` standardised: (mean, scale, the fitted classifier). The one
    fit of the linear heads (``train._fit_linear``) and of the baseline saved beside a model."""
    from sklearn.linear_model import LogisticRegression

    mean = x.mean(0)
    scale = x.std(0) + 1e-3
    clf = LogisticRegression(C=c, max_iter=300, random_state=seed).fit((x - mean) / scale, y)
    return mean, scale, clf


def fit_baseline(x: np.ndarray, y: np.ndarray, n_classes: int, c: float, seed: int) -> dict[str, np.ndarray]:
    """Frozen-feature logistic regression as plain arrays (saved with ``allow_pickle=False``)."""
    mean, scale, clf = fit_standardised(x, y, c, seed)
    coef = np.zeros((n_classes, x.shape[1]), np.float32)
    intercept = np.full(n_classes, -1e9 if len(clf.classes_) < n_classes else 0, np.float32)
    if len(clf.classes_) == 2 and clf.coef_.shape[0] == 1:
        coef[clf.classes_[1]], intercept[clf.classes_[1]] = clf.coef_[0], clf.intercept_[0]
        coef[clf.classes_[0]], intercept[clf.classes_[0]] = 0.0, 0.0
    else:
        coef[clf.classes_], intercept[clf.classes_] = clf.coef_, clf.intercept_
    return {"mean": mean.astype(np.float32), "scale": scale.astype(np.float32), "coef": coef, "intercept": intercept}


def baseline_probs(baseline: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    logits = ((x - baseline["mean"]) / baseline["scale"]) @ baseline["coef"].T + baseline["intercept"]
    logits -= logits.max(1, keepdims=True)
    probs = np.exp(logits)
    return probs / probs.sum(1, keepdims=True)


def pooled_features(top_model, feats: np.ndarray, batch_size: int = 64, cancelled: Cancelled = never_cancelled) -> np.ndarray:
    run = compiled(top_model)
    out = []
    for start in range(0, len(feats), batch_size):
        check_cancelled(cancelled)
        out.append(run(feats[start : start + batch_size].astype(np.float32)))
    return np.concatenate(out)
