#!/usr/bin/env bash
# Installs the Debian packages that Homegate's end-to-end tests and the bench (npm run bench) need, if any is missing.
#
#   scripts/setup-system.sh           install what is missing (apt-get update once, then one install)
#   scripts/setup-system.sh --check   only report; exit 1 if something is missing
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
)

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
for entry in "${REQUIRED[@]}"; do
  package="${entry%%:*}"
  command="${entry#*:}"
  if has_command "${command}"; then
    printf 'setup-system: ok       %-20s (%s)\n' "${package}" "$(describe_present "${package}" "${command}")"
  else
    printf 'setup-system: missing  %-20s (%s)\n' "${package}" "${command}"
    missing+=("${package}")
  fi
done

if ((${#missing[@]} == 0)); then
  echo 'setup-system: all required packages are present'
  exit 0
fi

if [[ "${check_only}" == true ]]; then
  die "missing packages: ${missing[*]} (run scripts/setup-system.sh without --check to install them)"
fi

command -v apt-get >/dev/null 2>&1 ||
  die "apt-get not found; install these packages with your system's package manager: ${missing[*]}"

sudo_cmd=()
if [[ "$(id -u)" -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 ||
    die "not root and sudo is not installed; as root run: apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
  sudo_cmd=(sudo)
fi

echo "setup-system: installing ${missing[*]}"
"${sudo_cmd[@]}" apt-get update ||
  die 'apt-get update failed (is a Debian mirror reachable?)'
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" ||
  die "apt-get install failed for: ${missing[*]}"

# Verify: a package that installed but does not provide its command is still a failure.
still_missing=()
for entry in "${REQUIRED[@]}"; do
  package="${entry%%:*}"
  command="${entry#*:}"
  has_command "${command}" || still_missing+=("${package} (${command})")
done
((${#still_missing[@]} == 0)) || die "still missing after install: ${still_missing[*]}"
echo "setup-system: installed ${missing[*]}"
