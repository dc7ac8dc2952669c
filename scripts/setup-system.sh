#!/usr/bin/env bash
# Installs the Debian packages that Homegate's end-to-end tests and the bench (npm run bench) need, if any is missing.
#
#   scripts/setup-system.sh           install what is missing (apt-get update once, then one install)
#   scripts/setup-system.sh --check   only report; exit 1 if something is missing
#
# FreeRDP 3 (`freerdp3-x11`, the second e2e client) is only in Debian 12's bookworm-backports suite. When it is
# missing, the script adds that suite from the Debian archive the machine already uses (the same URIs and Signed-By
# key as the entry in /etc/apt/sources.list.d/debian.sources; no other host) as homegate-backports.sources, and
# installs it with `-t bookworm-backports`. Nothing else is taken from backports.
#
# Idempotent: when everything is present it only runs `command -v` / `dpkg-query` and exits 0 quickly.
# Uses sudo only when not root (and sudo exists). Debian/Ubuntu only (apt-get).
set -euo pipefail

# package:command — the command on PATH proves that the package (or an equivalent) is usable; an absolute path
# instead of a command must exist as a file (for packages that ship no command, like nginx modules).
readonly REQUIRED=(
  'freerdp2-x11:xfreerdp'
  'freerdp2-shadow-x11:freerdp-shadow-cli'
  'xvfb:Xvfb'
  'xauth:xauth'
  'chromium:chromium'
  'nginx-light:nginx'
  # The bench's TLS stream relay (npm run bench): Debian builds nginx's stream module as this separate module.
  'libnginx-mod-stream:/usr/lib/nginx/modules/ngx_stream_module.so'
  'openssl:openssl'
  'procps:pgrep'
  # Watches the system calls of an atomic write (the directory fsync after the rename has no other witness).
  'strace:strace'
)
# From the backports suite (see the top of this file).
readonly BACKPORTS_REQUIRED=('freerdp3-x11:xfreerdp3')
readonly DEBIAN_SOURCES=/etc/apt/sources.list.d/debian.sources
readonly BACKPORTS_SOURCES=/etc/apt/sources.list.d/homegate-backports.sources

# nginx lives in /usr/sbin, which is often not on a non-root PATH.
PATH="${PATH}:/usr/local/sbin:/usr/sbin:/sbin"

die() {
  printf 'setup-system: error: %s\n' "$*" >&2
  exit 1
}

