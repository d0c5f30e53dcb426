#!/bin/sh
# Remove store-edge from a store PC: the program (/opt/store-edge, /usr/local/bin/store-edge),
# its systemd units and udev rules. The store's data stays where it is — each user's
# ~/.local/share/store-edge (database, config with the HQ token, backups) and the UI's log in
# ~/.local/state/store-edge/log — so a reinstall carries on where the store left off.
#   sudo packaging/uninstall.sh
# STORE_EDGE_ROOT=DIR: remove what install.sh put in the tree DIR (see install.sh).
set -e
ROOT="${STORE_EDGE_ROOT:-}"
PREFIX="$ROOT/opt/store-edge"
if [ "$(id -u)" != "0" ] && [ -z "$ROOT" ]; then
    echo "run as root: sudo $0" >&2
    exit 2
fi
if [ -z "$ROOT" ]; then
    for unit in $(systemctl list-units --all --plain --no-legend 'store-edge-sync@*' 'store-edge-ui@*' 2>/dev/null | awk '{print $1}'); do
        systemctl disable --now "$unit" 2>/dev/null || true
    done
fi
rm -f "$ROOT/etc/systemd/system/store-edge-sync@.service" "$ROOT/etc/systemd/system/store-edge-ui@.service"
rm -f "$ROOT"/etc/systemd/system/multi-user.target.wants/store-edge-sync@*.service \
      "$ROOT"/etc/systemd/system/multi-user.target.wants/store-edge-ui@*.service
rm -f "$ROOT/etc/udev/rules.d/99-store-edge.rules"
if [ -z "$ROOT" ]; then
    systemctl daemon-reload 2>/dev/null || true
    udevadm control --reload-rules 2>/dev/null || true
fi
if [ "$(readlink "$ROOT/usr/local/bin/store-edge" 2>/dev/null)" = "$PREFIX/bin/store-edge" ]; then
    rm -f "$ROOT/usr/local/bin/store-edge"
fi
rm -rf "$PREFIX"
echo "store-edge removed. The store's data was left in place:"
getent passwd | while IFS=: read -r name _ _ _ _ home _; do
    if [ -d "$home/.local/share/store-edge" ]; then echo "  $name: $home/.local/share/store-edge"; fi
done
