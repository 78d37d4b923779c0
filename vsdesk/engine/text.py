"""Small pieces of the sentences vsdesk shows (the command line and the window alike)."""

from __future__ import annotations

import os
import re
import shlex
import unicodedata

#: How an index run's progress starts when it goes on with one that stopped before the end (the
#: window closed, a kill, a cancel): "resuming … last time: 2336 images left". The window
#: recognises it to say so in its message bar too.
RESUMING = "resuming the index run interrupted last time"


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """"1 image", "2 images", "0 images": a count with its noun, plural unless one (``plural``
    where it is not the noun with an "s": "copies")."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def image_count(files: int, paths: int) -> str:
    """"5 images", or "5 images (10 paths)" where files are at several paths (a link to a folder
    of the same files): the window's catalog line and `vsdesk search` count files alike."""
    return counted(files, "image") + (f" ({counted(paths, 'path')})" if files != paths else "")


def shown_path(path: str) -> str:
    """``path`` (or a file's name) as text for a person, the same in the gallery, its tips, the
    preview, the map's hover and every message: a name that is not UTF-8 (it reaches Python
    with its bytes as lone surrogates) with those bytes as Python's escapes
    (``latin1_\\xe9t\\xe9.jpg``), so the real name can be told, where "\ufffd" hid it; a
    tab or a newline in it as "\\t", "\\n" (``one_line``): a tip showed such a name on two
    lines where its caption said "\\n"."""
    return one_line(os.fsencode(path).decode("utf-8", "backslashreplace"))


def names_escaped(text: str) -> str:
    """``text`` (a whole message, a log line) with the names in it that are not UTF-8 (lone
    surrogates) as their bytes' escapes, as ``shown_path`` shows a name: printed as they were,
    they came out as raw bytes on stdout, as "\\udce9" on stderr, or stopped the log's line."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate no file name gives ("\ud800"): its code point
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def json_surrogates_escaped(text: str) -> str:
    """``text`` (JSON written with ``ensure_ascii=False``) with a name's bytes that are not UTF-8
    (lone surrogates, ``os.fsdecode``) as JSON escapes ("\\udce9"): written as they are, they
    are no UTF-8 (stdout, a file); escaped, the JSON is valid and ``json.loads`` gives the name
    back exactly (``os.fsencode`` of the string is the file's name)."""
    return _LONE_SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


#: Class names a data set spells wrong, as a person reads them: the Clothing Dataset's "Outwear".
#: Its models keep the label as it is (``--json``, ``--same-class``, a folder named like a class):
#: only the words shown change.
CLASS_WORDS = {"Outwear": "Outerwear"}


def shown_class(name: str) -> str:
    """A product class (or a label naming one, "Outwear (predicted)") as a person reads it:
    "Outerwear", "Outerwear (predicted)"; any other name as it is."""
    for spelt, said in CLASS_WORDS.items():
        if name == spelt or name.startswith(spelt + " "):
            return said + name[len(spelt):]
    return name


def wrapped(text: str, width: int = 100) -> str:
    """``text`` with each line longer than ``width`` characters broken in pieces, after a "/" or
    a space where there is one in the last third of a piece, else at ``width``: a tooltip is
    one line per line of its text, and a 200-character name made it wider than the screen."""
    pieces = []
    for line in text.split("\n"):
        while len(line) > width:
            cut = max(line.rfind("/", 0, width), line.rfind(" ", 0, width)) + 1
            cut = cut if cut > width * 2 // 3 else width
            pieces.append(line[:cut])
            line = line[cut:]
        pieces.append(line)
    return "\n".join(pieces)


def telling_names(paths: list[str], least: int = 1) -> list[str]:
    """Each of ``paths`` by its last parts, as few as tell it from the others (at least
    ``least``): "a/palette.png" and "b/palette.png", where their names alone said one file
    twice ("palette.png (the same bytes); palette.png (the same bytes)")."""
    parts = [path.replace(os.sep, "/").rstrip("/").split("/") for path in paths]
    told = []
    for mine in parts:
        count = min(least, len(mine))
        while count < len(mine) and any(other != mine and other[-count:] == mine[-count:] for other in parts):
            count += 1
        told.append("/".join(mine[-count:]))
    return told


def one_line(text: str) -> str:
    """``text`` with its control characters (a tab, a newline in a file's name) as visible
    escapes ("\\t", "\\n"): in a one-line caption a tab was a wide gap and a newline broke it
    onto two lines."""
    if text.isprintable():  # (the common case, at once: a caption is asked for at each paint)
        return text
    return "".join(ch.encode("unicode_escape").decode("ascii") if unicodedata.category(ch) == "Cc" else ch
                   for ch in text)


def sentence(text: str) -> str:
    """``text`` with its first letter capitalised, to start a sentence (the rest as it is:
    commands and paths keep their case). Advice that starts with a command to type marks it as
    code, "`pip install …`", and is left as it is ("Pip install" would not run); so is text that
    starts with vsdesk's name, which the project never capitalises. Advice said after a full stop
    goes through it: "… is not available (…). No space is left …"."""
    if text.startswith(("`", "vsdesk ")):
        return text
    return text[:1].upper() + text[1:]


def shell_quoted(path: str) -> str:
    """``path`` as a word for a command that is pasted into a shell (bash, zsh): ``shlex.quote``'s,
    but a name that is not UTF-8 (its bytes as lone surrogates) or has a control character in it
    in bash's ``$'…'`` quotes, those bytes as ``\\xHH`` (``$'caf\\xe9'``): printed as they are,
    the bytes cannot be copied (the message shows them as escapes), and shlex's quotes keep
    such an escape as four characters, naming another folder."""
    raw = os.fsencode(path)
    try:
        told = raw.decode("utf-8")
    except UnicodeDecodeError:
        told = None
    if told is not None and told.isprintable():
        return shlex.quote(path)
    return "$'" + "".join(_bash_escaped(byte) for byte in raw) + "'"


def _bash_escaped(byte: int) -> str:
    """One byte of a name inside bash's ``$'…'``: printable ASCII as it is (a backslash and a
    quote escaped), every other byte as ``\\xHH`` (bash gives back the byte itself)."""
    if byte in (0x5C, 0x27):  # \ and '
        return "\\" + chr(byte)
    return chr(byte) if 0x20 <= byte < 0x7F else f"\\x{byte:02x}"


def kids_words(probability: float) -> str:
    """The kids' wear probability in words that cannot be read as a confidence in "no" (as
    "no (13%)" was): 0.13 -> "unlikely (13 % chance)", 0.87 -> "likely (87 % chance)"; the
    window's and the command line's alike. A model is never quite sure: "<1 %" and ">99 %" at
    the extremes, not "0 %" and "100 %"."""
    percent = round(100 * probability)
    said = "<1" if percent < 1 else ">99" if percent > 99 else str(percent)
    return f"{'likely' if probability >= 0.5 else 'unlikely'} ({said} % chance)"


def percent(value: float) -> str:
    """A share in per cent as said in a sentence: whole per cents, but one decimal under 1 %, so
    that a share of 0.4 % is not said as none ("0 %"): 47.6 -> "48 %", 0.4 -> "0.4 %", 0 -> "0 %"."""
    return f"{value:.1f} %" if 0 < value < 1 else f"{value:.0f} %"
