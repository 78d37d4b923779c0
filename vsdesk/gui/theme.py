"""vsdesk's own colours, worked out from the application palette.

A caption's grey, a message bar's tint, the maps' background: each is taken from the palette (or
mixed from it) rather than written down, so that a dark desktop palette (a dark KDE scheme, qt6ct,
a platform that reports a dark colour scheme) gives light text on dark panels, as the rest of
the window has. Written-down greys were dark text on a dark window there, and the message bars
and maps stayed white. ``follow`` re-applies a widget's colours when the palette changes while
the window is open (a desktop switched to its dark scheme).

Contrast is measured as WCAG 2 defines it (``contrast``): 4.5 for text, the level body text needs.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QWidget

#: WCAG 2's minimum contrast ratio for body text (level AA).
TEXT_CONTRAST = 4.5


def palette() -> QPalette:
    return QGuiApplication.palette()


def colour(role: QPalette.ColorRole) -> QColor:
    return palette().color(QPalette.ColorGroup.Active, role)


def is_dark(pal: QPalette | None = None) -> bool:
    """The palette draws light text on dark windows."""
    pal = pal or palette()
    return pal.color(QPalette.ColorRole.Window).lightnessF() < pal.color(QPalette.ColorRole.WindowText).lightnessF()


def luminance(c: QColor) -> float:
    """WCAG 2's relative luminance of an opaque colour (0 black ... 1 white)."""
    def linear(v: float) -> float:
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(c.redF()) + 0.7152 * linear(c.greenF()) + 0.0722 * linear(c.blueF())


