"""``vsdesk`` without a command: the desktop window (``vsdesk photo.jpg`` searches with it)."""

from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path

#: Once the window has closed, its process waits at most this long for an index run's batch
#: still being embedded to be committed (``tasks.keeping_work``): it is hidden meanwhile.
KEPT_WORK_WAIT_S = 30.0
#: The start of the names of the modules TensorFlow's autograph writes (``_remove_autograph_modules``).
AUTOGRAPH_PREFIX = "__autograph_generated_file"
#: The signal a closed terminal or a logout sends (none on Windows).
SIGHUP = getattr(signal, "SIGHUP", None)


def run(argv: list[str]) -> int:
    problem = _no_display() or _missing_x11_libraries()
    if problem:
        print(f"vsdesk: {problem}", file=sys.stderr)
        return 1
    from vsdesk.gui import single_instance
    from vsdesk.gui.qt_options import gives_geometry, options_and_paths, split as split_qt_options

    # Qt's options (-style Fusion, -platform xcb, -reverse ...) with their values; any other
    # option is Qt's to ignore, as before; the other words, and every word after "--", are paths.
    qt_options, rest = split_qt_options(argv)
    other_options, images = options_and_paths(rest)
    new_window = single_instance.NEW_WINDOW in other_options
    other_options = [word for word in other_options if word != single_instance.NEW_WINDOW]
    launch = None if new_window else single_instance.Launch(images)
    if launch is not None and launch.handed:  # the window already running has them: nothing more to load here
        return 0
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from vsdesk.engine.logfile import log_to_file
    from vsdesk.engine.paths import resources_dir
    from vsdesk.gui.crash import install_excepthooks
    from vsdesk.gui.main_window import MainWindow
    from vsdesk.gui.settings import keep_qt_settings_in_config_dir
    from vsdesk.gui.theme import ColourScheme

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("absl").setLevel(logging.WARNING)  # TensorFlow's converter notes, not vsdesk's
    log_to_file()  # started from the desktop's menu, the window's standard error goes nowhere to be read
    _sweep_map_folders_in_background()
    # On GNOME, Xfce, Cinnamon, MATE ... Qt's GTK3 platform theme makes GDK probe OpenGL, which
    # maps Mesa and the system's libLLVM into the process; TensorFlow, loaded later, then binds
    # its own LLVM's symbols to that one and dies in a static initialiser (SIGSEGV at the first
    # query). vsdesk draws nothing with GTK's OpenGL, so GDK is told not to probe it.
    os.environ.setdefault("GDK_GL", "disable")
    app = QApplication.instance() or QApplication([sys.argv[0], *qt_options, *other_options])
    server = launch.listen() if launch is not None else None  # (the lock is let go: soon)
    keep_qt_settings_in_config_dir()  # process-wide: set once, here, not by each window made
    app.setApplicationName("vsdesk")
    app.setOrganizationName("vsdesk")
    # Must match resources/desktop/io.github.vsdesk.vsdesk.desktop so the desktop groups the window
    # under that entry and shows its icon.
    app.setDesktopFileName("io.github.vsdesk.vsdesk")
    app.setWindowIcon(QIcon(str(resources_dir() / "icons" / "vsdesk.svg")))
    ColourScheme(app)  # a dark desktop whose theme leaves Qt's palette light: a dark palette
    window = MainWindow(geometry_given=gives_geometry(qt_options))
    window.process_ends_on_close = True  # (os._exit below)
    install_excepthooks(window)
    stopped = _stop_on_signals(app, window)
    if launch is not None:  # later launches' paths come here, as drops
        window.listener = single_instance.Listener(server, window.open_handed_over, window.isVisible, window)
        if launch.refused:  # by a window closing: this one listens once that one has gone
            window.listener.take_over(launch)
    window.show()
    if images:  # as a drop of them: a folder is offered as a catalog, else the first file searched
        window.current_tab().open_paths(images, "given")
    code = app.exec()
    if window.listener is not None:  # its socket's file goes now: os._exit below would leave it behind
        window.listener.stop()
    if stopped:
        code = 128 + stopped[0]  # 130, 143 or 129, as the command line's
        from vsdesk.engine.models import cache

        cache.clean_stale_temps(own=True)  # again: one begun while the window closed
    from vsdesk.engine.tasks import wait_for_kept_work

    # The window is hidden, the settings saved, the tasks cancelled. An index run's batch still
    # being embedded is committed first, unseen (SQLite: the next open resumes from there);
    # after SIGTERM, which has a deadline (a logout, a service manager's 'stop'), not even that.
    # Nothing else is waited for: a map still being computed would keep the process alive for
    # its whole run (t-SNE cannot be interrupted), a model loading for seconds, and Python's own
    # finalisation, its garbage collection of TensorFlow's and the catalogs' objects, took 4-8 s
    # (the VAE sample being indexed; 5 s with a style index of 200 photos), past the 7 s a window
    # is given at a logout, and kept a closed window's process for as long.
    if not stopped:
        wait_for_kept_work(KEPT_WORK_WAIT_S)
    _remove_autograph_modules()
    logging.shutdown()  # vsdesk.log flushed
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _sweep_map_folders_in_background() -> None:
    """The temporary folders of maps whose window or command was killed (kill -9, a crash),
    removed as the window starts, on a thread of their own (a look at the temporary folder, and
    NumPy imported): a map computed in a child removes them too, but a window that computes none
    there left them for good (``tsne_process.sweep_orphaned_folders``)."""
    import threading

    def sweep() -> None:
        from vsdesk.engine.tsne_process import sweep_orphaned_folders

        sweep_orphaned_folders()

    threading.Thread(target=sweep, name="vsdesk-sweep-map-folders", daemon=True).start()


