#!/usr/bin/env bash
# contrib/nginx/civil.conf tried for real: a throwaway PostgreSQL 15 (as scripts/test-postgres
# starts it), two Civil instances on it, and Debian's nginx with civil.conf (only its addresses
# changed) in front. Through nginx it registers, posts, and reads the page and the API; checks that
# nginx spreads requests over both instances, that each instance shows a new comment at once,
# that rate limits count the reader behind nginx (and not a forged X-Forwarded-For), and that
# with one instance stopped every request, a POST included, is still answered.
#   contrib/nginx/test.sh [CIVIL_BINARY]   (default: $CARGO_TARGET_DIR/debug/civil, else target/debug/civil)
# Exits 0 with "skipped: ..." when nginx is not installed (.ci/run installs it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
civil_bin=${1:-${CARGO_TARGET_DIR:-$root/target}/debug/civil}
civil_bin=$(readlink -f "$civil_bin")
[ -x "$civil_bin" ] || { echo "no Civil binary at $civil_bin (cargo build, or pass its path)" >&2; exit 1; }

if ! [ -x /usr/sbin/nginx ]; then
  echo "skipped: nginx is not installed (apt-get install nginx)"
  exit 0
fi
echo "== $(/usr/sbin/nginx -v 2>&1)"

port_base=${CIVIL_NGINX_TEST_PORT:-18580}
front=$port_base a_port=$((port_base + 1)) b_port=$((port_base + 2))
nginx_url="http://127.0.0.1:$front"
dir=$(mktemp -d /tmp/civil-nginx.XXXXXX)
pids=()
pg_dir=""
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$dir/nginx.pid" ] && kill "$(cat "$dir/nginx.pid")" 2>/dev/null
  wait 2>/dev/null || true
  [ -n "$pg_dir" ] && "$root/scripts/test-postgres" stop "$pg_dir"
  rm -rf "$dir"
}
trap cleanup EXIT
fail() {
  echo "FAILED: $*" >&2
  for f in "$dir"/*.log; do echo "--- $f" >&2; tail -20 "$f" >&2; done
  exit 1
}
ok() { echo "ok: $*"; }

echo "== PostgreSQL"
eval "$(CIVIL_TEST_PG_PORT=${CIVIL_NGINX_TEST_PG_PORT:-$((port_base + 3))} "$root/scripts/test-postgres" start)"
pg_dir=$CIVIL_TEST_PG_DIR
export DATABASE_URL=$CIVIL_TEST_POSTGRES_URL

metrics_token=nginx-test-metrics-token
printf 'Body of the story.\n' >"$dir/body.md"
CIVIL_DATA_DIR="$dir" "$civil_bin" migrate >"$dir/setup.log" 2>&1
printf '%s' 'a long passphrase for the editor' | CIVIL_DATA_DIR="$dir" "$civil_bin" user create --username newsdesk --email newsdesk@example.com --role admin >>"$dir/setup.log" 2>&1
CIVIL_DATA_DIR="$dir" "$civil_bin" article create --slug budget --title "Budget vote" --author newsdesk --body-file "$dir/body.md" --publish >>"$dir/setup.log" 2>&1

start_instance() { # NAME PORT
  CIVIL_LISTEN="127.0.0.1:$2" CIVIL_BASE_URL="$nginx_url" CIVIL_DATA_DIR="$dir" CIVIL_TRUSTED_PROXIES=127.0.0.1 \
    CIVIL_WORKERS=1 CIVIL_DB_POOL_SIZE=4 CIVIL_METRICS_TOKEN=$metrics_token \
    CIVIL_LIMIT_NEW_ACCOUNT_POST_INTERVAL_SECONDS=0 CIVIL_LIMIT_POST_INTERVAL_SECONDS=0 \
    "$civil_bin" serve >"$dir/$1.log" 2>&1 &
  pids+=($!)
  eval "${1}_pid=$!"
  for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$2/healthz" && return 0; sleep 0.1; done
  fail "instance $1 did not start"
}
echo "== two Civil instances ($("$civil_bin" --version)) on 127.0.0.1:$a_port and :$b_port"
start_instance a "$a_port"
start_instance b "$b_port"

echo "== nginx on $nginx_url with contrib/nginx/civil.conf"
# civil.conf as shipped, with this test's addresses; the rest is the smallest nginx.conf.
sed -e "s/127\.0\.0\.1:8081/127.0.0.1:$a_port/; s/127\.0\.0\.1:8082/127.0.0.1:$b_port/" \
  -e "s/listen 80;/listen 127.0.0.1:$front;/" "$here/civil.conf" >"$dir/civil.conf"
grep -q "127.0.0.1:$b_port" "$dir/civil.conf" && grep -q "listen 127.0.0.1:$front;" "$dir/civil.conf" \
  || fail "civil.conf no longer has the addresses this test replaces"
mkdir -p "$dir/nginx-temp"
cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/nginx-error.log warn;
$( [ "$(id -u)" = 0 ] && echo "user root;" )
events { worker_connections 256; }
http {
    access_log $dir/nginx-access.log;
    client_body_temp_path $dir/nginx-temp/body;
    proxy_temp_path $dir/nginx-temp/proxy;
    fastcgi_temp_path $dir/nginx-temp/fastcgi;
    uwsgi_temp_path $dir/nginx-temp/uwsgi;
    scgi_temp_path $dir/nginx-temp/scgi;
    include $dir/civil.conf;
}
CONF
/usr/sbin/nginx -t -q -p "$dir" -c "$dir/nginx.conf" 2>"$dir/nginx-t.log" || fail "nginx -t: $(cat "$dir/nginx-t.log")"
/usr/sbin/nginx -p "$dir" -c "$dir/nginx.conf" 2>>"$dir/nginx-error.log" || fail "nginx did not start"
for _ in $(seq 1 50); do curl -sf -o /dev/null "$nginx_url/healthz" && break; sleep 0.1; done

# A reader's client through nginx: a cookie jar, and the CSRF token from GET /api/v1/session.
# CLIENT_IP is the loopback address the client connects from (127.0.0.0/8 is all local).
api() { # JAR CLIENT_IP METHOD PATH [JSON] -> body, then the status on the last line
  local jar=$1 ip=$2 method=$3 path=$4 body=${5:-}
  local token
  token=$(curl -sf --interface "$ip" -b "$jar" -c "$jar" "$nginx_url/api/v1/session" | sed -n 's/.*"csrf_token":"\([^"]*\)".*/\1/p')
  curl -s --interface "$ip" -b "$jar" -c "$jar" -X "$method" -H "X-CSRF-Token: $token" \
    -H "Content-Type: application/json" -H "X-Forwarded-For: 203.0.113.7" \
    ${body:+--data "$body"} -w '\n%{http_code}' "$nginx_url$path"
}
status() { tail -n1 <<<"$1"; }
register() { # NAME CLIENT_IP -> status
  local reply
  reply=$(api "$dir/$1.jar" "$2" POST /api/v1/accounts "{\"username\":\"$1\",\"email\":\"$1@example.com\",\"password\":\"a long passphrase for $1\"}")
  echo "$reply" >"$dir/register-$1.txt"
  status "$reply"
}
metric() { # PORT ROUTE -> GET requests this instance served for the route
  curl -sf -H "Authorization: Bearer $metrics_token" "http://127.0.0.1:$1/metrics" \
    | awk -v route="route=\"$2\"" 'index($0, "civil_http_requests_total{") == 1 && index($0, route) && /method="GET"/ { n += $NF } END { print n + 0 }'
}

