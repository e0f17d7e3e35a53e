#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (Playwright cannot download its own here).
set -u
if [ -x /usr/lib/chromium/chromium ]; then exit 0; fi
echo "Chromium is missing: installing Debian's chromium package"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
if [ ! -x /usr/lib/chromium/chromium ]; then
  echo "ERROR: could not install Chromium (apt-get install chromium)."; exit 1
fi
