#!/usr/bin/env bash
# The test command: `bash tests/run.sh [arguments for cargo test]`.
#
# Installs what the tests need when it is missing, then runs `cargo test --locked`:
# - Debian's chromium and chromium-driver: the browser tests (tests/browser.rs),
# - Debian's dovecot-imapd: a real IMAP server on loopback (tests/common/dovecot.rs),
# - aiosmtpd from PyPI: a real SMTP server (tests/common/smtp.rs),
# - axe-core from npm (under target/a11y, with Debian's npm when npm is missing): the
#   accessibility checks (tests/a11y.rs; HELPDESK_AXE_JS may name another axe.min.js).
# As root it installs them directly; otherwise it says what it will install and uses sudo.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

apt_packages=()
command -v chromium >/dev/null || apt_packages+=(chromium)
command -v chromedriver >/dev/null || apt_packages+=(chromium-driver)
# /usr/sbin is not on every user's PATH.
command -v dovecot >/dev/null || [ -x /usr/sbin/dovecot ] || apt_packages+=(dovecot-imapd)
axe_dir=target/a11y
need_axe=
if [ -z "${HELPDESK_AXE_JS:-}" ] && [ ! -f "$axe_dir/node_modules/axe-core/axe.min.js" ]; then
    need_axe=1
    command -v npm >/dev/null || apt_packages+=(npm)
fi
pip_packages=()
if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
    pip_packages+=(aiosmtpd)
    command -v python3 >/dev/null || apt_packages+=(python3)
    python3 -m pip --version >/dev/null 2>&1 || apt_packages+=(python3-pip)
fi

if [ "${#apt_packages[@]}" -gt 0 ] || [ "${#pip_packages[@]}" -gt 0 ]; then
    wanted="${apt_packages[*]:+Debian packages: ${apt_packages[*]}}"
    if [ "${#pip_packages[@]}" -gt 0 ]; then
        wanted="${wanted:+$wanted; }PyPI packages: ${pip_packages[*]}"
    fi
    as_root=()
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null; then
            echo "tests/run.sh: the tests need $wanted. Run this as root, or install them." >&2
            exit 1
        fi
        as_root=(sudo)
        echo "tests/run.sh: installing with sudo what the tests need: $wanted"
    else
        echo "tests/run.sh: installing what the tests need: $wanted"
    fi
    if [ "${#apt_packages[@]}" -gt 0 ]; then
        if ! command -v apt-get >/dev/null; then
            echo "tests/run.sh: no apt-get here; install the equivalents of ${apt_packages[*]}." >&2
            exit 1
        fi
        ${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        ${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
    fi
    if [ "${#pip_packages[@]}" -gt 0 ]; then
        pip=(${as_root[@]+"${as_root[@]}"} env PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet)
        # Debian's own Python refuses plain pip installs (PEP 668) unless told otherwise.
        "${pip[@]}" "${pip_packages[@]}" 2>/dev/null ||
            "${pip[@]}" --break-system-packages "${pip_packages[@]}"
    fi
fi

if [ -n "$need_axe" ]; then
    echo "tests/run.sh: installing axe-core from npm into $axe_dir"
    npm install --no-save --no-audit --no-fund --silent --prefix "$axe_dir" axe-core@4
fi

chromium --version 2>/dev/null || echo "chromium: version not reported"
chromedriver --version
{ command -v dovecot >/dev/null && dovecot --version || /usr/sbin/dovecot --version; } |
    sed 's/^/dovecot /'
python3 -c 'import aiosmtpd; print("aiosmtpd", aiosmtpd.__version__)'
[ -n "${HELPDESK_AXE_JS:-}" ] || node -e 'console.log("axe-core", require(process.argv[1]).version)' \
    "$PWD/$axe_dir/node_modules/axe-core/package.json"

exec cargo test --locked "$@"
