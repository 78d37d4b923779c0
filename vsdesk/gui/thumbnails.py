"""Thumbnails decoded off the GUI thread, cached as pixmaps, with a cap on pending loads.

Workers in a QThreadPool decode through the engine's one decoder (``load_image``) and hand back
a QImage (QImage is safe off-thread; QPixmap is not, so pixmaps are made here on the GUI
thread). Requests are served newest first, so the thumbnails the user scrolled to last come
first, and old requests beyond ``max_waiting`` are dropped (they are asked for again if the
view paints them again).

Sizes asked for are in the widgets' (logical) pixels; thumbnails are decoded at the device
pixel ratio of the screen the widget asking is on, and say so (``QPixmap.setDevicePixelRatio``):
sharp on a HiDPI screen (or with ``QT_SCALE_FACTOR=2``) instead of enlarged, and no bigger than
needed on an ordinary screen beside a HiDPI one (the application's ratio is the highest of all
screens). A widget moved to a screen of another ratio asks again: the ratio is in the key.

The cache holds ``BUDGET_BYTES`` of pixmaps, counted by their pixels, not a number of them: the
same number took 86 MB at 128 px on an ordinary screen and about 1 GB at 192 px on a HiDPI one.
The least recently drawn go first; a view asks for what it shows at each paint, so what is on
screen stays, and so does what was scrolled past last.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from typing import Callable

from PIL import Image
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtGui import QGuiApplication, QImage, QPixmap

from vsdesk.engine.imageio import ImageError, load_image

#: Turns a source key (usually a file path) into an RGB image. Runs in a pool thread.
Decoder = Callable[[str, int], Image.Image]
#: (source, size in logical pixels, device pixel ratio): a thumbnail cached or asked for.
Key = tuple[str, int, float]

#: The pixmaps' bytes the cache holds at most (``pixmap_bytes``): some 2,700 thumbnails of 4:3
#: photos at 128 px on an ordinary screen (49 KB each), 300 at 192 px on a HiDPI one (x2: 442 KB),
#: several screens full either way.
BUDGET_BYTES = 128 * 1024 * 1024
#: Screens full of thumbnails the cache holds however big its screens (``ThumbnailCache.budget``).
SCREENS_KEPT = 2


def pixmap_bytes(pixmap: QPixmap) -> int:
    """The memory a pixmap's pixels take: its device pixels at its depth (32 bits a pixel for
    a thumbnail, made from RGB888: Qt keeps it as RGB32)."""
    return pixmap.width() * pixmap.height() * pixmap.depth() // 8


def screens_bytes() -> int:
    """The bytes of a pixmap covering every screen, at each one's device pixel ratio."""
    total = 0
    for screen in QGuiApplication.screens():
        size, ratio = screen.size(), screen.devicePixelRatio()
        total += round(size.width() * ratio) * round(size.height() * ratio) * 4
    return total


def default_decoder(source: str, size: int) -> Image.Image:
    return load_image(source, min_size=size)


def pil_to_qimage(image: Image.Image) -> QImage:
    """RGB Pillow image -> QImage that owns its pixels (safe to pass between threads)."""
    image = image.convert("RGB")
    data = image.tobytes("raw", "RGB")
    qimage = QImage(data, image.width, image.height, 3 * image.width, QImage.Format.Format_RGB888)
    return qimage.copy()  # detach from the Python bytes buffer


