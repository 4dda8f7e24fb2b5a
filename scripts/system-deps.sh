#!/usr/bin/env bash
# Installs the system packages the project needs that pip cannot provide.
# The Python wheels of lxml, xmlsec and cryptography carry their own C libraries, so the STS
# itself needs nothing from the system beyond Python 3.11+ with venv.
set -euo pipefail

need=()
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)

if [ ${#need[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    $sudo_cmd apt-get install -y -qq "${need[@]}"
  else
    echo "Please install these system packages first: ${need[*]}" >&2
    exit 1
  fi
fi
