#!/usr/bin/env bash
# System packages the tests need (Debian): Chromium for browser tests, Dovecot for IMAP
# tests, fonts for PDFs. Installed only when missing; needs root (as on CI).
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -x /usr/sbin/dovecot ] || missing+=(dovecot-imapd)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
[ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "missing system packages (${missing[*]}); tests that need them will be skipped" >&2
  exit 0
fi
echo "installing ${missing[*]} from Debian"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq "${missing[@]}" >/dev/null
