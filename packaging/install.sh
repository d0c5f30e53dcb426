#!/bin/sh
# Install store-edge on a store PC (Debian/Ubuntu). Run as root from a checkout:
#   sudo packaging/install.sh [STORE_USER]
# Installs system libraries, a virtual environment in /opt/store-edge, the `store-edge`
# command, device permissions (udev + groups) and the background sync service.
set -e
STORE_USER="${1:-${SUDO_USER:-store}}"
PREFIX=/opt/store-edge
HERE="$(cd "$(dirname "$0")/.." && pwd)"

if [ "$(id -u)" != "0" ]; then
    echo "run as root: sudo $0 $STORE_USER" >&2
    exit 2
fi
apt-get install -y -qq python3-venv libzbar0 >/dev/null
python3 -m venv "$PREFIX"
"$PREFIX/bin/pip" install --quiet --upgrade pip
"$PREFIX/bin/pip" install --quiet "$HERE"
ln -sf "$PREFIX/bin/store-edge" /usr/local/bin/store-edge

# serial scanners and probes (dialout), USB receipt printers (lp), cameras (video)
for group in dialout lp video; do
    getent group "$group" >/dev/null && usermod -a -G "$group" "$STORE_USER"
done
install -m 0644 "$HERE/packaging/99-store-edge.rules" /etc/udev/rules.d/99-store-edge.rules
udevadm control --reload-rules 2>/dev/null || true

install -m 0644 "$HERE/packaging/store-edge-sync.service" /etc/systemd/system/store-edge-sync@.service
systemctl daemon-reload 2>/dev/null || true
echo "installed. Next:"
echo "  1. as $STORE_USER: store-edge init   # HQ address and token (checked with HQ), first manager"
echo "  2. systemctl enable --now store-edge-sync@$STORE_USER   # sync even when the UI is closed"
echo "  3. as $STORE_USER: store-edge run"
