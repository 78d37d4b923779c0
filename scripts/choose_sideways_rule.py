#!/usr/bin/env python3
"""Choose the "on its side" rule on one half of the held-out contributors, confirm it on the other.

Every photo of the twin's held-out contributors (``heldout_photos``, as
scripts/measure_sideways.py picks them), as given and turned by 90 and 270 degrees, through the
app's path (``decode_query``, the turn, the resize to the model's input, the first member,
int8): the picture's and its two turns' (``ProductEmbedder.turned``) scores against the bank
(``Familiarity.scores``) and top class probabilities of the first member's head
(``classify_vectors``: free from the vectors, as the app could have them). ``--check N``
first prints N photos' gains beside measure_sideways.py's ``gain`` (they were equal, bit for bit).

The contributors (``sender_id``) are split at random into two halves of 26 (``--seed``). On the
first, each candidate rule gets the threshold with the fewest false alarms (upright photos told)
that still tells as many turned photos (by 90 and 270 degrees) as the current rule less
``CATCH_GIVEN_UP`` points, and one rule is picked there alone (``SIMPLER_BY``). The current rule
and the picked one are then measured once on the second half, against a bar set beforehand
(``CLEAR_SHARE``, ``CLEAR_CATCH``).

    .venv/bin/python scripts/choose_sideways_rule.py [--data ../shared/data] [--cache FILE.npz]

About 7 minutes on 2 busy cores (9 passes per photo, 1,007 photos); ``--cache`` keeps the
passes' results for a second run.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from measure_screenshot_familiarity import NOT_CLASSES, TWIN, heldout_photos  # noqa: E402
from vsdesk.engine.embedding import l2_normalise  # noqa: E402
from vsdesk.engine.product import familiarity, load_embedder  # noqa: E402
from vsdesk.engine.product import model as product_model  # noqa: E402
from vsdesk.engine.product.features import image_array  # noqa: E402
from vsdesk.engine.query import decode_query  # noqa: E402

#: The catch rate a rule may give up on the choosing half against the current rule (points).
CATCH_GIVEN_UP = 1.0
#: On the choosing half, the simplest rule is kept unless another has this many points fewer false alarms.
SIMPLER_BY = 0.5
#: Set before the confirming half was looked at: a new rule wins clearly with at most this share
#: of the current rule's false alarms, catching at most CLEAR_CATCH points fewer turned photos.
CLEAR_SHARE = 2 / 3
CLEAR_CATCH = 2.0


def senders(data: Path) -> list[str]:
    """Each held-out photo's contributor, in ``heldout_photos``' order."""
    test = {str(g) for g in product_model.read_meta(Path(TWIN)).test_groups}
    with open(data / "clothing-dataset" / "images.csv", encoding="utf-8") as fp:
        return [r["sender_id"] for r in csv.DictReader(fp) if r["sender_id"] in test and r["label"] not in NOT_CLASSES]


TURNS = (None, Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_270)  # as measure_sideways.py turns


def collect(embedder, files: list[Path]) -> dict[str, np.ndarray]:
    """Per photo, as given and turned by 90 and 270 degrees (each then through the app's path,
    the resize after the turn), the score and the first member's top class probability of the
    model's input and of that input turned by 90 degrees each way (``ProductEmbedder.turned``):
    (n, 3, 3) each."""
    scores, top = np.zeros((len(files), 3, 3), np.float32), np.zeros((len(files), 3, 3), np.float32)
    for i, path in enumerate(files):
        image = decode_query(embedder, str(path))
        views = []
        for turn in TURNS:
            pixels = image_array(image if turn is None else image.transpose(turn), embedder.meta.size)
            views += [pixels, np.rot90(pixels, 1), np.rot90(pixels, -1)]
        batch = embedder.backbone.preprocess(np.stack(views).astype(np.float32))
        vectors = l2_normalise(np.asarray(embedder.embed(batch), np.float32)[:, : embedder.features_dim])
        scores[i] = embedder.familiarity.scores(vectors).reshape(3, 3)
        top[i] = embedder.classify_vectors(vectors)["probabilities"].max(1).reshape(3, 3)
        if i % 50 == 0:
            print(f"  {i} / {len(files)}", file=sys.stderr, flush=True)
    return {"scores": scores, "top": top}


def pictures(data: dict[str, np.ndarray], fam) -> dict[str, dict[str, np.ndarray]]:
    """For the photos as given ("upright") and turned by 90 or 270 degrees ("turned", both):
    the facts a rule may use, of the picture and of the better-scoring of its two turns."""
    scores, top = data["scores"], data["top"]
    n = np.arange(len(scores))
    out = {}
    for name, views in (("upright", [0]), ("turned", [1, 2])):
        rows = {key: [] for key in ("gain", "typicality", "typicality_turned", "top", "top_turned")}
        for v in views:
            better = 1 + np.argmax(scores[:, v, 1:], 1)  # the turn the app reports
            rows["gain"].append(scores[n, v, better] - scores[:, v, 0])
            rows["typicality"].append(fam._typicality_of(scores[:, v, 0]))
            rows["typicality_turned"].append(fam._typicality_of(scores[n, v, better]))
            rows["top"].append(top[:, v, 0])
            rows["top_turned"].append(top[n, v, better])
        out[name] = {key: np.concatenate(v) for key, v in rows.items()}
    return out


#: Candidate rules: name -> (the number that must exceed a threshold, the thresholds tried); the
#: first is the current rule's own number, the simplest.
def candidates() -> dict[str, tuple]:
    def gain_if_familiar_turned(f):  # the current rule's number: no gain while the turn is itself unfamiliar
        return np.where(f["typicality_turned"] >= familiarity.UNFAMILIAR_BELOW, f["gain"], -np.inf)

    def both(f):  # the score gain as now AND the turned top probability higher by the margin
        return np.where(gain_if_familiar_turned(f) > familiarity.SIDEWAYS_GAIN, f["top_turned"] - f["top"], -np.inf)

    def both_typicality(f):  # the typicality gain AND the top probability gain both above t
        return np.minimum((f["typicality_turned"] - f["typicality"]) / 100.0, f["top_turned"] - f["top"])

    def relative(f):  # the score gain over what the picture lacks of the best typicality
        return f["gain"] / np.maximum(1.0 - f["typicality"] / 100.0, 0.01)

    return {
        "score gain, turned familiar (now: > 0.03)": (gain_if_familiar_turned, np.arange(0.0, 0.3, 0.001)),
        "score gain > 0.03 and top prob. gain > m": (both, np.arange(-1.0, 1.0, 0.005)),
        "typicality gain and top prob. gain both > t": (both_typicality, np.arange(-0.5, 1.0, 0.005)),
        "top prob. gain alone > m": (lambda f: f["top_turned"] - f["top"], np.arange(-1.0, 1.0, 0.005)),
        "typicality gain (points) > t": (lambda f: f["typicality_turned"] - f["typicality"], np.arange(0, 100, 0.5)),
        "score gain / (1 - typicality) > r": (relative, np.arange(0.0, 2.0, 0.002)),
    }


def rates(value, facts, threshold) -> tuple[float, float]:
    """(false alarms, caught) in per cent: upright and turned pictures whose value exceeds it."""
    return (100 * float(np.mean(value(facts["upright"]) > threshold)),
            100 * float(np.mean(value(facts["turned"]) > threshold)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--cache", type=Path, help="an .npz of the passes' results (made if missing)")
    parser.add_argument("--every", type=int, default=1, help="every n-th held-out photo (all: 1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--check", type=int, default=0, help="compare N photos with measure_sideways.gain first")
    args = parser.parse_args()
    files, groups = heldout_photos(args.data), senders(args.data)
    assert len(files) == len(groups)
    files, groups = files[:: args.every], groups[:: args.every]
    embedder = load_embedder(model=TWIN)
    fam = embedder.familiarity
    if args.check:  # the gains as measure_sideways.py computes them, through embed and turned
        from measure_sideways import gain

        data = collect(embedder, files[: args.check])
        for i, path in enumerate(files[: args.check]):
            image = decode_query(embedder, str(path))
            for v, turn in enumerate(TURNS):
                app = gain(embedder, image if turn is None else image.transpose(turn))
                here = data["scores"][i, v, 1:].max() - data["scores"][i, v, 0]
                print(f"check {path.name} view {v}: measure_sideways {app:.5f}, here {here:.5f}")
    if args.cache and args.cache.is_file():
        with np.load(args.cache, allow_pickle=False) as saved:
            data = {k: saved[k] for k in ("scores", "top")}
    else:
        data = collect(embedder, files)
        if args.cache:
            np.savez(args.cache, **data)

    names = sorted(set(groups))
    rng = np.random.default_rng(args.seed)
    rng.shuffle(names)
    first = set(names[: len(names) // 2])
    in_first = np.array([g in first for g in groups])
    halves = {}
    for label, mask in (("choosing", in_first), ("confirming", ~in_first)):
        halves[label] = pictures({k: v[mask] for k, v in data.items()}, fam)
        print(f"{label} half: {mask.sum()} photos of {len({g for g, m in zip(groups, mask) if m})} contributors")

    rules = candidates()
    current = (rules["score gain, turned familiar (now: > 0.03)"][0], familiarity.SIDEWAYS_GAIN)
    false_now, caught_now = rates(current[0], halves["choosing"], current[1])
    print(f"\nChoosing half, the current rule (score gain > {familiarity.SIDEWAYS_GAIN}, turned familiar): "
          f"false alarms {false_now:.1f} %, caught {caught_now:.1f} %")
    print(f"Each rule's threshold: fewest false alarms catching at least {caught_now - CATCH_GIVEN_UP:.1f} %")
    chosen = {}
    for name, (value, thresholds) in rules.items():
        best = None
        for t in thresholds:
            fa, caught = rates(value, halves["choosing"], t)
            if caught >= caught_now - CATCH_GIVEN_UP and (best is None or (fa, -caught) < (best[1], -best[2])):
                best = (t, fa, caught)
        chosen[name] = best
        if best is None:
            print(f"  {name}: no threshold catches as many")
        else:
            print(f"  {name}: threshold {best[0]:.3f}, false alarms {best[1]:.1f} %, caught {best[2]:.1f} %")

    # The pick, on the choosing half alone: the fewest false alarms; the simplest rule (a higher
    # score gain, the current rule's own number) unless another has SIMPLER_BY points fewer.
    found = {name: best for name, best in chosen.items() if best is not None}
    pick = min(found, key=lambda name: found[name][1])
    simplest = next(iter(rules))
    if simplest in found and found[simplest][1] <= found[pick][1] + SIMPLER_BY:
        pick = simplest
    print(f"Picked: {pick} > {found[pick][0]:.3f}")

    print("\nConfirming half (once, the current rule and the picked one): false alarms / caught")
    fa_now, caught_now = rates(current[0], halves["confirming"], current[1])
    fa_new, caught_new = rates(rules[pick][0], halves["confirming"], found[pick][0])
    print(f"  current, score gain > {familiarity.SIDEWAYS_GAIN}, turned familiar: {fa_now:.1f} % / {caught_now:.1f} %")
    print(f"  picked, {pick} > {found[pick][0]:.3f}: {fa_new:.1f} % / {caught_new:.1f} %")
    clear = fa_new < fa_now and fa_new <= CLEAR_SHARE * fa_now and caught_new >= caught_now - CLEAR_CATCH
    print(f"  wins clearly (false alarms at most {CLEAR_SHARE:.0%} of the current's, caught at most "
          f"{CLEAR_CATCH:g} points fewer): {'yes' if clear else 'no'}")

    # Described, not chosen on: the current rule on all the photos, and whose photos it tells.
    facts = pictures(data, fam)
    n = len(files)
    # The rule before 29 Nov (the score gain alone; paintings were told "on its side") beside the current one.
    for name, value in (("the score gain alone (before 29 Nov)", lambda f: f["gain"]), ("the current rule", current[0])):
        told = value(facts["upright"]) > familiarity.SIDEWAYS_GAIN
        turned = value(facts["turned"]) > familiarity.SIDEWAYS_GAIN
        print(f"\nAll {n} photos, {name}: false alarms {told.sum()} ({100 * told.mean():.1f} %), caught "
              f"{turned[:n].sum()} ({100 * turned[:n].mean():.1f} %) turned by 90 degrees, "
              f"{turned[n:].sum()} ({100 * turned[n:].mean():.1f} %) by 270")
    by = {g: int(np.sum(told[np.array(groups) == g])) for g in set(groups)}
    print("  false alarms by contributor (told of photos): " + ", ".join(
        f"{by[g]} of {groups.count(g)}" for g in sorted(by, key=lambda g: -by[g]) if by[g]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
