"""The text form of ``vsdesk search``'s answer (without --json): each query's line, its facts
in words as its mode says them, its results and, where there are none, why."""

from __future__ import annotations

from typing import Any

from vsdesk.cli._common import end_progress_line
from vsdesk.engine.text import counted, image_count, kids_words, shown_class, shown_path


def print_results(records: list[dict[str, Any]], name: str, size: int, mode: str,
                   item_kinds: dict[int, list[Any]], files: int) -> None:
    from vsdesk.engine.session import item_facts

    end_progress_line()  # stdout and stderr share the terminal: results start on a line of their own
    typed_by_model = False  # a result's type shown is the model's, from its stored vector
    for i, record in enumerate(records):
        if "error" in record:
            continue  # already said on stderr, where errors go
        # (files, as the window counts)
        print(f"{_one_line(record['query'])}  (catalog {name}, {image_count(files, size)})")
        # A fact the model does not have (the kids flag of a model trained from class folders)
        # is None: nothing to say in words; --json keeps the key.
        facts = {k: v for k, v in record.items()
                 if k not in ("query", "results", "copies_left_out", "copies_left_out_paths", "nothing_to_compare",
                              "weak_match")
                 and v is not None}
        for line in _FACT_LINES.get(mode, product_facts)(facts):
            print(f"  {_one_line(line)}")
        for hit, kind in zip(record["results"], item_kinds.get(i) or [None] * len(record["results"])):
            if hit["label"] and kind is not None:  # its type, then its label, as the window says them
                label = f"  [{' · '.join(item_facts(hit['label'], kind))}]"
                typed_by_model |= kind.predicted
            elif hit["label"]:
                label = f"  [{hit['label']}]"
            else:  # an unlabelled item's type, as the window shows it
                label = f"  [{shown_class(hit['predicted'])} (predicted)]" if hit.get("predicted") else ""
                typed_by_model |= bool(hit.get("predicted"))
            # 3 decimals, as the window says a score (``--json`` keeps it whole)
            print(f"  {hit['rank']:3d}. {hit['score']:.3f}  {_one_line(hit['path'])}{_one_line(label)}")
            for path in hit.get("also", ()):
                print(f"       also at {_one_line(path)}")
            for path in hit.get("copies", ()):  # (--show-copies lists them as results instead)
                print(f"       a copy at {_one_line(path)}")
        if not record["results"]:
            print(f"  {why_no_results(record, files)}")
        elif record.get("weak_match"):
            from vsdesk.engine.query import WEAK_MATCH

            print(f"  ({WEAK_MATCH})")
        for line in _copy_lines(record):
            print(f"  {_one_line(line)}")
        print()
    if typed_by_model:
        print(ITEM_TYPE_NOTE)


#: Said once under product results typed by the model: a photo's type as a result is not computed
#: as a query's (a review: one file "Skirt" as the query, "T-Shirt (predicted)" as a result).
ITEM_TYPE_NOTE = ("(a result's type is the model's first member's, from the vector stored when it was indexed; a "
                  "query's is every member's, on the photo and its mirror image: one photo can be typed otherwise "
                  "as a result than as a query)")


def _copy_lines(record: dict[str, Any]) -> list[str]:
    """The files left out as copies of the query, named (``query.copies_to_name``)."""
    from vsdesk.engine.query import copies_to_name

    copies = [(copy["path"], copy["same"]) for copy in record.get("copies_left_out_paths", ())]
    return [f"left out as a copy of the query: {_one_line(path)} ({words})" for path, words in copies_to_name(copies)]


def why_no_results(record: dict[str, Any], size: int) -> str:
    """Why a query answered has no result line: the catalog holds only copies of it (left out
    of its results), no other image of the type it was kept to, or nothing at all; or the query
    was not compared (a VAE picture with no object in it). ``size``: the catalog's files,
    counted as ``copies_left_out`` counts them (one file at several paths is one)."""
    if record.get("nothing_to_compare"):
        return f"no results: {record['nothing_to_compare']}"
    copies = record.get("copies_left_out", 0)
    left_out = f"{counted(copies, 'copy', 'copies')} of the query left out"
    kept = [f"of the type {record['same_class']}"] if record.get("same_class") else []
    if "kids_only" in record:
        kept.append("of kids' wear" if record["kids_only"] else "not of kids' wear")
    if kept and size > copies:  # the others are of other types, or on the other side of kids' wear
        return f"no other images {' and '.join(kept)}" + (f" ({left_out})" if copies else "")
    return f"no other images: {left_out}" if copies else "no images in the catalog"


# The text form of a query's facts (describe() in the record) is for a person: each mode says
# what its known keys mean and leaves out what is for scripts (internal lists, base64 images,
# model settings), which --json keeps unchanged.

