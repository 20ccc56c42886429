#!/usr/bin/env bash
# The WordPress guide tried for real, start to end, on Debian 12 as root:
#   - WordPress from Debian's package, on MariaDB (a throwaway server on a socket) and PHP's
#     built-in web server at http://localhost:$WP_PORT;
#   - the plugin installed as README says (contrib/wordpress/civil-comments copied into
#     wp-content/plugins, activated, its address set under Settings > Discussion, both in the
#     browser);
#   - Civil beside it at http://127.0.0.1:$CIVIL_PORT (another site than WordPress's), with
#     CIVIL_EMBED_ORIGINS=http://localhost:$WP_PORT;
#   - one published post, then contrib/wordpress/check.py in headless Chromium with third-party
#     cookies blocked, with a classic theme (Twenty Twenty-One) and a block theme (Twenty
#     Twenty-Three): the discussion in the frame, registering and posting from it, the
#     <noscript> fallback holding the discussion, the count on the post list, and the post page
#     still loading when Civil is stopped.
# Usage: contrib/wordpress/try.sh [CIVIL_BINARY]   (default: target/release/civil)
#   KEEP=1 leaves everything running and prints the addresses instead of cleaning up.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
civil_bin=$(readlink -f "${1:-$root/target/release/civil}")
[ -x "$civil_bin" ] || { echo "no Civil binary at $civil_bin (cargo build --release, or pass its path)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "run as root (it installs Debian packages and runs MariaDB)" >&2; exit 1; }
wp_port=${WP_PORT:-18491}
civil_port=${CIVIL_PORT:-18490}
wp="http://localhost:$wp_port"
civil="http://127.0.0.1:$civil_port"

packages=(wordpress wordpress-theme-twentytwentyone wordpress-theme-twentytwentythree mariadb-server php-mysql php-curl chromium chromium-driver python3-venv)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
venv="$HOME/.cache/civil-try-venv"
[ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import selenium' 2>/dev/null \
  || { python3 -m venv "$venv" && "$venv/bin/pip" install -q selenium; }

dir=$(mktemp -d /tmp/civil-wp.XXXXXX)
# Debian's wp-config.php reads /etc/wordpress/config-<name>.php; the router below names this one.
wp_config=/etc/wordpress/config-civil-try-$wp_port.php
pids=()
cleanup() {
  # Each server runs in its own process group (setsid): PHP's server forks workers.
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -f "$wp_config"
  rm -rf "$dir"
}
if [ -z "${KEEP:-}" ]; then trap cleanup EXIT; fi
wait_for() { # URL: until it answers at all
  for _ in $(seq 1 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.2; done
  echo "$1 does not answer" >&2; return 1
}

echo "== MariaDB"
mariadb-install-db --no-defaults --datadir="$dir/db" --user=root --auth-root-authentication-method=socket >"$dir/db-install.log" 2>&1
setsid mariadbd --no-defaults --user=root --datadir="$dir/db" --socket="$dir/db.sock" --skip-networking \
  --pid-file="$dir/db.pid" --log-error="$dir/db.log" &
pids+=($!)
for _ in $(seq 1 100); do [ -S "$dir/db.sock" ] && break; sleep 0.2; done
mariadb --no-defaults --socket="$dir/db.sock" -u root <<'SQL'
CREATE DATABASE wordpress;
CREATE USER 'wordpress'@'localhost' IDENTIFIED BY 'wordpress';
GRANT ALL ON wordpress.* TO 'wordpress'@'localhost';
SQL

echo "== WordPress $(sed -n "s/^\$wp_version = '\(.*\)';/\1/p" /usr/share/wordpress/wp-includes/version.php) at $wp"
mkdir -p "$dir/wp-content/plugins" "$dir/wp-content/themes" "$dir/wp-content/uploads"
for theme in /usr/share/wordpress/wp-content/themes/*; do ln -s "$theme" "$dir/wp-content/themes/"; done
# The plugin, installed as README says: its folder copied into wp-content/plugins.
cp -r "$here/civil-comments" "$dir/wp-content/plugins/"
# Twenty Twenty-One lists posts with no comment count: a child theme adds the plugin's count
# to each post of a list, the one-line change README describes for a classic theme.
child="$dir/wp-content/themes/twentytwentyone-civil"
mkdir -p "$child/template-parts/content"
printf '/*\nTheme Name: Twenty Twenty-One with Civil counts\nTemplate: twentytwentyone\n*/\n' >"$child/style.css"
sed 's|<?php twenty_twenty_one_entry_meta_footer(); ?>|<?php echo civil_comments_count(); ?> &|' \
  /usr/share/wordpress/wp-content/themes/twentytwentyone/template-parts/content/content-excerpt.php \
  >"$child/template-parts/content/content-excerpt.php"
grep -q civil_comments_count "$child/template-parts/content/content-excerpt.php"

cat >"$wp_config" <<PHP
<?php
define('DB_NAME', 'wordpress');
define('DB_USER', 'wordpress');
define('DB_PASSWORD', 'wordpress');
define('DB_HOST', 'localhost:$dir/db.sock');
define('WP_HOME', '$wp');
define('WP_SITEURL', '$wp');
define('WP_CONTENT_DIR', '$dir/wp-content');
define('WP_CONTENT_URL', '$wp/wp-content');
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
foreach (array('AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT') as \$k) {
    define(\$k, '$(head -c 24 /dev/urandom | base64)' . \$k);
}
PHP
# PHP's built-in server with a router: WordPress from /usr/share/wordpress, wp-content from the
# scratch directory, as Debian's Apache example aliases it.
cat >"$dir/router.php" <<PHP
<?php
\$_SERVER['WORDPRESS_CONFIG'] = 'civil-try-$wp_port';
\$path = urldecode(parse_url(\$_SERVER['REQUEST_URI'], PHP_URL_PATH));
\$file = str_starts_with(\$path, '/wp-content/')
    ? '$dir' . \$path
    : '/usr/share/wordpress' . \$path;
if (is_dir(\$file)) {
    \$file = rtrim(\$file, '/') . '/index.php';
}
if (is_file(\$file) && !str_ends_with(\$file, '.php')) {
    \$types = array('css' => 'text/css', 'js' => 'application/javascript', 'svg' => 'image/svg+xml', 'woff2' => 'font/woff2', 'png' => 'image/png');
    \$ext = pathinfo(\$file, PATHINFO_EXTENSION);
    header('Content-Type: ' . (\$types[\$ext] ?? 'application/octet-stream'));
    readfile(\$file);
    return true;
}
if (!is_file(\$file)) {
    \$file = '/usr/share/wordpress/index.php';
}
chdir(dirname(\$file));
\$_SERVER['SCRIPT_FILENAME'] = \$file;
require \$file;
PHP
PHP_CLI_SERVER_WORKERS=4 setsid php -S "localhost:$wp_port" "$dir/router.php" >"$dir/php.log" 2>&1 &
pids+=($!)
wait_for "$wp/wp-login.php"
# The installer's form, as a person fills it in.
curl -sf -o /dev/null "$wp/wp-admin/install.php?step=2" \
  --data-urlencode "weblog_title=Civil try" --data-urlencode "user_name=admin" \
  --data-urlencode "admin_password=civil-try-password" --data-urlencode "admin_password2=civil-try-password" \
  --data-urlencode "pw_weak=1" --data-urlencode "admin_email=admin@example.com" --data-urlencode "blog_public=0"
# WordPress from PHP's command line, for what a person does in the editor (publish a post).
wp_php() {
  php -d display_errors=stderr -r "\$_SERVER['HTTP_HOST'] = 'localhost:$wp_port'; \$_SERVER['WORDPRESS_CONFIG'] = 'civil-try-$wp_port'; require '/usr/share/wordpress/wp-load.php'; $1"
}
post_id=$(wp_php "echo wp_insert_post(array('post_title' => 'Budget & the vote', 'post_content' => '<p>The council voted on the budget.</p>', 'post_status' => 'publish'), true);")
post_url=$(wp_php "echo get_permalink($post_id);")
echo "   post $post_id: $post_url"

echo "== Civil $("$civil_bin" --version | cut -d' ' -f2) at $civil"
mkdir -p "$dir/civil"
start_civil() {
  CIVIL_LISTEN="127.0.0.1:$civil_port" CIVIL_BASE_URL="$civil" CIVIL_DATA_DIR="$dir/civil" \
    CIVIL_EMBED_ORIGINS="$wp" setsid "$civil_bin" serve >>"$dir/civil.log" 2>&1 &
  civil_pid=$!
  pids+=("$civil_pid")
  wait_for "$civil/healthz"
}
start_civil

if [ -n "${KEEP:-}" ]; then
  echo "WordPress $wp (wp-admin: admin / civil-try-password; activate Civil Comments and set its address"
  echo "to $civil under Settings > Discussion), Civil $civil, post $post_url"
  echo "scratch $dir; to stop: kill -- ${pids[*]/#/-}; rm $wp_config"
  exit 0
fi

switch_theme() { wp_php "switch_theme('$1');"; }
# Twenty Twenty-Three's posts list, as saved from the Site Editor with a Shortcode block
# holding [civil_count] under each post's date.
wp_php "
\$home = file_get_contents(get_theme_root('twentytwentythree') . '/twentytwentythree/templates/home.html');
\$home = str_replace('<!-- wp:post-date {\"isLink\":true} /-->', '<!-- wp:post-date {\"isLink\":true} /--><!-- wp:shortcode -->[civil_count]<!-- /wp:shortcode -->', \$home);
\$id = wp_insert_post(array('post_type' => 'wp_template', 'post_name' => 'home', 'post_title' => 'Home', 'post_status' => 'publish', 'post_content' => \$home), true);
wp_set_object_terms(\$id, 'twentytwentythree', 'wp_theme');"
export WP_URL="$wp" CIVIL_URL="$civil" POST_URL="$post_url"
# check.py runs these between its steps: flush.php forgets the plugin's cached fragment
# (WordPress keeps it 60 s), stop-civil.sh stops Civil.
cat >"$dir/flush.php" <<PHP
<?php
\$_SERVER['HTTP_HOST'] = 'localhost:$wp_port';
\$_SERVER['WORDPRESS_CONFIG'] = 'civil-try-$wp_port';
require '/usr/share/wordpress/wp-load.php';
\$wpdb->query("DELETE FROM \$wpdb->options WHERE option_name LIKE '%civil_fragment%'");
PHP
run_check() { # THEME FIRST|AGAIN
  switch_theme "$1"
  printf '#!/bin/sh\nkill %s\n' "$civil_pid" >"$dir/stop-civil.sh"
  chmod +x "$dir/stop-civil.sh"
  echo "== check.py with $1"
  "$venv/bin/python" "$here/check.py" "$1" "$2" "$dir"
}
run_check twentytwentyone-civil first
start_civil
run_check twentytwentythree again
echo "== all checks passed"