def make_thumbnail(decode: Decoder, source: str, size: int) -> QImage:
    image = decode(source, size)
    longest = max(image.size)
    if longest * 2 <= size:
        # Tiny images (Fashion-MNIST is 28x28) are enlarged by a whole factor, crisp pixels.
        factor = size // longest
        image = image.resize((image.width * factor, image.height * factor), Image.Resampling.NEAREST)
    else:
        image.thumbnail((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return pil_to_qimage(image)


class _Signals(QObject):
    done = Signal(object, QImage)  # Key, thumbnail
    failed = Signal(object, str)  # Key, reason


class _Load(QRunnable):
    def __init__(self, decode: Decoder, key: Key, signals: _Signals):
        super().__init__()
        self.decode, self.key, self.signals = decode, key, signals

    def run(self) -> None:  # pool thread: no widgets, no QPixmap
        source, size, ratio = self.key
        try:
            qimage = make_thumbnail(self.decode, source, round(size * ratio))  # in device pixels
        except ImageError as exc:
            self.signals.failed.emit(self.key, exc.reason)
        except Exception as exc:  # noqa: BLE001 - a thumbnail must never take the app down
            self.signals.failed.emit(self.key, f"cannot show this image ({exc})")
        else:
            self.signals.done.emit(self.key, qimage)


def device_pixel_ratio() -> float:
    """The screens' device pixel ratio (the highest, with several): 1.0 on an ordinary screen,
    2.0 on a HiDPI one or with ``QT_SCALE_FACTOR=2``. For a widget, its own
    ``devicePixelRatioF()`` (its screen's) is the one to use."""
    app = QGuiApplication.instance()
    return float(app.devicePixelRatio()) if app is not None else 1.0


class ThumbnailCache(QObject):
    """``pixmap(source, size)`` returns a cached pixmap or None (and starts loading it)."""

    # source: its thumbnail (or its error, or that it is forgotten) is now available. An object,
    # not a str: Qt's strings lose a name's bytes that are not UTF-8 (lone surrogates), and the
    # source said would not be the one asked for.
    ready = Signal(object)

    def __init__(
        self,
        decode: Decoder = default_decoder,
        budget: int = BUDGET_BYTES,
        threads: int = 2,
        max_waiting: int = 256,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self._decode = decode
        self._budget = budget
        self._bytes = 0  # of the pixmaps held
        self._max_waiting = max_waiting
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads)
        self._pixmaps: OrderedDict[Key, QPixmap] = OrderedDict()
        #: (source, ratio) -> the size of its thumbnail made last, still cached (``stand_in``)
        self._latest_size: dict[tuple[str, float], int] = {}
        self._errors: dict[str, str] = {}
        self._waiting: deque[Key] = deque()
        self._in_flight: set[Key] = set()
        self._signals = _Signals(self)
        self._signals.done.connect(self._on_done)
        self._signals.failed.connect(self._on_failed)

    def pixmap(self, source: str, size: int, ratio: float | None = None) -> QPixmap | None:
        """The thumbnail of ``source`` fitting ``size`` logical pixels, made at device pixel
        ``ratio``: the ``devicePixelRatioF()`` of the widget that shows it (None: the highest of
        the screens). Its ``deviceIndependentSize`` fits ``size``."""
        key = (source, size, float(ratio) if ratio else device_pixel_ratio())
        pixmap = self._pixmaps.get(key)
        if pixmap is not None:
            self._pixmaps.move_to_end(key)
            return pixmap
        if source not in self._errors:
            self._request(key)
        return None

    def stand_in(self, source: str, ratio: float | None = None) -> tuple[QPixmap, int] | None:
        """The thumbnail of ``source`` made last at another size, and that size, or None: shown
        scaled while the one asked for is decoded (the gallery grew a step, and its thumbnails
        flashed grey placeholders). Asks for nothing."""
        ratio = float(ratio) if ratio else device_pixel_ratio()
        size = self._latest_size.get((source, ratio))
        pixmap = None if size is None else self._pixmaps.get((source, size, ratio))
        return None if pixmap is None else (pixmap, size)

    def error(self, source: str) -> str | None:
        return self._errors.get(source)

    def forget_errors(self) -> None:
        """Try the thumbnails that failed again (a disk plugged back in, a file put back): the
        views showing their warning icons are told, and ask for them again as they repaint."""
        errors, self._errors = self._errors, {}
        for source in errors:
            self.ready.emit(source)

    def budget(self) -> int:
        """The bytes held at most: the budget given, or ``SCREENS_KEPT`` screens full of
        thumbnails if that is more (on a huge screen what is shown would not fit, and thumbnails
        drawn would push out others drawn too, each asked for again at the next paint)."""
        return max(self._budget, SCREENS_KEPT * screens_bytes())

    def held_bytes(self) -> int:
        """The bytes of the pixmaps held (``pixmap_bytes``)."""
        return self._bytes

    def pending(self) -> int:
        return len(self._waiting) + len(self._in_flight)

    def wait_idle(self, msecs: int = 30000) -> bool:
        return self._pool.waitForDone(msecs)

    def _request(self, key: Key) -> None:
        if key in self._in_flight:
            return
        try:
            self._waiting.remove(key)
        except ValueError:
            pass
        self._waiting.append(key)  # newest last; served first
        while len(self._waiting) > self._max_waiting:
            self._waiting.popleft()
        self._start_more()

    def _start_more(self) -> None:
        while self._waiting and len(self._in_flight) < 2 * self._pool.maxThreadCount():
            key = self._waiting.pop()
            self._in_flight.add(key)
            self._pool.start(_Load(self._decode, key, self._signals))

    def _on_done(self, key: Key, qimage: QImage) -> None:
        self._in_flight.discard(key)
        pixmap = QPixmap.fromImage(qimage)
        pixmap.setDevicePixelRatio(key[2])  # drawn at its logical size, every device pixel used
        replaced = self._pixmaps.pop(key, None)  # (never made twice at once; counted right if it were)
        self._bytes += pixmap_bytes(pixmap) - (0 if replaced is None else pixmap_bytes(replaced))
        self._pixmaps[key] = pixmap
        self._latest_size[(key[0], key[2])] = key[1]
        self._keep_to_budget()
        self._start_more()
        self.ready.emit(key[0])

    def _keep_to_budget(self) -> None:
        """Drop the least recently drawn pixmaps until those held fit ``budget`` (the newest,
        just made to be drawn, stays even alone)."""
        budget = self.budget()
        while self._bytes > budget and len(self._pixmaps) > 1:
            (source, size, ratio), dropped = self._pixmaps.popitem(last=False)
            self._bytes -= pixmap_bytes(dropped)
            if self._latest_size.get((source, ratio)) == size:
                del self._latest_size[(source, ratio)]

    def _on_failed(self, key: Key, reason: str) -> None:
        self._in_flight.discard(key)
        self._errors[key[0]] = reason
        self._start_more()
        self.ready.emit(key[0])
