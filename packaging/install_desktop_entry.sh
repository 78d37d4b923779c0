#!/usr/bin/env bash
# Register vsdesk with the Linux desktop ("Open with vsdesk" for images, the menu entry, icons).
# What `vsdesk desktop-entry install` does (a pip install and the bundle both have it); kept for
# the bundle's instructions:
#
#   packaging/install_desktop_entry.sh                 for the vsdesk on PATH
#   packaging/install_desktop_entry.sh DIR/vsdesk      for the bundle's executable at DIR/vsdesk
#
# Installs into ${XDG_DATA_HOME:-~/.local/share} (set PREFIX=/usr/local/share for all users).
set -euo pipefail
EXEC="$(command -v "${1:-vsdesk}")" || { echo "no vsdesk executable: ${1:-vsdesk} (give its path)" >&2; exit 2; }
EXEC="$(realpath -s "$EXEC")"
exec "$EXEC" desktop-entry install --exec "$EXEC" ${PREFIX:+--prefix "$PREFIX"}