def _remove_autograph_modules() -> None:
    """TensorFlow's autograph writes the functions it converts as modules into the temporary
    folder, to be removed by Python's exit functions, which ``os._exit`` skips: a few files a
    window were left behind for good. They are removed here (only those: the other exit
    functions are what the exit skips). Autograph keeps them in ``sys.modules`` by file name."""
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None) or ""
        if name.startswith(AUTOGRAPH_PREFIX) and os.path.basename(path) == f"{name}.py":
            try:
                os.remove(path)
            except OSError:  # gone already (a temporary-folder cleaner), or not ours to remove
                pass


def _stop_on_signals(app, window) -> list[int]:
    """SIGTERM (a logout, ``kill``, a service manager), SIGHUP (the terminal it was started from
    closed; a logout, where systemd sends it right after SIGTERM) and Ctrl+C (SIGINT) close the
    window as its close button does (settings saved, an index run's batches kept, said in the log), after
    removing this process's temp files in the model cache: a conversion cut off would leave
    20-500 MB there (the next start removes those of a process that is gone,
    ``cache.clean_stale_temps``, but only if it uses the cache). Python's own Ctrl+C raised a
    ``KeyboardInterrupt`` inside whatever Qt override ran, a traceback, and the window went on;
    SIGHUP ended the process on the spot, its socket and temporary files left behind. A second
    signal ends the process at once, but not a SIGHUP, nor the first signal after one: a
    logout sends SIGTERM and SIGHUP together, which is one request, not a user's hurry.
    One held while the window started (``early_signals``) closes it at once. Left alone where a
    signal is ignored (``nohup``). Returns a list that holds the signal once one came."""
    from PySide6.QtCore import QTimer

    from vsdesk import early_signals
    from vsdesk.gui.main_window import SIGTERM_CLOSE_WAIT_S

    stopped: list[int] = []

    def close() -> None:
        from vsdesk.engine.models import cache

        cache.clean_stale_temps(own=True)
        logging.getLogger("vsdesk").warning("stopped by %s: the window is closed", signal.Signals(stopped[0]).name)
        window.close_wait_s = SIGTERM_CLOSE_WAIT_S  # the process ends next: no step's end to wait for
        window.close()
        app.quit()

    def stop(signum, _frame) -> None:
        # systemd's logout sends SIGTERM and SIGHUP together, and Python runs their handlers in
        # the signals' order, SIGHUP's first: neither is a second signal after the other.
        hung_up_only = all(s == SIGHUP for s in stopped)
        if stopped and (signum == SIGHUP or hung_up_only):
            if signum != SIGHUP:
                stopped.append(signum)
            return
        if stopped:  # a second signal: at once
            os._exit(128 + stopped[0])
        stopped.append(signum)
        # Only noted here, the window closed from the event loop next: the handler runs between
        # two bytecodes of whatever the GUI thread was doing, maybe inside a lock. Closing from
        # here, inside a worker queue's ``put``, put to that queue again and hung for good.
        QTimer.singleShot(0, app, close)

    for signum in (signal.SIGINT, signal.SIGTERM, SIGHUP):
        if signum is None:  # (Windows: no SIGHUP)
            continue
        handler = signal.getsignal(signum)
        if early_signals.holding_handler(handler) or handler in (signal.SIG_DFL, signal.default_int_handler):
            signal.signal(signum, stop)
    for signum in early_signals.held[:1]:
        stop(signum, None)
    early_signals.held.clear()
    # Python runs a signal handler only when the main thread runs Python code, which Qt's event
    # loop may not do for minutes when nothing happens: a timer gives it the chance.
    timer = QTimer(app)
    timer.timeout.connect(lambda: None)
    timer.start(200)
    return stopped


