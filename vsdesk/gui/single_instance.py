"""One window per user: a second ``vsdesk photo.jpg`` ("Open with vsdesk" from a file manager)
hands its paths to the window already running, which raises itself and opens them as a drop,
instead of a second window that loads TensorFlow again (~1.4 GB) and recomputes its maps.

The window listens on a local socket (QLocalServer: a Unix socket, a named pipe on Windows)
named after the user and the config folder, so a test or a second ``VSDESK_CONFIG_DIR`` has
its own. A launch first tries to hand its paths over; the window answers "ok" once it has them.
No answer from a socket nobody listens on (the file a crashed window left) means there is no
window: the launch removes it and listens itself. ``vsdesk --new-window`` skips all this.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, QTimer
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from vsdesk.engine.paths import config_location

log = logging.getLogger("vsdesk")

#: The option that opens a window of its own, as before, whatever runs already.
NEW_WINDOW = "--new-window"
#: How long a launch waits for the running window to say it has the paths: its GUI thread never
#: blocks for long, but it may still be building its window.
ANSWER_WAIT_MS = 10_000
ACCEPTED = b"ok\n"
#: A window whose launch was refused by a window closing (``Listener.take_over``) looks this
#: often whether that one has gone, and for this long (one that hung may never go).
TAKE_OVER_EVERY_MS = 500
TAKE_OVER_FOR_MS = 60_000


def socket_path() -> str:
    """Where the running window listens: in the user's runtime folder (or the temp folder), named
    after the user and a digest of the config folder (a Unix socket's path is short: 107 bytes).
    On Windows, a pipe's name (QLocalServer makes it a named pipe itself)."""
    key = hashlib.sha1(str(config_location().absolute()).encode()).hexdigest()[:12]
    name = f"vsdesk-{getpass.getuser()}-{key}.sock"
    if os.name != "posix":
        return name
    folder = os.environ.get("XDG_RUNTIME_DIR") or ""
    if not os.path.isdir(folder):
        folder = tempfile.gettempdir()
    return os.path.join(folder, name)


def someone_listens(where: str) -> bool:
    """Whether a window listens on ``where`` (a socket file left by a crashed one refuses)."""
    socket = QLocalSocket()
    socket.connectToServer(where)
    listening = socket.waitForConnected(1000)
    socket.abort()
    return listening


def hand_over(paths: list[str]) -> bool | None:
    """Give ``paths`` to the window already running. True: it has them. None: no window listens
    (none runs, or a crashed one left its socket). False: one listens but did not take them (it
    is closing, or hung): this launch opens its own window, leaving that socket alone."""
    socket = QLocalSocket()
    socket.connectToServer(socket_path())
    if not socket.waitForConnected(1000):
        return None
    message = json.dumps([str(Path(p).expanduser().absolute()) for p in paths]).encode() + b"\n"
    socket.write(message)
    socket.waitForBytesWritten(1000)
    answer = b""
    while not answer.endswith(b"\n") and socket.waitForReadyRead(ANSWER_WAIT_MS):
        answer += bytes(socket.readAll())
    socket.abort()
    return answer == ACCEPTED


class Listener(QObject):
    """The running window's end: each launch's paths go to ``receive`` (on the GUI thread), and
    are answered "ok" while ``accepting()`` (a window that is closing takes none)."""

    def __init__(self, server: QLocalServer | None, receive: Callable[[list[str]], None],
                 accepting: Callable[[], bool], parent=None):
        """``server``: None until ``take_over`` finds one (a launch refused by a window closing)."""
        super().__init__(parent)
        self.server: QLocalServer | None = None
        self._receive, self._accepting = receive, accepting
        self._take_over: QTimer | None = None
        if server is not None:
            self._serve(server)

    def _serve(self, server: QLocalServer) -> None:
        self.server = server
        server.setParent(self)
        server.newConnection.connect(self._on_connection)

    def take_over(self, launch: "Launch") -> None:
        """This window's launch was refused by a window that was closing (it answered, then
        went; or took no more paths): once that one has gone, this window listens in its place,
        else every later launch opened yet another window. Looked at every TAKE_OVER_EVERY_MS
        for TAKE_OVER_FOR_MS."""
        timer = self._take_over = QTimer(self)
        looks_left = TAKE_OVER_FOR_MS // TAKE_OVER_EVERY_MS

        def look() -> None:
            nonlocal looks_left
            server = launch.listen_if_free()
            looks_left -= 1
            if server is not None:
                self._serve(server)
                log.info("the vsdesk window that refused this launch has gone: this one takes later launches' paths")
            elif looks_left > 0:
                return
            else:
                log.warning("no vsdesk window has gone in %d s (the one that refused this launch is still "
                            "there, or another took its place): this window stops looking and takes no later "
                            "launch's paths", TAKE_OVER_FOR_MS // 1000)
            timer.stop()

        timer.timeout.connect(look)
        timer.start(TAKE_OVER_EVERY_MS)

    def stop(self) -> None:
        """The window is closing: stop listening now, not once its workers have stopped (up to
        CLOSE_WAIT_S later). A launch meanwhile then finds no window and becomes the one later
        launches hand theirs to; else it was refused ("closing"), opened a window that does not
        listen, and every launch after it opened yet another window."""
        if self._take_over is not None:
            self._take_over.stop()
        if self.server is not None:
            self.server.close()  # (its socket's file goes with it)

    def _on_connection(self) -> None:
        while (socket := self.server.nextPendingConnection()) is not None:
            buffer = bytearray()
            socket.readyRead.connect(lambda s=socket, b=buffer: self._on_data(s, b))
            socket.disconnected.connect(socket.deleteLater)
            self._on_data(socket, buffer)  # (what came with the connection)

    def _on_data(self, socket: QLocalSocket, buffer: bytearray) -> None:
        buffer += bytes(socket.readAll())
        if not buffer.endswith(b"\n"):
            return
        try:
            paths = json.loads(bytes(buffer))
        except ValueError:
            paths = None
        if not (isinstance(paths, list) and all(isinstance(p, str) for p in paths)) or not self._accepting():
            socket.disconnectFromServer()  # no "ok": the launch opens its own window
            return
        socket.write(ACCEPTED)
        socket.flush()
        socket.disconnectFromServer()
        log.info("another launch handed over %s", " ".join(paths) if paths else "no paths: the window raised")
        self._receive(paths)


class Launch:
    """A window's start: ``handed`` tells whether the window already running took the paths
    (this launch is then done); if not, ``listen`` (once the QApplication exists: its socket
    needs the event loop) makes this window the one later launches hand theirs to. A lock, held
    from the one to the other, makes two launches at once take turns, so that both do not find
    no window and open one each."""

    def __init__(self, paths: list[str]):
        self.where = socket_path()
        beside = self.where if os.path.isabs(self.where) else os.path.join(tempfile.gettempdir(), self.where)
        self._lock = QLockFile(beside + ".lock")
        self._lock.setStaleLockTime(0)  # a crashed launch's lock is told by its process id, not its age
        self._locked = self._lock.tryLock(ANSWER_WAIT_MS + 5000)
        answer = hand_over(paths)
        self.handed = bool(answer)
        #: A window listened but did not take the paths (it is closing): this window may take its
        #: place once it has gone (``Listener.take_over``).
        self.refused = answer is False
        self._may_listen = answer is None
        if answer is False:
            log.warning("the vsdesk window running did not take the paths: opening another window")
        if answer is not None:
            self.release()

    def listen(self) -> QLocalServer | None:
        """This window's server, listening; None if another window answered, or the socket
        cannot be made (this window then opens anyway, only without later launches' paths)."""
        try:
            if not self._may_listen:
                return None
            # Not over a socket a window listens on now (one that started while this launch
            # waited past the lock's patience): listen() with UserAccessOption puts its socket in
            # place of any file there, and that window would run on out of every launch's reach.
            if someone_listens(self.where):
                log.warning("another vsdesk window started meanwhile: this one will not take later launches' paths")
                return None
            return self._listen_here(quiet=False)
        finally:
            self.release()

    def listen_if_free(self) -> QLocalServer | None:
        """A server listening, if no window listens now (``Listener.take_over``); under the lock,
        so that two windows do not both take the place (the second's socket in place of the
        first's), and a launch meanwhile waits for it rather than finding no window."""
        if not self._lock.tryLock(0):
            return None  # a launch at work: looked at again next time
        try:
            return None if someone_listens(self.where) else self._listen_here(quiet=True)
        finally:
            self._lock.unlock()

    def _listen_here(self, quiet: bool) -> QLocalServer | None:
        server = QLocalServer()
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)  # this user alone
        if not server.listen(self.where):
            QLocalServer.removeServer(self.where)  # a crashed window's socket: nobody answered on it
            if not server.listen(self.where):
                if not quiet:
                    log.warning("cannot listen on %s (%s): a second launch will open another window",
                                self.where, server.errorString())
                return None
        return server

    def release(self) -> None:
        if self._locked:
            self._lock.unlock()
            self._locked = False


__all__ = ["NEW_WINDOW", "Launch", "Listener", "hand_over", "socket_path", "someone_listens"]
