#!/usr/bin/env bash
# cloud-init user-data for crimecast on Ubuntu 24.04 (EC2). CloudFormation (crimecast.yaml)
# prepends the `export CRIMECAST_...` lines for the stack's parameters; the body below is this
# file verbatim (tests/test_deploy.py keeps the two in step).
#
# It installs crimecast in a venv, restores the store from S3 if one was published, and sets up:
#   crimecast-dashboard.service   `crimecast serve` (loopback unless an allowed CIDR was given,
#                                 then on 0.0.0.0 with a generated token: basic auth / bearer)
#   crimecast-nightly.timer       every night: fetch new data, re-run forecasts and the report,
#                                 publish the report and the store to S3 (manifest written last)
#
# Review or test it without touching the machine:
#   CRIMECAST_DRY_RUN=1 DEPLOY_ROOT=/tmp/scratch bash user-data.sh
# writes every file under /tmp/scratch instead of / and prints the commands (apt, pip,
# systemctl, ...) instead of running them.
set -euo pipefail

DRY_RUN="${CRIMECAST_DRY_RUN:-0}"
ROOT="${DEPLOY_ROOT:-}"
BUCKET="${CRIMECAST_BUCKET:?set CRIMECAST_BUCKET to the S3 bucket of the project}"
PACKAGE="${CRIMECAST_PACKAGE:-crimecast[spark,s3,dashboard]}"
ALLOWED_CIDR="${CRIMECAST_ALLOWED_CIDR:-}"
PORT="${CRIMECAST_DASHBOARD_PORT:-8050}"
NIGHTLY_AT="${CRIMECAST_NIGHTLY_AT:-*-*-* 03:30:00 America/Los_Angeles}"
REGION="${CRIMECAST_REGION:-us-east-1}"

APP_USER=crimecast
APP_DIR=/opt/crimecast
DATA_DIR=/var/lib/crimecast
CONF_DIR=/etc/crimecast
UNIT_DIR=/etc/systemd/system

if [ -n "$ALLOWED_CIDR" ]; then
  HOST=0.0.0.0 # reachable from the allowed CIDR (the security group), so a token is required
else
  HOST=127.0.0.1 # reachable only through an SSM/SSH tunnel
fi

log() { printf 'crimecast-setup: %s\n' "$*"; }

# Run a command, or print it in a dry run.
run() {
  if [ "$DRY_RUN" = "1" ]; then
    printf '+ %s\n' "$*"
  else
    "$@"
  fi
}

# Write stdin to a file under the root, with a mode (the file is replaced whole).
put() {
  local path="$ROOT$1" mode="$2"
  mkdir -p "$(dirname "$path")"
  cat >"$path.tmp"
  chmod "$mode" "$path.tmp"
  mv "$path.tmp" "$path"
  log "wrote $path"
}

log "installing system packages"
run apt-get update -q
run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  python3-venv python3-pip openjdk-17-jre-headless ca-certificates
if ! id "$APP_USER" >/dev/null 2>&1; then
  run useradd --system --home-dir "$DATA_DIR" --shell /usr/sbin/nologin "$APP_USER"
fi
mkdir -p "$ROOT$APP_DIR/bin" "$ROOT$DATA_DIR" "$ROOT$CONF_DIR"
run chown "$APP_USER:$APP_USER" "$DATA_DIR"

log "installing $PACKAGE"
run python3 -m venv "$APP_DIR/venv"
run "$APP_DIR/venv/bin/pip" install -q --upgrade pip
case "$PACKAGE" in
  s3://*) # a wheel published to the bucket (see RUNBOOK.md): fetch it with the instance role
    run "$APP_DIR/venv/bin/pip" install -q boto3
    run "$APP_DIR/venv/bin/python" -c \
      'import boto3, sys; b, _, k = sys.argv[1][5:].partition("/"); boto3.client("s3").download_file(b, k, sys.argv[2])' \
      "$PACKAGE" "$APP_DIR/$(basename "$PACKAGE")"
    run "$APP_DIR/venv/bin/pip" install -q "$APP_DIR/$(basename "$PACKAGE")[spark,s3,dashboard]"
    ;;
  *)
    run "$APP_DIR/venv/bin/pip" install -q "$PACKAGE"
    ;;
esac

# The token is made here, on the instance, so it never passes through CloudFormation or the
# instance's user-data (which anyone with ec2:DescribeInstanceAttribute can read).
TOKEN_FILE="$ROOT$CONF_DIR/dashboard-token"
if [ ! -s "$TOKEN_FILE" ]; then
  umask 077
  od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$TOKEN_FILE"
  umask 022
fi
TOKEN="$(cat "$TOKEN_FILE")"

