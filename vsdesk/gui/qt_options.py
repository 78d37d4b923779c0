"""Qt's own command-line options (``-style Fusion``, ``-platform xcb``, ``-reverse`` ...), told
apart from vsdesk's arguments without importing Qt: ``vsdesk -style Fusion photo.jpg`` opens
the window with them, as any Qt application does, instead of the command line's parser
refusing "-style" as a command.

The options are those the QGuiApplication and QApplication documentation lists. Qt reads
each with one dash or two. After ``--`` every word is a path (``vsdesk -- -n.jpg``), as a
command's arguments are after it.
"""

from __future__ import annotations

#: Options that take the next word as their value (Qt also reads ``-style=Fusion``).
WITH_VALUE = frozenset({
    "-platform", "-platformpluginpath", "-platformtheme", "-plugin", "-qwindowgeometry", "-qwindowicon",
    "-qwindowtitle", "-session", "-display", "-geometry", "-style", "-stylesheet",
})
#: Options that take no value, or only one after "=" (``-qmljsdebugger=port:1234``).
ALONE = frozenset({"-reverse", "-widgetcount", "-qmljsdebugger"})


def _name(word: str) -> str:
    name = word.split("=", 1)[0]
    return name[1:] if name.startswith("--") else name


def is_qt_option(word: str) -> bool:
    return _name(word) in WITH_VALUE or _name(word) in ALONE


def split(argv: list[str]) -> tuple[list[str], list[str]]:
    """(Qt's options, each with its value, for QApplication; the rest of ``argv``, in order,
    with "--" and the words after it, which are paths, as they are)."""
    qt: list[str] = []
    rest: list[str] = []
    words = iter(argv)
    for word in words:
        name = _name(word)
        if word == "--":
            rest += [word, *words]
        elif name in WITH_VALUE and "=" in word:
            qt += [name, word.split("=", 1)[1]]  # as Qt reads every one of them: "-platform xcb"
        elif name in WITH_VALUE:
            qt.append(word)
            value = next(words, None)
            if value is not None:
                qt.append(value)
        elif name in ALONE:
            qt.append(word)
        else:
            rest.append(word)
    return qt, rest


def options_and_paths(rest: list[str]) -> tuple[list[str], list[str]]:
    """``split``'s rest as (other options, for Qt to ignore; the paths to open): a word that
    starts with "-" is an option, unless it comes after "--"."""
    end = rest.index("--") if "--" in rest else len(rest)
    before = rest[:end]
    return ([word for word in before if word.startswith("-")],
            [word for word in before if not word.startswith("-")] + rest[end + 1:])


def gives_geometry(qt_options: list[str]) -> bool:
    """Whether Qt's options (``split``'s first list) give the window's geometry (``-qwindowgeometry
    WxH+X+Y``, X11's ``-geometry``): the user's choice for this start, over the one saved."""
    return any(_name(word) in ("-qwindowgeometry", "-geometry") for word in qt_options)


__all__ = ["gives_geometry", "is_qt_option", "options_and_paths", "split"]
