#!/usr/bin/env bash
# README's Ghost guide tried for real, on Debian 12 with Node 20: Ghost 5 (the last major that runs
# on Node 20) from npm, on SQLite, at http://localhost:$GHOST_PORT with its default theme Casper;
# Civil beside it at http://127.0.0.1:$CIVIL_PORT (another site), CIVIL_EMBED_ORIGINS set to
# Ghost's origin. The README's code-injection snippet goes into Settings > Code injection > Site
# footer and its <noscript> line into Casper's post.hbs; one published post; then
# contrib/ghost/check.py in headless Chromium with third-party cookies blocked.
# Usage: contrib/ghost/try.sh [CIVIL_BINARY]   (default: target/release/civil)
#   Ghost is installed once into $GHOST_HOME (default ~/.cache/civil-try-ghost).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
civil_bin=$(readlink -f "${1:-$root/target/release/civil}")
[ -x "$civil_bin" ] || { echo "no Civil binary at $civil_bin (cargo build --release, or pass its path)" >&2; exit 1; }
ghost_version=${GHOST_VERSION:-5.130.6}
ghost_home=${GHOST_HOME:-$HOME/.cache/civil-try-ghost}
ghost_port=${GHOST_PORT:-18492}
civil_port=${CIVIL_PORT:-18490}
ghost="http://localhost:$ghost_port"
civil="http://127.0.0.1:$civil_port"

venv="$HOME/.cache/civil-try-venv"
[ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import selenium' 2>/dev/null \
  || { python3 -m venv "$venv" && "$venv/bin/pip" install -q selenium; }

# Ghost from npm, as ghost-cli would install it, but with npm: the package's devDependencies
# (one is a git repository) are dropped, its yarn `resolutions` become npm `overrides`, and the
# native modules (sqlite3, re2) are compiled here against Node's own headers, since their
# prebuilt binaries are downloaded from outside the registry.
if ! [ -f "$ghost_home/package/node_modules/.civil-installed" ]; then
  echo "== installing Ghost $ghost_version into $ghost_home (compiles sqlite3 and re2: slow)"
  rm -rf "$ghost_home" && mkdir -p "$ghost_home"
  (cd "$ghost_home" && npm pack --silent "ghost@$ghost_version" >/dev/null && tar xzf "ghost-$ghost_version.tgz")
  python3 - "$ghost_home/package/package.json" <<'PY'
import json, sys
path = sys.argv[1]
package = json.load(open(path))
package.pop("devDependencies", None)
package["overrides"] = dict(package.get("resolutions", {}))
json.dump(package, open(path, "w"), indent=2)
PY
  (cd "$ghost_home/package" && npm_config_nodedir=${npm_config_nodedir:-/usr} \
    npm install --omit=dev --legacy-peer-deps --no-audit --no-fund --loglevel=error)
  # sqlite3 is an optional dependency: when its build fails npm goes on without it, as it did
  # here in the whole install (re2 compiling beside it); built on its own it succeeded.
  if ! (cd "$ghost_home/package" && node -e 'require("sqlite3")') 2>/dev/null; then
    sqlite_version=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["optionalDependencies"]["sqlite3"])' "$ghost_home/package/package.json")
    mkdir -p "$ghost_home/sqlite3" && echo '{"private": true}' >"$ghost_home/sqlite3/package.json"
    (cd "$ghost_home/sqlite3" && npm_config_nodedir=${npm_config_nodedir:-/usr} \
      npm install --no-audit --no-fund --loglevel=error "sqlite3@$sqlite_version")
    for m in sqlite3 bindings file-uri-to-path node-addon-api; do
      [ -e "$ghost_home/package/node_modules/$m" ] || cp -r "$ghost_home/sqlite3/node_modules/$m" "$ghost_home/package/node_modules/"
    done
    (cd "$ghost_home/package" && node -e 'require("sqlite3")')
  fi
  touch "$ghost_home/package/node_modules/.civil-installed"
fi

