#!/bin/sh
# Install store-edge on a store PC (Debian/Ubuntu), from the built wheel, not the checkout:
#   packaging/build.sh                          # -> dist/store_edge-<version>-py3-none-any.whl
#   sudo packaging/install.sh [--wheel FILE] [STORE_USER]
# Without --wheel it takes the newest dist/store_edge-*.whl beside this script's checkout (or
# beside the script when it is shipped next to the wheel). Installs libzbar0, a virtual
# environment in /opt/store-edge with the wheel in it, /usr/local/bin/store-edge, device
# permissions (udev rules + groups), and two systemd units: the sync agent
# (store-edge-sync@USER) and the counter UI on tty1 (store-edge-ui@USER). Running it again
# with a newer wheel upgrades in place; the store's data is never touched.
# STORE_EDGE_ROOT=DIR installs into the tree DIR instead of / and leaves this machine's
# system alone (no apt, groups, udev or systemd reloads): how CI runs this very script.
set -e
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="${STORE_EDGE_ROOT:-}"
PREFIX="$ROOT/opt/store-edge"
WHEEL=""
if [ "$1" = "--wheel" ]; then WHEEL="$2"; shift 2; fi
STORE_USER="${1:-${SUDO_USER:-store}}"

if [ "$(id -u)" != "0" ] && [ -z "$ROOT" ]; then
    echo "run as root: sudo $0 $STORE_USER" >&2
    exit 2
fi
if [ -z "$WHEEL" ]; then
    WHEEL="$(ls -t "$HERE"/../dist/store_edge-*.whl "$HERE"/store_edge-*.whl 2>/dev/null | head -n 1)"
fi
if [ -z "$WHEEL" ] || [ ! -f "$WHEEL" ]; then
    echo "no wheel to install: build one with packaging/build.sh, or give --wheel FILE" >&2
    exit 2
fi
if ! getent passwd "$STORE_USER" >/dev/null; then
    echo "no user '$STORE_USER': create the store's user first (adduser $STORE_USER)" >&2
    exit 2
fi

[ -n "$ROOT" ] || apt-get install -y -qq python3-venv libzbar0 >/dev/null
[ -x "$PREFIX/bin/python" ] || python3 -m venv "$PREFIX"
"$PREFIX/bin/pip" install --quiet --upgrade pip
"$PREFIX/bin/pip" install --quiet "$WHEEL"
# the same version rebuilt: its files replace the old ones (dependencies stay as they are)
"$PREFIX/bin/pip" install --quiet --no-deps --force-reinstall "$WHEEL"
mkdir -p "$ROOT/usr/local/bin" "$ROOT/etc/udev/rules.d" "$ROOT/etc/systemd/system"
ln -sf "$PREFIX/bin/store-edge" "$ROOT/usr/local/bin/store-edge"

# serial scanners and probes (dialout), USB receipt printers (lp), cameras (video)
if [ -z "$ROOT" ]; then
    for group in dialout lp video; do
        getent group "$group" >/dev/null && usermod -a -G "$group" "$STORE_USER"
    done
fi
install -m 0644 "$HERE/99-store-edge.rules" "$ROOT/etc/udev/rules.d/99-store-edge.rules"
install -m 0644 "$HERE/store-edge-sync.service" "$ROOT/etc/systemd/system/store-edge-sync@.service"
install -m 0644 "$HERE/store-edge-ui.service" "$ROOT/etc/systemd/system/store-edge-ui@.service"
if [ -z "$ROOT" ]; then
    udevadm control --reload-rules 2>/dev/null || true
    systemctl daemon-reload 2>/dev/null || true
fi
echo "installed $("$PREFIX/bin/store-edge" --version) in $PREFIX. Next:"
echo "  1. as $STORE_USER: store-edge init     # HQ address and token (checked with HQ), first manager"
echo "  2. as $STORE_USER: store-edge config check   # every mistake in store-edge.toml, with its line"
echo "  3. systemctl enable --now store-edge-sync@$STORE_USER   # sync even when the UI is closed"
echo "  4. systemctl enable --now store-edge-ui@$STORE_USER     # the counter UI on tty1, restarted if it ends"