echo "== checks"
[ "$(register ada 127.0.0.3)" = 201 ] || fail "registering through nginx"
ok "a reader registers through nginx"
reply=$(api "$dir/ada.jar" 127.0.0.3 POST /api/v1/articles/budget/comments '{"body":"First, through nginx."}')
[ "$(status "$reply")" = 201 ] || fail "posting through nginx: $reply"
ok "the reader posts through nginx (the session works on whichever instance answers)"

page_has() { # URL TEXT (read whole first: grep -q stopping early would fail curl's write)
  local page
  page=$(curl -sf "$1") && grep -qF "$2" <<<"$page"
}
for i in 1 2 3 4; do
  page_has "$nginx_url/articles/budget" "First, through nginx." || fail "page read $i through nginx lacks the comment"
done
for i in 1 2 3 4; do
  page_has "$nginx_url/api/v1/articles/budget/comments" "First, through nginx." || fail "API read $i through nginx"
done
for route in "/articles/{slug}" "/api/v1/articles/{slug}/comments"; do
  a_seen=$(metric "$a_port" "$route") b_seen=$(metric "$b_port" "$route")
  [ "$a_seen" -gt 0 ] && [ "$b_seen" -gt 0 ] || fail "nginx sent $route to one instance only (a: $a_seen, b: $b_seen)"
  ok "nginx spread GET $route over both instances (a: $a_seen, b: $b_seen), each answered with the comment"
done

# Both instances have the page cached now; a comment posted through either must show on both at once.
for port in "$a_port" "$b_port"; do page_has "http://127.0.0.1:$port/articles/budget" "First, through nginx." || fail "instance on $port"; done
reply=$(api "$dir/ada.jar" 127.0.0.3 POST /api/v1/articles/budget/comments '{"body":"Second, seen everywhere at once."}')
[ "$(status "$reply")" = 201 ] || fail "second comment: $reply"
for port in "$a_port" "$b_port"; do
  page_has "http://127.0.0.1:$port/articles/budget" "Second, seen everywhere at once." || fail "instance on $port serves an older thread"
  page_has "http://127.0.0.1:$port/api/v1/articles/budget/comments" "Second, seen everywhere at once." || fail "API on $port"
done
ok "a new comment shows at once on both instances, page and API"

# Rate limits see the reader behind nginx: 5 registrations an hour per address. The client's
# forged X-Forwarded-For (203.0.113.7, sent on every call above) does not change its address.
for name in bobo cyra dina eddy; do [ "$(register "$name" 127.0.0.3)" = 201 ] || fail "registration $name: $(cat "$dir/register-$name.txt")"; done
[ "$(register faye 127.0.0.3)" = 429 ] || fail "a sixth registration from one reader was not limited"
[ "$(register gust 127.0.0.4)" = 201 ] || fail "a reader at another address was limited with the first"
ok "rate limits count each reader behind nginx (the 6th registration from 127.0.0.3 gets 429, 127.0.0.4 is not limited), whatever X-Forwarded-For the client sends"

echo "== instance a stopped"
kill "$a_pid"; wait "$a_pid" 2>/dev/null || true
for i in 1 2 3 4 5 6; do
  page_has "$nginx_url/articles/budget" "Second, seen everywhere at once." || fail "page read $i with instance a down"
done
reply=$(api "$dir/ada.jar" 127.0.0.3 POST /api/v1/articles/budget/comments '{"body":"Third, with one instance down."}')
[ "$(status "$reply")" = 201 ] || fail "posting with instance a down: $reply"
page_has "$nginx_url/articles/budget" "Third, with one instance down." || fail "the third comment"
grep -q "connect() failed" "$dir/nginx-error.log" || fail "nginx never tried the stopped instance"
ok "with one instance stopped nginx answers every request from the other, a POST included"

echo "== all nginx checks passed"
