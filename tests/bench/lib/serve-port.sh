# Sourced by the benchmarks that start `twindraw serve --port 0` (the kernel's choice: no
# collision with another run). serve_port LOG [KEY] waits up to a minute (a loaded box,
# e.g. scripts/test next to builds) for serve's "listening" log line and its /healthz, then
# prints the port named KEY (port, the default, or tile_port); a server that never answers
# prints its log on stderr and fails here instead of at the benchmark's login.
serve_port() {
  local log=$1 key=${2:-port} main="" port=""
  for _ in $(seq 600); do
    main=$(sed -n 's/.*"msg":"listening".*"port":\([0-9]*\).*/\1/p' "$log" 2>/dev/null || true)
    [ -n "$main" ] && curl -fs "http://127.0.0.1:$main/healthz" >/dev/null && break
    sleep 0.1
  done
  port=$(sed -n "s/.*\"msg\":\"listening\".*\"$key\":\([0-9]*\).*/\1/p" "$log" 2>/dev/null || true)
  if [ -z "$main" ] || [ -z "$port" ] || ! curl -fs "http://127.0.0.1:$main/healthz" >/dev/null; then
    echo "serve did not start:" >&2
    cat "$log" >&2
    return 1
  fi
  echo "$port"
}
