"""Style: the style <-> subject weight (re-ranks without re-embedding the query)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QVBoxLayout

from vsdesk.engine.style.config import SUBJECT_LAYER  # cheap: no TensorFlow
from vsdesk.gui import theme
from vsdesk.gui.panels.base import ModePanel


class StylePanel(ModePanel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setToolTip("0 = artistic style only; 100 = subject (content) only")
        self.slider.setAccessibleName("Similarity by style or subject")
        self.slider.setAccessibleDescription("0 = artistic style only; 100 = subject (content) only")
        self.value_label = QLabel()
        self._extras: dict[str, Any] | None = None  # the query's facts shown (``show_extras``)
        row = QHBoxLayout()
        row.addWidget(QLabel("style"))
        row.addWidget(self.slider, 1)
        row.addWidget(QLabel("subject"))
        self.info = QLabel("")
        self.info.setWordWrap(True)
        theme.muted(self.info)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        title = QLabel("<b>Similarity by</b>")
        layout.addWidget(title)
        layout.addLayout(row)
        layout.addWidget(self.value_label)
        layout.addWidget(self.info)
        layout.addStretch(1)
        # Dragging the slider re-ranks at most every 150 ms, not on every pixel.
        self._debounce = QTimer(self, singleShot=True, interval=150)
        self._debounce.timeout.connect(self.options_changed)
        self.slider.valueChanged.connect(self._on_value)
        self._on_value(self.slider.value(), emit=False)

    def set_default_weight(self, weight: float) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(round(weight * 100))
        self.slider.blockSignals(False)
        self._on_value(self.slider.value(), emit=False)

    def restore_options(self, settings) -> None:
        from vsdesk.engine.style.config import DEFAULT  # cheap: no TensorFlow

        # The engine's measured default, until the user moves the slider (then remembered).
        self.set_default_weight(settings.float_value("style/subject_weight", DEFAULT.subject_weight))

    def weight(self) -> float:
        return self.slider.value() / 100.0

    def options(self) -> dict[str, Any]:
        return {"subject_weight": self.weight()}

    def _on_value(self, value: int, emit: bool = True) -> None:
        self.value_label.setText(f"{100 - value}% style · {value}% subject")
        if self._extras is not None:  # what is compared follows the weight
            self.show_extras(self._extras)
        if emit:
            self._debounce.start()

    def show_extras(self, extras: dict[str, Any]) -> None:
        self._extras = extras
        lines = []
        if extras.get("layers"):
            lines.append(compared_words(len(extras["layers"]), self.slider.value()))
        if extras.get("input_size"):
            lines.append(input_words(extras["input_size"], extras.get("scale")))
        if extras.get("bytes_per_image"):
            lines.append(f"{extras['bytes_per_image'] / 1024:.1f} KB stored per image")
        # One plain sentence for a newcomer; the engineer's details (layers, crop, bytes) in its
        # tip: "VGG16 Gram statistics of 3 layers … block5_pool" was all the panel said.
        self.info.setText(score_words(self.slider.value()))
        self.info.setToolTip("\n".join(lines))

    def clear(self) -> None:
        self._extras = None
        self.info.clear()
        self.info.setToolTip("")


def score_words(subject_percent: int) -> str:
    """What a result's score means at this weight, in one sentence for a newcomer."""
    if subject_percent <= 0:
        return ("The higher a result's score, the more it is painted like your picture (colours, "
                "brushwork, texture), whatever it shows.")
    if subject_percent >= 100:
        return "The higher a result's score, the more it shows what your picture shows, however it is painted."
    return ("The higher a result's score, the more it is painted like your picture and shows what "
            "it shows, mixed as the slider says.")


def compared_words(layers: int, subject_percent: int) -> str:
    """What a search compares at this weight: "VGG16 Gram statistics of 3 layers" was said at
    100 % subject too, where they count for nothing."""
    style = f"VGG16 Gram statistics of {layers} layers (style)"
    subject = f"the average of VGG16's {SUBJECT_LAYER} features (subject)"
    if subject_percent <= 0:
        return f"compared: {style}"
    if subject_percent >= 100:
        return f"compared: {subject} only, not the Gram statistics (style)"
    return f"compared: {style} and {subject}"


def input_words(size: int, scale: int | None) -> str:
    """What the network is shown of a picture, as ``StyleEmbedder.preprocess`` does it
    (``centre_window`` / ``resize_square``): "images seen at 224 px" hid the 400 px scaling
    and the crop, so a user could not tell the edges of a wide picture are left out."""
    if scale:
        return (f"each picture scaled to {scale} px on its longest side (at least {size} on its shortest); "
                f"the network sees its central {size}×{size} px")
    return f"each picture squashed to {size}×{size} px; the network sees all of it"