def contrast(a: QColor, b: QColor) -> float:
    """WCAG 2's contrast ratio of two opaque colours: 1 (the same) ... 21 (black on white)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def mix(a: QColor, b: QColor, t: float) -> QColor:
    """``a`` with a share ``t`` (0 ... 1) of ``b``, opaque."""
    return QColor.fromRgbF(*(x + (y - x) * t for x, y in zip(a.getRgbF()[:3], b.getRgbF()[:3], strict=True)))


def readable(text: QColor, background: QColor, minimum: float = TEXT_CONTRAST) -> QColor:
    """``text``, or as little changed towards black or white (whichever ``background`` lets
    stand out more) as makes it read on ``background``."""
    if contrast(text, background) >= minimum:
        return text
    far = QColor("black") if contrast(QColor("black"), background) > contrast(QColor("white"), background) \
        else QColor("white")
    for step in range(1, 21):
        moved = mix(text, far, step / 20)
        if contrast(moved, background) >= minimum:
            return moved
    return far


def secondary_text(background: QColor | None = None) -> QColor:
    """The grey of a caption, a count, a note: the palette's text colour a way towards
    ``background`` (by default the window colour), still readable on it."""
    background = background if background is not None else colour(QPalette.ColorRole.Window)
    return readable(mix(colour(QPalette.ColorRole.WindowText), background, 0.4), background)


def tint(hue: QColor | str, share: float, role: QPalette.ColorRole = QPalette.ColorRole.Window) -> QColor:
    """The palette's ``role`` colour with a ``share`` of ``hue``: a message bar's background
    that says its kind by its hue, as light or dark as the window around it."""
    return mix(colour(role), QColor(hue), share)


def css(c: QColor) -> str:
    return c.name(QColor.NameFormat.HexRgb)


def set_sheet(widget: QWidget, sheet: str) -> None:
    """``widget``'s style sheet, set only when it changes: setting one re-polishes the widget,
    which can change its palette and bring the palette handler back here."""
    if widget.styleSheet() != sheet:
        widget.setStyleSheet(sheet)


class _Follower(QObject):
    def __init__(self, owner: QObject, apply: Callable[[], None]):
        super().__init__(owner)  # goes with its owner, and with it the connection
        self._apply = apply
        QGuiApplication.instance().paletteChanged.connect(self._on_palette_changed)

    @Slot()
    def _on_palette_changed(self, *_args) -> None:
        self._apply()


def follow(owner: QObject, apply: Callable[[], None]) -> None:
    """``apply()`` now, and again each time the application palette changes, for as long as
    ``owner`` lives. (A widget with a style sheet that sets its colours gets no PaletteChange
    event when the application palette changes: the application's signal is what tells.)"""
    apply()
    _Follower(owner, apply)
    _restyle_on_palette_change()


def _restyle_on_palette_change() -> None:
    """Once per application: every widget with a style sheet has it set again when the palette
    changes. Qt (6.11) leaves such a widget with the palette it had when its sheet was set, even
    a sheet that sets no colour ("font-size:15px"): the legend and the class predicted stayed
    black on the dark palette a desktop switched to."""
    app = QGuiApplication.instance()
    if app.property("vsdesk_restyles"):
        return
    app.setProperty("vsdesk_restyles", True)
    app.paletteChanged.connect(_restyle_all)


def _restyle_all(*_args) -> None:
    for widget in QApplication.allWidgets():
        sheet = widget.styleSheet()
        if sheet:
            widget.setStyleSheet(sheet)


def muted(label: QWidget, extra_css: str = "") -> None:
    """``label`` in the secondary text grey (``secondary_text``), following the palette;
    ``extra_css``: more of its style sheet ("font-size:11px;")."""
    follow(label, lambda: set_sheet(label, f"color:{css(secondary_text())};{extra_css}"))


def base_sheet() -> str:
    """Style sheet colours of a panel on the palette's base colour (a map, the drop zone): its
    background, and its text in the secondary grey that reads on it."""
    base = colour(QPalette.ColorRole.Base)
    return f"background:{css(base)}; color:{css(secondary_text(base))};"


# -- the desktop's colour scheme -------------------------------------------------------------------

def dark_palette() -> QPalette:
    """A dark palette for Qt's Fusion style, as Qt's own themes give one on a dark desktop."""
    pal = QPalette()
    roles = QPalette.ColorRole
    for role, value in ((roles.Window, "#2b2b2b"), (roles.WindowText, "#e8e8e8"), (roles.Base, "#1e1e1e"),
                        (roles.AlternateBase, "#333333"), (roles.Text, "#e8e8e8"), (roles.Button, "#3a3a3a"),
                        (roles.ButtonText, "#e8e8e8"), (roles.BrightText, "#ffffff"), (roles.ToolTipBase, "#3a3a3a"),
                        (roles.ToolTipText, "#e8e8e8"), (roles.Highlight, "#2f7de1"),
                        (roles.HighlightedText, "#ffffff"), (roles.PlaceholderText, "#9a9a9a"),
                        (roles.Link, "#6aa8ff"), (roles.LinkVisited, "#b49cff"), (roles.Light, "#505050"),
                        (roles.Midlight, "#404040"), (roles.Mid, "#303030"), (roles.Dark, "#202020"),
                        (roles.Shadow, "#000000")):
        pal.setColor(role, QColor(value))
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7a7a"))
    return pal


class ColourScheme(QObject):
    """Follows the colour scheme the platform reports (Qt 6.5+: ``QStyleHints.colorScheme``).

    Where the platform's own theme gives a dark palette with its dark scheme (GNOME, KDE, macOS,
    Windows), nothing is done. Where it reports a dark scheme but leaves the palette light (Qt's
    generic theme with a desktop portal), the window is given ``dark_palette`` while the scheme
    stays dark, and its own palette back when it turns light."""

    def __init__(self, app: QGuiApplication):
        super().__init__(app)
        self._app = app
        self._own: QPalette | None = None  # the palette before ours, while ours is set
        hints = app.styleHints()
        if hasattr(hints, "colorSchemeChanged"):  # Qt 6.5+
            hints.colorSchemeChanged.connect(self.apply)
            self.apply(hints.colorScheme())

    @Slot(Qt.ColorScheme)
    def apply(self, scheme: Qt.ColorScheme) -> None:
        if scheme == Qt.ColorScheme.Dark and self._own is None and not is_dark(self._app.palette()):
            self._own = QPalette(self._app.palette())
            self._app.setPalette(dark_palette())
        elif scheme != Qt.ColorScheme.Dark and self._own is not None:
            own, self._own = self._own, None
            self._app.setPalette(own)
