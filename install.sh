#!/usr/bin/env bash
# Install Helpdesk on this machine: binary, system user, data directory, config file and,
# when systemd is present, a sandboxed service. Run as root from a clone of the repository.
# Safe to run again (e.g. after `git pull`) to upgrade.
set -euo pipefail

BIN=/usr/local/bin/helpdesk
DATA_DIR=/var/lib/helpdesk
CONF_DIR=/etc/helpdesk
CONF=$CONF_DIR/helpdesk.toml
UNIT=/etc/systemd/system/helpdesk.service
SVC_USER=helpdesk

usage() {
    cat <<'EOF'
Usage: sudo ./install.sh [--no-build] | --uninstall | --help

Builds Helpdesk (cargo build --release --locked) and installs it:
  /usr/local/bin/helpdesk              the binary
  helpdesk system user and group       runs the service
  /var/lib/helpdesk                    data directory (the SQLite database)
  /etc/helpdesk/helpdesk.toml          configuration (only written if missing)
  /etc/systemd/system/helpdesk.service sandboxed service (only when systemd runs)

Options:
  --no-build    install the existing target/release/helpdesk without building
  --uninstall   stop and remove the service and the binary; keeps the data,
                the configuration and the helpdesk user
  --help        show this help

Running it again upgrades the binary and restarts the service.
EOF
}

die() {
    echo "install.sh: $*" >&2
    exit 1
}

have_systemd() {
    [ -d /run/systemd/system ]
}

uninstall() {
    if have_systemd && [ -f "$UNIT" ]; then
        echo "Stopping and disabling the helpdesk service"
        systemctl disable --now helpdesk || true
    fi
    if [ -f "$UNIT" ]; then
        rm -f "$UNIT"
        echo "Removed $UNIT"
        if have_systemd; then
            systemctl daemon-reload
            systemctl reset-failed helpdesk 2>/dev/null || true
        fi
    fi
    if [ -e "$BIN" ]; then
        rm -f "$BIN"
        echo "Removed $BIN"
    fi
    cat <<EOF
Kept the data in $DATA_DIR, the configuration in $CONF_DIR and the $SVC_USER user.
To remove them as well:
  rm -rf $DATA_DIR $CONF_DIR && userdel $SVC_USER
EOF
}

build() {
    local repo=$1
    if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
        echo "Building as $SUDO_USER: cargo build --release --locked"
        # A login shell picks up the user's PATH (rustup puts cargo in ~/.cargo/bin).
        sudo -u "$SUDO_USER" -H bash -lc \
            'export PATH="$HOME/.cargo/bin:$PATH"; cd "$1" && cargo build --release --locked' \
            _ "$repo" \
            || die "the build failed (if target/ is owned by root from an earlier build, remove it and retry)"
    else
        command -v cargo >/dev/null || die "cargo not found; install Rust (https://rustup.rs) or use --no-build"
        echo "Building: cargo build --release --locked"
        (cd "$repo" && cargo build --release --locked) || die "the build failed"
    fi
}

write_config() {
    if [ -e "$CONF" ]; then
        echo "Kept the existing $CONF"
        return
    fi
    local tmp
    tmp=$(mktemp)
    cat >"$tmp" <<'EOF'
# Helpdesk configuration. Every key is optional; see README.md for the full list.
# HELPDESK_* environment variables and command-line flags override these values.
db = "/var/lib/helpdesk/helpdesk.db"
bind = "127.0.0.1:8080"
base_url = "http://127.0.0.1:8080"
EOF
    install -m 0640 -o root -g "$SVC_USER" "$tmp" "$CONF"
    rm -f "$tmp"
    echo "Wrote $CONF"
}

write_unit() {
    local tmp
    tmp=$(mktemp)
    cat >"$tmp" <<'EOF'
[Unit]
Description=Helpdesk (self-hosted help desk)
After=network.target

[Service]
Type=simple
ExecStart=/usr/local/bin/helpdesk --config /etc/helpdesk/helpdesk.toml serve
User=helpdesk
Group=helpdesk
WorkingDirectory=/var/lib/helpdesk
Restart=on-failure
RestartSec=2
UMask=0027

# Sandbox: the service may only write its data directory.
ProtectSystem=strict
ReadWritePaths=/var/lib/helpdesk
ProtectHome=true
PrivateTmp=true
PrivateDevices=true
NoNewPrivileges=true
ProtectKernelTunables=true
ProtectKernelModules=true
ProtectKernelLogs=true
ProtectControlGroups=true
ProtectClock=true
ProtectHostname=true
RestrictNamespaces=true
RestrictRealtime=true
RestrictSUIDSGID=true
LockPersonality=true
MemoryDenyWriteExecute=true
CapabilityBoundingSet=
AmbientCapabilities=
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX

[Install]
WantedBy=multi-user.target
EOF
    install -m 0644 -o root -g root "$tmp" "$UNIT"
    rm -f "$tmp"
    echo "Wrote $UNIT"
}

main() {
    local do_build=1 do_uninstall=0
    while [ $# -gt 0 ]; do
        case $1 in
            --no-build) do_build=0 ;;
            --uninstall) do_uninstall=1 ;;
            -h | --help)
                usage
                exit 0
                ;;
            *)
                usage >&2
                exit 2
                ;;
        esac
        shift
    done

    [ "$(id -u)" -eq 0 ] || die "run as root, e.g. sudo ./install.sh"

    if [ "$do_uninstall" -eq 1 ]; then
        uninstall
        return
    fi

    local repo
    repo=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    [ -f "$repo/Cargo.toml" ] || die "run this from a clone of the repository ($repo has no Cargo.toml)"

    if [ "$do_build" -eq 1 ]; then
        build "$repo"
    fi
    local built=$repo/target/release/helpdesk
    [ -x "$built" ] || die "$built not found; build it first (cargo build --release --locked) or drop --no-build"

    install -m 0755 -o root -g root "$built" "$BIN"
    echo "Installed $BIN"

    if ! getent group "$SVC_USER" >/dev/null; then
        groupadd --system "$SVC_USER"
        echo "Created group $SVC_USER"
    fi
    if ! getent passwd "$SVC_USER" >/dev/null; then
        useradd --system --gid "$SVC_USER" --home-dir "$DATA_DIR" --no-create-home \
            --shell /usr/sbin/nologin "$SVC_USER"
        echo "Created user $SVC_USER"
    fi
    install -d -m 0750 -o "$SVC_USER" -g "$SVC_USER" "$DATA_DIR"
    install -d -m 0750 -o root -g "$SVC_USER" "$CONF_DIR"
    write_config

    if have_systemd; then
        write_unit
        systemctl daemon-reload
        if systemctl is-active --quiet helpdesk; then
            systemctl enable helpdesk
            systemctl restart helpdesk
            echo "Restarted the helpdesk service"
        else
            systemctl enable --now helpdesk
            echo "Started the helpdesk service"
        fi
        cat <<'EOF'

Helpdesk is running (systemctl status helpdesk). On its first start it creates an admin
account and logs the password once; read it with:
  journalctl -u helpdesk | grep -A2 'first admin'
Then log in at the base_url from /etc/helpdesk/helpdesk.toml under /staff/login.
EOF
    else
        cat <<'EOF'

systemd is not running here, so no service was installed. Start Helpdesk by hand with:
  sudo -u helpdesk /usr/local/bin/helpdesk --config /etc/helpdesk/helpdesk.toml serve
On its first start it prints the first admin's email and password once.
EOF
    fi
}

main "$@"
