#!/usr/bin/env bash
# Starts and stops the local AWS emulator for Portico.
#
#   localstack/emulator.sh start|stop|status
#
# EMULATOR=ministack (default): MiniStack from the repo's virtualenv, with the
# patches of localstack/ministack applied to a copy of it (.portico), bound to
# 127.0.0.1 only, serving HTTPS on :4566 with a certificate from the local CA.
# EMULATOR=localstack: docker compose with localstack/docker-compose.yml (needs
# Docker and LOCALSTACK_AUTH_TOKEN).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
state="$root/.portico"
emulator=${EMULATOR:-ministack}
port=${PORTICO_EMULATOR_PORT:-4566}
pidfile="$state/ministack.pid"
log="$state/ministack.log"

healthy() {
  case "$emulator" in
    ministack) curl -fsS --max-time 2 --cacert "$state/tls/ca.pem" "https://localhost:$port/_localstack/health" >/dev/null 2>&1 ;;
    localstack) curl -fsS --max-time 2 "https://localhost.localstack.cloud:$port/_localstack/health" >/dev/null 2>&1 ;;
  esac
}

running_pid() {
  [ -f "$pidfile" ] || return 1
  local pid
  pid=$(cat "$pidfile")
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

start_ministack() {
  if pid=$(running_pid) && healthy; then
    echo "MiniStack already running (pid $pid) on https://localhost:$port"
    return
  fi
  if ss -ltn 2>/dev/null | grep -q "[:.]$port "; then
    echo "emulator: port $port is taken by another process; stop it or set PORTICO_EMULATOR_PORT" >&2
    exit 1
  fi
  mkdir -p "$state/ministack-tmp"
  # Our patches (localstack/ministack/*.patch) on a copy of the installed
  # package, which is left untouched; PYTHONPATH puts the copy first.
  "$root/localstack/ministack/patch.sh" "$root/.tools/venv" "$state/ministack-patched"
  # MiniStack passes its own environment to the Lambda processes it starts, so
  # the functions find the emulator (and trust its CA) through these variables.
  env -i PATH="$PATH" HOME="$HOME" PYTHONPATH="$state/ministack-patched" \
    GATEWAY_PORT="$port" BIND_HOST=127.0.0.1 MINISTACK_HOST=localhost \
    IOT_MTLS_ENABLED=0 SFTP_ENABLED=0 \
    USE_SSL=1 MINISTACK_SSL_CERT="$state/tls/server.pem" MINISTACK_SSL_KEY="$state/tls/server-key.pem" \
    AWS_ENDPOINT_URL="https://localhost:$port" AWS_CA_BUNDLE="$state/tls/ca.pem" \
    AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 \
    TMPDIR="$state/ministack-tmp" \
    setsid "$root/.tools/venv/bin/python" -m ministack >"$log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  for _ in $(seq 1 60); do
    if healthy; then
      echo "MiniStack running (pid $(cat "$pidfile")) on https://localhost:$port, log $log"
      return
    fi
    if ! running_pid >/dev/null; then
      echo "emulator: MiniStack exited; last lines of $log:" >&2
      tail -20 "$log" >&2
      exit 1
    fi
    sleep 0.5
  done
  echo "emulator: MiniStack not healthy after 30 s; see $log" >&2
  exit 1
}

stop_ministack() {
  local pid
  if ! pid=$(running_pid); then
    rm -f "$pidfile"
    return
  fi
  # MiniStack runs in its own session; signal the whole group so the Lambda
  # processes it started go too.
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 30); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$pidfile"
  echo "MiniStack stopped"
}

compose() {
  docker compose -f "$root/localstack/docker-compose.yml" "$@"
}

case "${1:-}:$emulator" in
  start:ministack) start_ministack ;;
  stop:ministack) stop_ministack ;;
  status:ministack) if pid=$(running_pid) && healthy; then echo "running (pid $pid)"; else echo "stopped"; exit 1; fi ;;
  start:localstack)
    : "${LOCALSTACK_AUTH_TOKEN:?LocalStack needs LOCALSTACK_AUTH_TOKEN}"
    compose up -d
    for _ in $(seq 1 120); do healthy && { echo "LocalStack running on https://localhost.localstack.cloud:$port"; exit 0; }; sleep 1; done
    echo "emulator: LocalStack not healthy after 120 s (docker compose logs)" >&2; exit 1 ;;
  stop:localstack) compose down ;;
  status:localstack) healthy && echo running || { echo stopped; exit 1; } ;;
  *) echo "usage: EMULATOR=ministack|localstack $0 start|stop|status" >&2; exit 2 ;;
esac
