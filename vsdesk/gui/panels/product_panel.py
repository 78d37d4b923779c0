"""Product: the class probabilities as bars and the predicted attributes (e.g. kids' wear).

The panel reads the keys ``ProductEmbedder.describe`` returns, and only those: a key renamed
there fails the tests instead of leaving the panel silently empty.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QVBoxLayout

from vsdesk.engine.text import kids_words, percent, sentence, shown_class
from vsdesk.gui import theme
from vsdesk.gui.accessible import name_combo
from vsdesk.gui.panels.base import ModePanel, Note
from vsdesk.gui.panels.probability_bars import ProbabilityBars


def probability_items(extras: dict[str, Any]) -> list[tuple[str, float]]:
    """The top classes of ``describe()``, most probable first, as (class, probability)."""
    return [(shown_class(entry["label"]), float(entry["probability"])) for entry in extras["classes"]]


def attribute_lines(extras: dict[str, Any]) -> list[str]:
    """The Clothing Dataset's other attribute, kids' wear (None: the model has no head for it)."""
    kids = extras["kids"]
    return [] if kids is None else [f"Kids' wear: {kids_words(kids)}"]


FAMILIARITY_TIP = (
    "In the model's own features, this photo's nearest training photos are farther away than for "
    "99 % of the photos it was trained on: it has learnt nothing like it."
)
FLAT_TIP = (
    "{share:.0f} % of this picture is areas of one exact colour, more than in 99.5 % of the photos the "
    "model was trained on: a screenshot, a page or a drawing, not a photo like them, whatever photo it shows."
)


SIDEWAYS_TIP = (
    "Turned by 90 degrees this picture looks more like the photos the model was trained on (more typical than "
    "{turned} of them, against {typicality} as it is): clothing is photographed upright, and this one may be on its "
    "side. Turn it upright and search again."
)


def familiarity_tip(extras: dict[str, Any]) -> str:
    """Why the picture is called unlike the training photos: its flat areas, its side, or the
    features."""
    familiar = extras.get("familiarity") or {}
    if familiar.get("flat_unusual"):
        return FLAT_TIP.format(share=familiar["flat_areas"])
    if familiar.get("sideways"):
        return SIDEWAYS_TIP.format(turned=percent(familiar["typicality_turned"]), typicality=percent(familiar["typicality"]))
    return FAMILIARITY_TIP if familiar.get("unfamiliar") else ""


def unfamiliar_text(extras: dict[str, Any]) -> str:
    """The warning for a photo unlike the training photos, or "" (familiar, or not known)."""
    familiar = extras.get("familiarity")  # only a model with its training photos' statistics says
    if familiar is None or not familiar["unfamiliar"]:
        return ""
    if familiar.get("sideways") and not familiar.get("flat_unusual"):
        return "It may be on its side (the model learnt from upright photos): its class is a guess."
    return "Unlike the photos this model was trained on: its class is a guess."


#: Why a photo's type may differ as the query and as a catalog item: the two are not computed alike
#: (all members with the mirror image, against the first member's stored vector; docs/product.md).
QUERY_TYPE_TIP = (
    "The query's type: the mean of the model's members, each on the photo and its mirror image. A catalog "
    "item's type, in the gallery, on the map and for the filter below, comes from the vector stored when it was "
    "indexed, the first member's alone: the same photo can be typed otherwise there."
)
SAME_CLASS_TEXT = "Only results of the query's type"
#: The kids' wear filter's choices: (shown, the session's ``kids`` option).
KIDS_CHOICES = (("Kids' wear or not", ""), ("Only kids' wear", "yes"), ("No kids' wear", "no"))
KIDS_TIP = ("Keep the results to kids' wear, or to the rest: an item is kids' wear when the model "
            "gives it 50 % or more (its caption then says \"kids\").")
NO_KIDS_HEAD_TIP = ("This catalog's model does not tell kids' wear (it was trained without the kids attribute): "
                    "its results cannot be kept to kids' wear or to the rest.")
#: Under "Attributes" for a model that tells none (a lone "—" was read out as "em dash").
NO_ATTRIBUTES_TEXT = "None: this model does not tell kids' wear."
#: The note on a photo unlike the training photos: amber (``theme.readable`` darkens or lightens it).
WARNING_HUE = "#a15c00"


class ProductPanel(ModePanel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = QLabel("<b>Product type</b>")
        # Empty before a query, as the VAE panel's line: a lone "—" there was read out as "em
        # dash". (An empty label keeps a line's room: the bars do not jump at the first query.)
        self.predicted = QLabel("")
        self.predicted.setStyleSheet("font-size:15px;")
        self.predicted.setToolTip(QUERY_TYPE_TIP)
        self._predicted: tuple[str, float] | None = None  # the class and its share, shown by _show_predicted
        self._kids_reset = False  # the kids' wear box was put back to its first choice (``_offer_kids``)
        theme.follow(self.predicted, self._show_predicted)
        self.bars = ProbabilityBars(rows=5)
        # Shown only for a photo unlike the model's training photos (a painting, a screenshot):
        # the bars still sum to 100 %, and without this they would look like an answer.
        self.unfamiliar = QLabel("")
        self.unfamiliar.setWordWrap(True)
        # An amber warning, as dark or light as it must be to read on the palette's window.
        theme.follow(self.unfamiliar, lambda: theme.set_sheet(self.unfamiliar, "color:" + theme.css(theme.readable(
            QColor(WARNING_HUE), theme.colour(QPalette.ColorRole.Window))) + ";"))
        self.unfamiliar.hide()
        # Results of the query's product type only (a re-rank of the stored vectors, no model run).
        self.same_class = QCheckBox(SAME_CLASS_TEXT)
        self.same_class.setToolTip(
            "Leave out catalog items of other product types: an item's type is its own label "
            "where it has one of the model's classes, else the type the model predicts from its stored vector "
            "(the first member's alone, where the query's is all members' with its mirror image: one photo can "
            "be typed otherwise as a query and as an item)."
        )
        self.same_class.toggled.connect(lambda _checked: self.options_changed.emit())
        # Kids' wear or not, as the model predicts it for each item (a re-rank too).
        self.kids = QComboBox()
        for text, value in KIDS_CHOICES:
            self.kids.addItem(text, value)
        self.kids.setToolTip(KIDS_TIP)
        name_combo(self.kids, "Kids' wear")  # its choices change; a screen reader says what it sets
        self.kids.currentIndexChanged.connect(lambda _index: self.options_changed.emit())
        self.attributes = QLabel("")
        self.attributes.setWordWrap(True)
        self.model_info = QLabel("")
        self.model_info.setTextFormat(Qt.TextFormat.PlainText)  # a model's name is the user's
        self.model_info.setWordWrap(True)
        theme.muted(self.model_info, "font-size:11px;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.predicted)
        layout.addWidget(self.unfamiliar)
        layout.addWidget(self.bars)
        layout.addWidget(self.same_class)
        layout.addWidget(self.kids)
        layout.addWidget(QLabel("<b>Attributes</b>"))
        layout.addWidget(self.attributes)
        layout.addWidget(self.model_info)
        layout.addStretch(1)

    def minimumSizeHint(self) -> QSize:
        """Tall enough for every line at this width. A layout counts a word-wrapped label (the
        note on an unfamiliar photo, the model line) as one line in its minimum: in a 1024x700
        window the splitter gave the panel that much, and the checkbox lay over the last bar."""
        hint = super().minimumSizeHint()
        return QSize(hint.width(), max(hint.height(), self.layout().totalHeightForWidth(self.width())))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.updateGeometry()  # another width, another height for the wrapped lines

    def options(self) -> dict[str, Any]:
        return {"same_class": self.same_class.isChecked(), "kids": self.kids.currentData()}

    def restore_options(self, settings) -> None:
        self.same_class.blockSignals(True)
        self.same_class.setChecked(settings.bool_value("product/same_class", False))
        self.same_class.blockSignals(False)
        self.kids.blockSignals(True)
        self.kids.setCurrentIndex(max(0, self.kids.findData(settings.str_value("product/kids"))))
        self.kids.blockSignals(False)

    def follow_catalog(self, snapshot) -> bool:
        """The kids' wear box is offered only for a model that tells kids' wear (told once the
        model has typed the catalog's items): else it is off, at "Kids' wear or not", and says why.
        A choice kept from another model no longer filters (or is noted) at every start."""
        if not snapshot.types:
            return False  # not typed yet: whether its model tells kids' wear is not known
        self._offer_kids(snapshot.kids is not None)
        return self._kids_reset

    def _offer_kids(self, told: bool) -> None:
        """The kids' wear box on (``told``: the model tells kids' wear), or off at its first choice."""
        self._kids_reset = not told and self.kids.currentIndex() != 0
        if not told:
            self.kids.blockSignals(True)
            self.kids.setCurrentIndex(0)
            self.kids.blockSignals(False)
        self.kids.setEnabled(told)
        self.kids.setToolTip(KIDS_TIP if told else NO_KIDS_HEAD_TIP)

    def kids_kept_to(self, extras: dict[str, Any]) -> str:
        """"kids' wear" or "no kids' wear" when the results were kept to it, else ""."""
        chosen = self.kids.currentData()
        if not chosen or extras.get("kids") is None:  # a model without the kids' wear head: not kept
            return ""
        return "kids' wear" if chosen == "yes" else "no kids' wear"

    def results_filtered(self, extras: dict[str, Any]) -> str:
        kept = self.kids_kept_to(extras)
        return {"kids' wear": "only kids' wear", "no kids' wear": "kids' wear left out"}.get(kept, "")

    def results_kept_to(self, extras: dict[str, Any]) -> str | None:
        return extras["predicted"] if self.same_class.isChecked() else None

    def results_note(self, extras: dict[str, Any], found: int) -> Note | None:
        kept = self.results_kept_to(extras)
        kept = kept and shown_class(kept)  # (a type as said, not as the model's label spells it)
        kids = self.kids_kept_to(extras)
        if self.kids.currentData() and extras.get("kids") is None:
            return Note("info", "This model does not tell kids' wear: the results are not kept to it.")
        if kids and not found:
            of_type = f" of the type {kept}" if kept else ""
            side = "is" if self.kids.currentData() == "yes" else "is not"
            return Note("warning", f"No image{of_type} in this catalog {side} kids' wear.",
                        ("Kids' wear or not", lambda: self.kids.setCurrentIndex(0)))
        if not kept:
            return None
        every_type = ("Show every type", lambda: self.same_class.setChecked(False))
        if not found:
            return Note("warning", f"No image of the type {kept} in this catalog.", every_type)
        if unfamiliar_text(extras):  # the type is a guess: results of other types are as likely
            return Note("info", f"Results are kept to the type {kept}, which is a guess for this photo.", every_type)
        return None

    def show_extras(self, extras: dict[str, Any]) -> None:
        items = probability_items(extras)
        self.bars.set_probabilities(items)
        self._predicted = items[0]
        self._show_predicted()
        self.same_class.setText(f"Only results of the type {shown_class(extras['predicted'])}")
        self._offer_kids(extras["kids"] is not None)
        self.attributes.setText("\n".join(attribute_lines(extras)) or NO_ATTRIBUTES_TEXT)
        note = unfamiliar_text(extras)
        self.unfamiliar.setText(note)
        self.unfamiliar.setToolTip(familiarity_tip(extras) if note else "")
        self.unfamiliar.setVisible(bool(note))
        # A model that cannot tell unlike photos (trained on too few) says so where it is named:
        # without the warning above, its bars would otherwise read as a checked answer.
        cannot_tell = extras.get("familiarity_note")
        self.model_info.setText(f"model: {extras['model']} · {extras['backbone']}"
                                + (" · does not warn of photos unlike its training photos" if cannot_tell else ""))
        self.model_info.setToolTip(sentence(cannot_tell) + "." if cannot_tell else "")

    def _show_predicted(self) -> None:
        """The class predicted, its share in the palette's grey as it is now."""
        if self._predicted is None:
            self.predicted.setText("")
            return
        name, p = self._predicted
        grey = theme.css(theme.secondary_text())
        self.predicted.setText(f"{html.escape(name)} <span style='color:{grey}'>({100 * p:.0f}%)</span>")

    def clear(self) -> None:
        self.same_class.setText(SAME_CLASS_TEXT)
        self.bars.set_probabilities([])
        self._predicted = None
        self._show_predicted()
        self.attributes.setText("")
        self.unfamiliar.hide()