# A package counts as present when its command is on PATH, whichever package provides it (nginx-full
# instead of nginx-light is fine). For the report, dpkg-query adds the package version when it is ours.
has_command() {
  if [[ "$1" == /* ]]; then
    [[ -e "$1" ]]
  else
    command -v "$1" >/dev/null 2>&1
  fi
}

where_is() {
  if [[ "$1" == /* ]]; then printf '%s' "$1"; else command -v "$1"; fi
}

describe_present() {
  local package="$1" command="$2" status
  status="$(dpkg-query -W -f='${db:Status-Status} ${Version}' "${package}" 2>/dev/null || true)"
  if [[ "${status}" == installed* ]]; then
    printf '%s, %s %s' "$(where_is "${command}")" "${package}" "${status#installed }"
  else
    printf '%s' "$(where_is "${command}")"
  fi
}

check_only=false
case "${1:-}" in
  '') ;;
  --check) check_only=true ;;
  -h | --help)
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *) die "unknown argument '$1' (use --check or no argument)" ;;
esac

missing=()
missing_backports=()
for entry in "${REQUIRED[@]}" "${BACKPORTS_REQUIRED[@]}"; do
  package="${entry%%:*}"
  command="${entry#*:}"
  if has_command "${command}"; then
    printf 'setup-system: ok       %-20s (%s)\n' "${package}" "$(describe_present "${package}" "${command}")"
  elif [[ " ${BACKPORTS_REQUIRED[*]} " == *" ${entry} "* ]]; then
    printf 'setup-system: missing  %-20s (%s, from backports)\n' "${package}" "${command}"
    missing_backports+=("${package}")
  else
    printf 'setup-system: missing  %-20s (%s)\n' "${package}" "${command}"
    missing+=("${package}")
  fi
done
all_missing=("${missing[@]}" "${missing_backports[@]}")

if ((${#all_missing[@]} == 0)); then
  echo 'setup-system: all required packages are present'
  exit 0
fi

if [[ "${check_only}" == true ]]; then
  die "missing packages: ${all_missing[*]} (run scripts/setup-system.sh without --check to install them)"
fi

command -v apt-get >/dev/null 2>&1 ||
  die "apt-get not found; install these packages with your system's package manager: ${missing[*]}"

sudo_cmd=()
if [[ "$(id -u)" -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 ||
    die "not root and sudo is not installed; run this script as root to install: ${all_missing[*]}"
  sudo_cmd=(sudo)
fi

# Prints the value of field $1 in the stanza of debian.sources whose Suites list the release itself ($2).
sources_field() {
  awk -v field="$1" -v suite="$2" '
    function flush() { if (hit && value != "") print value; hit = 0; value = "" }
    /^[[:space:]]*$/ { flush(); next }
    /^#/ { next }
    {
      key = $1; sub(/:$/, "", key)
      if (key == "Suites") for (i = 2; i <= NF; i++) if ($i == suite) hit = 1
      if (key == field) { $1 = ""; sub(/^ +/, ""); value = $0 }
    }
    END { flush() }
  ' "${DEBIAN_SOURCES}" | head -n 1
}

# Adds <codename>-backports from the archive debian.sources already uses, unless apt already knows that suite.
ensure_backports_source() {
  local codename uris signed_by
  codename="$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")"
  [[ -n "${codename}" ]] || die 'cannot tell the Debian release (no VERSION_CODENAME in /etc/os-release)'
  if grep -rqsE "(^|[[:space:]])${codename}-backports([[:space:]]|\$)" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    return 0
  fi
  [[ -r "${DEBIAN_SOURCES}" ]] ||
    die "${DEBIAN_SOURCES} not found: add ${codename}-backports to apt's sources by hand, then run this again"
  uris="$(sources_field URIs "${codename}")"
  signed_by="$(sources_field Signed-By "${codename}")"
  [[ -n "${uris}" && -n "${signed_by}" ]] ||
    die "no entry for suite ${codename} with URIs and Signed-By in ${DEBIAN_SOURCES}"
  echo "setup-system: adding ${codename}-backports from ${uris} (${BACKPORTS_SOURCES})"
  printf 'Types: deb\nURIs: %s\nSuites: %s-backports\nComponents: main\nSigned-By: %s\n' \
    "${uris}" "${codename}" "${signed_by}" | "${sudo_cmd[@]}" tee "${BACKPORTS_SOURCES}" >/dev/null
}

if ((${#missing_backports[@]} > 0)); then
  ensure_backports_source
fi
echo "setup-system: installing ${all_missing[*]}"
"${sudo_cmd[@]}" apt-get update ||
  die 'apt-get update failed (is a Debian mirror reachable?)'
if ((${#missing[@]} > 0)); then
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" ||
    die "apt-get install failed for: ${missing[*]}"
fi
if ((${#missing_backports[@]} > 0)); then
  codename="$(. /etc/os-release && printf '%s' "${VERSION_CODENAME}")"
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    -t "${codename}-backports" "${missing_backports[@]}" ||
    die "apt-get install -t ${codename}-backports failed for: ${missing_backports[*]}"
fi

# Verify: a package that installed but does not provide its command is still a failure.
still_missing=()
for entry in "${REQUIRED[@]}" "${BACKPORTS_REQUIRED[@]}"; do
  package="${entry%%:*}"
  command="${entry#*:}"
  has_command "${command}" || still_missing+=("${package} (${command})")
done
((${#still_missing[@]} == 0)) || die "still missing after install: ${still_missing[*]}"
echo "setup-system: installed ${all_missing[*]}"