def _no_display() -> str | None:
    """Why the window cannot open here, or None. Without it Qt aborts the process with a line
    about its "xcb platform plugin" that does not say what to do."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return ("there is no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set). "
            "The command line works without one: see `vsdesk --help`.")


#: The Debian/Ubuntu packages of system libraries Qt's X11 plugin loads that PySide6 does not
#: carry (the same list packaging/README.md gives for the bundle's build machine).
X11_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
}


def _missing_x11_libraries() -> str | None:
    """Why Qt's X11 plugin cannot load here, or None. Without this, Qt aborts the process (core
    dumped) and names "xcb-cursor0" whichever library is missing (seen with libxcb-icccm4 and
    libxcb-keysyms1 missing on a fresh machine)."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM", "xcb") != "xcb":
        return None
    if not os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None  # Wayland: Qt's wayland plugin, which needs none of these
    missing = _unloadable_libraries(_x11_plugin())
    if not missing:
        return None
    packages = sorted({X11_PACKAGES[name] for name in missing if name in X11_PACKAGES})
    how = f" On Debian or Ubuntu: sudo apt install {' '.join(packages)}." if packages else ""
    return (f"the window cannot open: Qt's X11 plugin needs system libraries that are missing or damaged "
            f"here: {', '.join(missing)}.{how} The command line works without them: see `vsdesk --help`.")


def _x11_plugin() -> Path | None:
    try:
        import PySide6
    except ImportError:
        return None
    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return plugin if plugin.is_file() else None


def _unloadable_libraries(library: Path | None) -> list[str]:
    """The libraries ``library`` needs that the loader cannot load, by ``ldd`` (which lists every
    one, where loading the plugin would stop at the first); [] when that cannot be told."""
    import re
    import shutil
    import subprocess

    if library is None or shutil.which("ldd") is None:
        return []
    try:
        done = subprocess.run(["ldd", str(library)], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return []
    output = done.stdout + done.stderr
    missing = re.findall(r"^\s*(\S+) => not found", output, re.MULTILINE)
    # A library that is there but does not load (truncated, another architecture) stops ldd.
    missing += [Path(name).name for name in re.findall(r"error while loading shared libraries: ([^:]+):", output)]
    return list(dict.fromkeys(missing))


__all__ = ["run"]