def product_facts(facts: dict[str, Any]) -> list[str]:
    """Product (and a mode without lines of its own): every fact, as it always read: the type,
    class probabilities, the kids flag, the model, and how familiar the photo looks."""
    lines = []
    for key, value in facts.items():
        if key == "same_class":
            lines.append(f"only items of the type: {shown_class(value)}")
        elif key == "kids_only":
            lines.append("only kids' wear" if value else "only items that are not kids' wear")
        elif key == "familiarity" and isinstance(value, dict):  # does it look like the training photos?
            from vsdesk.engine.product.familiarity import sentence

            lines.append(f"{'note' if value.get('unfamiliar') else key}: {sentence(value)}")
        elif key == "familiarity_note":  # a model that cannot tell (too few training photos)
            lines.append(f"familiarity: not checked, {value}")
        elif key == "kids" and isinstance(value, (int, float)):  # a probability, as the classes' are shown
            lines.append(f"kids' wear: {kids_words(value)}")
        elif key == "predicted":  # the type as said, not as the model's label spells it
            lines.append(f"{key}: {shown_class(value)}")
        elif key != "describe_error":  # said last, in words, as the other modes say it
            lines.append(f"{key}: {_short(value)}")
    return lines + _describe_error(facts)


def vae_facts(facts: dict[str, Any]) -> list[str]:
    """VAE: the category by the vote of the nearest training images, how unusual the image is for
    the model, and its place on the 2-D map (``vsdesk vae decode X Y`` draws any place). A
    picture with no object in it has none of these: its line in place of results says why
    (``why_no_results``)."""
    if facts.get("object_found") is False:
        return _describe_error(facts)
    lines = []
    category, votes = facts.get("category"), facts.get("votes")
    if category:
        if isinstance(votes, dict) and votes.get(category):
            others = ", ".join(f"{label} {count}" for label, count in
                               sorted(votes.items(), key=lambda item: -item[1]) if label != category)
            category += (f" ({votes[category]} of the {sum(votes.values())} nearest training images"
                         f"{f'; {others}' if others else ''})")
        lines.append(f"category: {category}")
    anomaly = facts.get("anomaly")
    if isinstance(anomaly, dict) and anomaly.get("percentile") is not None:
        from vsdesk.engine.vae.engine import anomaly_words

        lines.append(f"anomaly: {anomaly_words(anomaly['percentile'])}")
    near = facts.get("nearness")
    if isinstance(near, dict) and near.get("percentile") is not None:  # a second signal, beside the anomaly
        from vsdesk.engine.vae.nearness import high_note

        lines.append(f"nearness: its nearest training images are less alike to it than for {near['percentile']:.1f} % "
                     "of the Fashion-MNIST items")
        if note := high_note(near["percentile"]):  # what a high one means, as the window says it
            lines.append(note)
    point = facts.get("map2d")
    if isinstance(point, (list, tuple)) and len(point) == 2:
        lines.append(f"map position: ({point[0]:.2f}, {point[1]:.2f})")
    return lines + _describe_error(facts)


def style_facts(facts: dict[str, Any]) -> list[str]:
    """Style: nothing about the query beyond its results; one short line on what is compared."""
    lines = []
    if facts.get("layers") and facts.get("dim"):
        subject = facts.get("subject_weight") or 0
        lines.append(f"model: VGG16 Gram matrices of {len(facts['layers'])} layers"
                     f"{f' + {subject:.0%} subject' if subject else ''}, {facts['dim']:,} numbers per image")
    return lines + _describe_error(facts)


def _describe_error(facts: dict[str, Any]) -> list[str]:
    error_text = facts.get("describe_error")
    if not error_text:
        return []
    # One line for a message written over several (the download attempts of a data set, each
    # on a line of its own): not escaped "\n"s, as a file name's line break is.
    first, *rest = [part.strip() for part in str(error_text).splitlines() if part.strip()] or [""]
    said = " ".join([first, "; ".join(rest)]) if rest else first
    return [f"note: the query's details could not be computed ({said})"]


_FACT_LINES = {"product": product_facts, "vae": vae_facts, "style": style_facts}


def _short(value: Any) -> str:
    if isinstance(value, list) and value and all(isinstance(v, dict) and {"label", "probability"} <= set(v)
                                                 for v in value):
        # class probabilities, most likely first: the first few say it all (--json has every one)
        shown = [f"{shown_class(v['label'])} {v['probability']:.1%}" for v in value[:5] if v["probability"] >= 0.001]
        return ", ".join(shown or [f"{shown_class(value[0]['label'])} {value[0]['probability']:.1%}"])
    text = _one_line(str(value))
    return text if len(text) < 200 else text[:197] + "..."


def _one_line(text: str) -> str:
    """``text`` as ``shown_path`` shows a name: a line break or a tab in it as "\\n", "\\t" (one
    result stays on one line), a name's bytes that are not UTF-8 as escapes (printed as they
    are, they stopped the output)."""
    return shown_path(text)