dir=$(mktemp -d /tmp/civil-ghost.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'echo "failed at line $LINENO; the end of ghost.log:" >&2; tail -20 "$dir/ghost.log" >&2' ERR
wait_for() { for _ in $(seq 1 300); do curl -sf -o /dev/null "$1" && return 0; sleep 0.5; done; echo "$1 does not answer" >&2; return 1; }

# Ghost's content directory, with both bundled themes' post.hbs (Source, the default, and
# Casper) given README's <noscript> line after {{content}}.
cp -r "$ghost_home/package/content" "$dir/content"
rm -rf "$dir/content/data"/*.db
noscript='<noscript><a href="'"$civil"'/embed/discussion?url={{url absolute="true"}}">Read and join the discussion</a></noscript>'
for theme in source casper; do
  sed -i "s|^\(\s*\){{content}}\s*$|&\n\1$noscript|" "$dir/content/themes/$theme/post.hbs"
  grep -qF "embed/discussion" "$dir/content/themes/$theme/post.hbs"
done

echo "== Ghost $ghost_version at $ghost"
cd "$ghost_home/package"
NODE_ENV=development url="$ghost" server__host=127.0.0.1 server__port="$ghost_port" \
  database__client=sqlite3 database__connection__filename="$dir/content/data/ghost.db" \
  paths__contentPath="$dir/content" security__staffDeviceVerification=false mail__transport=stub \
  privacy__useUpdateCheck=false privacy__useRpcPing=false logging__level=warn \
  setsid node index.js >"$dir/ghost.log" 2>&1 &
pids+=($!)
cd "$root"
wait_for "$ghost/ghost/api/admin/site/"

echo "== Civil $("$civil_bin" --version | cut -d' ' -f2) at $civil"
start_civil() {
  CIVIL_LISTEN="127.0.0.1:$civil_port" CIVIL_BASE_URL="$civil" CIVIL_DATA_DIR="$dir/civil" \
    CIVIL_EMBED_ORIGINS="$ghost" setsid "$civil_bin" serve >>"$dir/civil.log" 2>&1 &
  civil_pid=$!
  pids+=("$civil_pid")
  wait_for "$civil/healthz"
}
mkdir -p "$dir/civil"
start_civil

# Ghost's admin, through the Admin API its own admin screens call: the owner's account, a
# session, the Site footer code injection (README's snippet, Civil's address put in), a post.
admin() { # METHOD PATH [JSON]
  local out
  out=$(curl -sS --fail-with-body -b "$dir/admin.jar" -c "$dir/admin.jar" -X "$1" -H "Origin: $ghost" \
    -H "Content-Type: application/json" ${3:+--data "$3"} "$ghost/ghost/api/admin$2") \
    || { echo "$1 $2: $out" >&2; return 1; }
  printf '%s' "$out"
}
admin POST /authentication/setup/ '{"setup":[{"name":"Editor","email":"editor@example.com","password":"Quiet-harbour-lantern-42","blogTitle":"Civil try"}]}' >/dev/null
admin POST /session/ '{"username":"editor@example.com","password":"Quiet-harbour-lantern-42"}' >/dev/null
snippet=$(sed -n '/^\*\*Ghost\.\*\*/,/^Code injection cannot/p' "$root/README.md" | sed -n '/^<script>$/,/^<\/script>$/p' \
  | sed "s|https://comments.example.com|$civil|")
[ -n "$snippet" ] || { echo "README's Ghost snippet not found" >&2; exit 1; }
admin PUT /settings/ "$(python3 -c 'import json,sys; print(json.dumps({"settings": [{"key": "codeinjection_foot", "value": sys.argv[1]}]}))' "$snippet")" >/dev/null
post_url=$(admin POST '/posts/?source=html' '{"posts":[{"title":"Budget & the vote","html":"<p>The council voted on the budget.</p>","status":"published"}]}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["posts"][0]["url"])')
echo "   post: $post_url"

export GHOST_URL="$ghost" CIVIL_URL="$civil" POST_URL="$post_url"
for theme in source casper; do
  admin PUT "/themes/$theme/activate/" >/dev/null
  [ "$theme" = source ] || start_civil
  printf '#!/bin/sh\nkill %s\n' "$civil_pid" >"$dir/stop-civil.sh"
  echo "== check.py with the $theme theme"
  "$venv/bin/python" "$here/check.py" "$dir" "$theme"
done
echo "== all checks passed"
