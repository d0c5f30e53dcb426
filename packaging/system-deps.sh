#!/bin/sh
# System libraries store-edge needs beyond Python packages.
# libzbar0: the pyzbar barcode decoder loads it at run time.
set -e
if ldconfig -p 2>/dev/null | grep -q 'libzbar\.so\.0'; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing libzbar0 (barcode decoding)…"
    apt-get install -y -qq libzbar0 >/dev/null 2>&1 || {
        apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq libzbar0 >/dev/null
    }
else
    echo "libzbar0 is missing: the pyzbar decoder will be unavailable (zxing-cpp still works)."
    echo "Install it with:  sudo apt-get install libzbar0"
fi