put "$CONF_DIR/crimecast.env" 0640 <<EOF
# crimecast settings for the systemd units (see the README's settings table).
HOME=$DATA_DIR
AWS_DEFAULT_REGION=$REGION
CRIMECAST_STORE=$DATA_DIR/store
CRIMECAST_OUT=$DATA_DIR/out
CRIMECAST_S3_CACHE=$DATA_DIR/s3-cache
CRIMECAST_REMOTE_STORE=s3://$BUCKET/store
CRIMECAST_REMOTE_OUT=s3://$BUCKET/reports
CRIMECAST_DASHBOARD_HOST=$HOST
CRIMECAST_DASHBOARD_PORT=$PORT
CRIMECAST_DASHBOARD_TOKEN=$TOKEN
EOF
run chgrp "$APP_USER" "$CONF_DIR/crimecast.env"

put "$APP_DIR/bin/crimecast-nightly" 0755 <<'EOF'
#!/usr/bin/env bash
# Nightly job: fetch new LAPD data into the local store, re-run the forecasts and the report,
# then publish both to S3. Each publish uploads a new version and writes its manifest last, so
# a run that dies half-way leaves the previous report and store as the visible ones.
set -euo pipefail
bin=/opt/crimecast/venv/bin
"$bin/crimecast" fetch --store "$CRIMECAST_STORE"
"$bin/crimecast" run --store "$CRIMECAST_STORE" --out "$CRIMECAST_OUT"
"$bin/python" -m crimecast.storage publish "$CRIMECAST_OUT" "$CRIMECAST_REMOTE_OUT"
"$bin/python" -m crimecast.storage publish --kind store "$CRIMECAST_STORE" "$CRIMECAST_REMOTE_STORE"
EOF

put "$UNIT_DIR/crimecast-dashboard.service" 0644 <<EOF
[Unit]
Description=crimecast dashboard (crimecast serve)
Documentation=file://$APP_DIR/RUNBOOK.md
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=$APP_USER
Group=$APP_USER
EnvironmentFile=$CONF_DIR/crimecast.env
WorkingDirectory=$DATA_DIR
ExecStart=$APP_DIR/venv/bin/crimecast serve --store \${CRIMECAST_STORE} --out \${CRIMECAST_OUT} --host \${CRIMECAST_DASHBOARD_HOST} --port \${CRIMECAST_DASHBOARD_PORT}
Restart=on-failure
RestartSec=10
NoNewPrivileges=true
PrivateTmp=true
ProtectSystem=strict
ProtectHome=true
ReadWritePaths=$DATA_DIR

[Install]
WantedBy=multi-user.target
EOF

put "$UNIT_DIR/crimecast-nightly.service" 0644 <<EOF
[Unit]
Description=crimecast nightly refresh: fetch, forecast, report, publish to S3
After=network-online.target
Wants=network-online.target

[Service]
Type=oneshot
User=$APP_USER
Group=$APP_USER
EnvironmentFile=$CONF_DIR/crimecast.env
WorkingDirectory=$DATA_DIR
ExecStart=$APP_DIR/bin/crimecast-nightly
ExecStartPost=+/bin/systemctl try-restart crimecast-dashboard.service
TimeoutStartSec=4h
Nice=10
NoNewPrivileges=true
PrivateTmp=true
ProtectSystem=strict
ProtectHome=true
ReadWritePaths=$DATA_DIR
EOF

put "$UNIT_DIR/crimecast-nightly.timer" 0644 <<EOF
[Unit]
Description=run the crimecast nightly refresh every night

[Timer]
OnCalendar=$NIGHTLY_AT
RandomizedDelaySec=15min
Persistent=true
Unit=crimecast-nightly.service

[Install]
WantedBy=timers.target
EOF

log "restoring the store from s3://$BUCKET/store (if one was published)"
# Not fatal: without it the first nightly refresh builds the store from the portal instead.
run runuser -u "$APP_USER" -- env "CRIMECAST_S3_CACHE=$DATA_DIR/s3-cache" "AWS_DEFAULT_REGION=$REGION" \
  "$APP_DIR/venv/bin/python" -m crimecast.storage fetch "s3://$BUCKET/store" "$DATA_DIR/store" ||
  log "no store restored from s3://$BUCKET/store (see the message above); the nightly run builds one"

run systemctl daemon-reload
run systemctl enable --now crimecast-nightly.timer crimecast-dashboard.service
# The first refresh now rather than tonight, so the dashboard has data within the hour.
run systemctl start --no-block crimecast-nightly.service
log "done: dashboard on $HOST:$PORT; token in $CONF_DIR/dashboard-token (root only)"
