# Source this file: start_emulator starts moto_server on a free loopback port,
# points the AWS_* variables at it with dummy credentials, and stops it (by the
# PID it started, and only that one) when the calling script exits.

start_emulator() {
  local moto="${MOTO_SERVER:-$(command -v moto_server)}"
  EMULATOR_LOG="$(mktemp -t layer-tools-moto.XXXXXX)"
  "$moto" -H 127.0.0.1 -p 0 >"$EMULATOR_LOG" 2>&1 &
  EMULATOR_PID=$!
  # Stop it however the script ends: normally, on an error, or on Ctrl-C / kill.
  # A caller that needs its own EXIT trap calls stop_emulator from it.
  trap stop_emulator EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  local port="" i
  for i in $(seq 1 200); do
    port="$(sed -n 's|.*Running on http://127.0.0.1:\([0-9]*\).*|\1|p' "$EMULATOR_LOG" | head -n 1)"
    [ -n "$port" ] && break
    kill -0 "$EMULATOR_PID" 2>/dev/null || { cat "$EMULATOR_LOG" >&2; return 1; }
    sleep 0.1
  done
  [ -n "$port" ] || { echo "moto_server printed no port" >&2; return 1; }
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
  export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_REGION="${AWS_REGION:-us-east-1}"
  export AWS_EC2_METADATA_DISABLED=true
  # Never read the user's own AWS setup, and never send loopback traffic to a proxy.
  export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
  export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"
  unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_DEFAULT_REGION AWS_ROLE_ARN \
    AWS_ENDPOINT_URL_LAMBDA AWS_ENDPOINT_URL_S3 AWS_ENDPOINT_URL_STS AWS_ENDPOINT_URL_IAM AWS_ENDPOINT_URL_CLOUDWATCH
  for i in $(seq 1 100); do
    curl --noproxy "*" -fsS "$AWS_ENDPOINT_URL/moto-api/" >/dev/null 2>&1 && return 0
    python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1])" "$AWS_ENDPOINT_URL/moto-api/" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "moto_server did not answer at $AWS_ENDPOINT_URL" >&2
  return 1
}

stop_emulator() {
  if [ -n "${EMULATOR_PID:-}" ]; then
    kill "$EMULATOR_PID" 2>/dev/null || true
    wait "$EMULATOR_PID" 2>/dev/null || true
    EMULATOR_PID=""
  fi
  [ -n "${EMULATOR_LOG:-}" ] && rm -f "$EMULATOR_LOG"
}
