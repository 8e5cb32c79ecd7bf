#!/usr/bin/env bash
# System packages the tests need (Debian): Chromium for browser tests, Dovecot for IMAP
# tests, fonts for PDFs. Installed only when missing; needs root (as on CI).
set -euo pipefail
# npm packages of the tests (the OASIS CSDL schemas for the OData feed), from npm.
bash "$(dirname "$0")/test-npm-deps.sh" ||
  echo "npm packages for the tests not installed; test_odata_csdl.py will say why" >&2
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -x /usr/sbin/dovecot ] || missing+=(dovecot-imapd)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
[ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
# libical (through GObject introspection) checks the appointment invitations (.ics).
ls /usr/lib/*/girepository-1.0/ICalGLib-3.0.typelib >/dev/null 2>&1 || missing+=(gir1.2-ical-3.0)
# deploy/ is checked with systemd-analyze verify (systemd) and nginx -t (nginx-light);
# no service starts on install: tests/ops/test_deploy.py runs nginx itself on loopback.
[ -x /usr/bin/systemd-analyze ] || missing+=(systemd)
[ -x /usr/sbin/nginx ] || missing+=(nginx-light)
# pg_dump/pg_restore for the backup drill on PostgreSQL (tests/ops/test_backup.py).
command -v pg_dump >/dev/null 2>&1 || missing+=(postgresql-client)
# qpdf --check: the structure of the PDF/A letters, signed and unsigned (ADR 22b).
command -v qpdf >/dev/null 2>&1 || missing+=(qpdf)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "missing system packages (${missing[*]}); tests that need them will be skipped" >&2
  exit 0
fi
echo "installing ${missing[*]} from Debian"
export DEBIAN_FRONTEND=noninteractive
# Another install (unattended upgrades, a second session) may hold the package locks:
# wait for them (up to 10 minutes) instead of failing.
apt_wait() {
  local tries=0
  until apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3 "$@"; do
    tries=$((tries + 1))
    [ "$tries" -lt 10 ] || return 1
    echo "apt-get $1 failed (package lock held?); trying again in 30 s" >&2
    sleep 30
  done
}
apt_wait update -qq >/dev/null
apt_wait install -y -qq "${missing[@]}" >/dev/null
