"""``vsdesk bench``: speed measured against a naive baseline in the same run.

Each section is a module here with ``run(record, quick: bool)``; ``record(name, value, unit,
baseline)`` collects one figure. Records are ``{name, value, unit, baseline, ratio}`` where
``ratio = value / baseline`` for rates (higher is better) and ``baseline / value`` for times, so a
ratio above 1 always means vsdesk is faster than the baseline.
"""

SECTIONS = ("foundation", "style", "product", "vae")
