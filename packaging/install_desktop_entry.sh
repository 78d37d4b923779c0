#!/usr/bin/env bash
# Register vsdesk with the Linux desktop ("Open with vsdesk" for images, the menu entry, icons).
#
#   packaging/install_desktop_entry.sh                 for a pip-installed vsdesk on PATH
#   packaging/install_desktop_entry.sh DIR/vsdesk      for the bundle's executable at DIR/vsdesk
#
# Installs into ${XDG_DATA_HOME:-~/.local/share} (set PREFIX=/usr/local/share for all users):
# applications/io.github.vsdesk.vsdesk.desktop, icons/hicolor/*/apps/io.github.vsdesk.vsdesk.*,
# metainfo/io.github.vsdesk.vsdesk.metainfo.xml.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ICONS="$HERE/../resources/icons"
PREFIX="${PREFIX:-${XDG_DATA_HOME:-$HOME/.local/share}}"
ID=io.github.vsdesk.vsdesk
EXEC="vsdesk"
if [[ $# -ge 1 ]]; then
    EXEC="$(realpath "$1")"
    [[ -x "$EXEC" ]] || { echo "not an executable: $EXEC" >&2; exit 2; }
    ICONS="$(dirname "$EXEC")/_internal/vsdesk/resources/icons"
    [[ -d "$ICONS" ]] || ICONS="$HERE/../resources/icons"
fi

install -d "$PREFIX/applications" "$PREFIX/metainfo"
# Exec/TryExec point at the chosen executable (quoted if the path has spaces).
sed -e "s|^Exec=vsdesk |Exec=\"$EXEC\" |" -e "s|^TryExec=vsdesk$|TryExec=$EXEC|" \
    "$HERE/$ID.desktop" > "$PREFIX/applications/$ID.desktop"
install -m 644 "$HERE/$ID.metainfo.xml" "$PREFIX/metainfo/$ID.metainfo.xml"
for size in 16 24 32 48 64 128 256 512; do
    install -D -m 644 "$ICONS/vsdesk-$size.png" "$PREFIX/icons/hicolor/${size}x${size}/apps/$ID.png"
done
install -D -m 644 "$ICONS/vsdesk.svg" "$PREFIX/icons/hicolor/scalable/apps/$ID.svg"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$PREFIX/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$PREFIX/icons/hicolor" || true
echo "installed $ID (Exec=$EXEC) into $PREFIX"
