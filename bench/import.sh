#!/usr/bin/env bash
# Time `civil import disqus` on SQLite (release build) with generated Disqus exports of 25,000,
# 50,000 and 100,000 comments, and report each run's wall time and peak RSS (/usr/bin/time -v).
# Target: 100,000 comments in under 60 s, with peak RSS about flat as the file grows.
#
#   bench/import.sh                      # 25k, 50k, 100k
#   BENCH_IMPORT_SIZES="100000" bench/import.sh
#   BENCH_STRICT=1 bench/import.sh       # exit 1 when the target is missed
#   CARGO_TARGET_DIR=...                 # where the release build goes ($HOME/.cache/civil-target)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${BENCH_IMPORT_SIZES:-"25000 50000 100000"}
target=${CARGO_TARGET_DIR:-$HOME/.cache/civil-target}
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
echo "building Civil (release, CARGO_TARGET_DIR=$target)" >&2
CARGO_TARGET_DIR=$target cargo build --release --bin civil >&2
civil=$target/release/civil
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A Disqus export shaped like a real one: threads first, then posts in time order; one thread per
# 100 comments, 5,000 authors with an address and some without; 40% replies, to any earlier
# comment of the thread (so chains go deep); 2% deleted, 1% spam; HTML bodies of ~300 characters.
generate() {
  python3 - "$1" "$2" <<'PY'
import random, sys
n, path = int(sys.argv[1]), sys.argv[2]
random.seed(12)
threads = max(1, n // 100)
words = "the harbour council said on tuesday that ferries would run again after repairs to the pier <b>finally</b> & residents welcomed".split()
with open(path, "w", encoding="utf-8") as f:
    w = f.write
    w('<?xml version="1.0" encoding="utf-8"?>\n<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">\n')
    for t in range(threads):
        w(f'<thread dsq:id="t{t}"><id/><link>https://news.example/{2000 + t % 20}/story-{t}/</link>'
          f'<title>Story {t}</title><isDeleted>false</isDeleted></thread>\n')
    per_thread = {}
    for i in range(n):
        t = random.randrange(threads)
        earlier = per_thread.setdefault(t, [])
        parent = f'<parent dsq:id="p{random.choice(earlier)}"/>' if earlier and random.random() < 0.4 else ""
        earlier.append(i)
        if len(earlier) > 200:
            earlier.pop(random.randrange(len(earlier)))
        a = random.randrange(5000)
        email = f"<email>reader{a}@mail.example</email>" if a % 10 else "<email/>"
        text = " ".join(random.choice(words) for _ in range(50)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        r = random.random()
        deleted, spam = ("true" if r < 0.02 else "false"), ("true" if 0.02 <= r < 0.03 else "false")
        w(f'<post dsq:id="p{i}"><message><![CDATA[<p>{text}</p>]]></message>'
          f'<createdAt>20{10 + i * 15 // n:02d}-0{1 + i % 9}-1{i % 10}T1{i % 10}:{i % 60:02d}:00Z</createdAt>'
          f'<isDeleted>{deleted}</isDeleted><isSpam>{spam}</isSpam>'
          f'<author>{email}<name>Reader {a}</name></author><thread dsq:id="t{t}"/>{parent}</post>\n')
    w("</disqus>\n")
PY
}

printf '%-9s %10s %10s %12s\n' comments "file MB" "seconds" "peak RSS MB"
status=0
for n in $sizes; do
  file=$work/disqus-$n.xml
  generate "$n" "$file"
  rm -rf "$work/data" && mkdir -p "$work/data"
  DATABASE_URL=$work/data/civil.db CIVIL_DATA_DIR=$work/data CIVIL_LOG=warn "$civil" migrate >/dev/null
  DATABASE_URL=$work/data/civil.db CIVIL_DATA_DIR=$work/data CIVIL_LOG=warn \
    /usr/bin/time -v "$civil" import disqus "$file" >"$work/report" 2>"$work/time"
  seconds=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$work/time")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$work/time")
  mb=$(awk -v b="$(stat -c %s "$file")" 'BEGIN {printf "%.1f", b/1048576}')
  printf '%-9s %10s %10s %12s\n' "$n" "$mb" "$seconds" "$rss"
  if [ "$n" -ge 100000 ] && awk -v s="$seconds" 'BEGIN {exit !(s >= 60)}'; then
    echo "target missed: $n comments took $seconds s (target: under 60 s)" >&2
    status=1
  fi
  grep -E '^(Threads|Comments|Authors|Skipped)' "$work/report" | sed 's/^/    /'
  rm -f "$file"
done
[ "${BENCH_STRICT:-0}" = 1 ] && exit $status
exit 0
