#!/usr/bin/env bash
# Installs the system packages that pip cannot provide.
# - Python 3.11+ with venv.
# - Qt 6 (PySide6 wheels) needs a few shared libraries even offscreen (OpenGL/EGL, fontconfig,
#   xkbcommon, D-Bus, GLib) and the xcb libraries to open a window on X11; plus a font.
# - PostgreSQL (server and client) for the multi-node tests: `make test` starts a throwaway
#   cluster on loopback with scripts/postgres-test.sh. The server is not enabled as a service.
# - The outside verifiers the interop tests (tests/interop) check every token with: the xmlsec1
#   command line, and Node.js with npm for xml-crypto (installed by `make setup` with npm ci
#   from tests/interop/node/package-lock.json). Node.js is left alone when one is installed.
# - Xvfb and xdotool: the start-up benchmark (make bench-startup) and the console-lifecycle tests
#   run the real console on a virtual X server and find its window with xdotool.
# - Apache WSS4J 1.6 and Santuario xml-security (the libraries under WSO2's Rampart), which the
#   WS-Security interop tests (tests/interop/wss4j) compile a Java client against, with a JDK
#   when javac is missing. Their run-time jars come as dependencies: commons-logging, slf4j,
#   commons-codec, woodstox; slf4j's no-op binding is in libslf4j-java.
# - MIT Kerberos for scenario 20: libkrb5-dev (python-gssapi, the `kerberos` extra, builds against
#   it), krb5-user (kinit, klist), krb5-kdc (krb5kdc, kdb5_util) and krb5-admin-server (kadmin.local),
#   from which the Kerberos tests create a throwaway realm and run a KDC on loopback. No service is
#   enabled: the tests start and stop their own KDC.
# lxml, xmlsec and cryptography wheels carry their own C libraries.
# On Debian/Ubuntu the missing ones are installed with apt; elsewhere they are listed.
set -euo pipefail

debian_packages=(
  python3-venv
  libegl1 libgl1 libglib2.0-0 libfontconfig1 libdbus-1-3 libxkbcommon0
  libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
  libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1
  fonts-dejavu-core
  postgresql postgresql-client
  xmlsec1
  xvfb xdotool
  libwss4j-java libxml-security-java libcommons-logging-java libslf4j-java
  libkrb5-dev krb5-user krb5-kdc krb5-admin-server
)
if ! command -v javac >/dev/null 2>&1; then
  debian_packages+=(default-jdk-headless)
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  debian_packages+=(nodejs npm)
fi

if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  missing=()
  for package in "${debian_packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    [[ "$status" == *"install ok installed"* ]] || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    echo "Installing system packages: ${missing[*]}"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
else
  python3 -c 'import venv, ensurepip' 2>/dev/null || {
    echo "Please install Python 3.11+ with the venv module." >&2; exit 1; }
  echo "Not a Debian-like system: make sure Qt 6's runtime libraries (EGL/OpenGL, fontconfig," \
       "xkbcommon, D-Bus, xcb-cursor) are installed for the desktop app, PostgreSQL's" \
       "server binaries (initdb, pg_ctl) for the multi-node tests, and xmlsec1, Node.js" \
       "with npm, a JDK and Apache WSS4J 1.6 with xml-security (jars in /usr/share/java)" \
       "for the interop tests." >&2
fi
