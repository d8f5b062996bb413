#!/usr/bin/env bash
# NumberDesk beside a bare Tauri 2 app built on the same machine in the same run: launch to
# first screen (median of N), idle memory of the whole process tree (PSS), binary and .deb sizes.
# Release builds, under Xvfb and a private D-Bus session when there is no display.
#
#   scripts/perf.sh [runs]        (default 10; prints a Markdown table)
#
# The bare app is generated under the build directory: one window, one page, one command that
# says the page is laid out. It uses NumberDesk's Cargo.lock, so both link the same crate versions.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10}"
if [ -z "${DISPLAY:-}" ] && [ -z "${PERF_INNER:-}" ]; then
  exec env PERF_INNER=1 dbus-run-session -- xvfb-run -a -s '-screen 0 1280x800x24 -nolisten tcp' "$0" "$runs"
fi
target="${CARGO_TARGET_DIR:-target}"
export CARGO_TARGET_DIR="$target"

# Both apps are built as they ship, by tauri-cli: the release binary and its .deb.
if ! cargo tauri --version >/dev/null 2>&1; then
  cargo install tauri-cli --version '^2' --locked >&2
fi
cargo tauri build --bundles deb --ci >&2
ours="$target/release/numberdesk"
ours_deb=$(ls "$target"/release/bundle/deb/NumberDesk_*.deb)

bare_src="$target/perf-bare"
mkdir -p "$bare_src/src" "$bare_src/ui"
cp Cargo.lock "$bare_src/Cargo.lock"
cp -r icons "$bare_src/"
cat > "$bare_src/Cargo.toml" <<'TOML'
[package]
name = "bare-tauri"
version = "0.1.0"
edition = "2021"
publish = false
[build-dependencies]
tauri-build = { version = "2", features = [] }
[dependencies]
tauri = { version = "2", features = ["custom-protocol"] }
[workspace]
TOML
cat > "$bare_src/build.rs" <<'RS'
fn main() {
    tauri_build::build()
}
RS
cat > "$bare_src/src/main.rs" <<'RS'
use std::time::Instant;
static STARTED: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
#[tauri::command]
fn ready(app: tauri::AppHandle) {
    println!("ready {}", STARTED.get().unwrap().elapsed().as_millis());
    if std::env::var_os("BARE_EXIT_WHEN_READY").is_some() {
        app.exit(0);
    }
}
fn main() {
    STARTED.get_or_init(Instant::now);
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![ready])
        .run(tauri::generate_context!())
        .expect("bare app");
}
RS
cat > "$bare_src/tauri.conf.json" <<'JSON'
{
  "productName": "BareTauri",
  "version": "0.1.0",
  "identifier": "app.numberdesk.perf-bare",
  "build": { "frontendDist": "ui" },
  "app": {
    "withGlobalTauri": true,
    "windows": [{ "title": "Bare", "width": 1100, "height": 720 }],
    "security": { "csp": "default-src 'none'; script-src 'self'; connect-src ipc: http://ipc.localhost" }
  },
  "bundle": {
    "active": true,
    "targets": ["deb"],
    "icon": ["icons/32x32.png", "icons/128x128.png", "icons/128x128@2x.png", "icons/icon.png"]
  }
}
JSON
cat > "$bare_src/ui/index.html" <<'HTML'
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bare</title><script type="module" src="main.js"></script></head>
<body><h1>Bare Tauri app</h1></body></html>
HTML
# Like NumberDesk, it reports ready once its first screen is laid out (reading a layout
# figure makes WebKit lay the page out first).
echo "document.body.getBoundingClientRect(); window.__TAURI__.core.invoke('ready');" > "$bare_src/ui/main.js"
(cd "$bare_src" && cargo tauri build --bundles deb --ci >&2)
bare="$target/release/bare-tauri"
bare_deb=$(ls "$target"/release/bundle/deb/BareTauri_*.deb)

now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2))}'; }

# Launch to first screen, measured from outside: from spawning the process to the line it
# prints when its first screen reports ready (NumberDesk: `ready_ms=`, the bare app: `ready`).
# Both then exit on their own; their teardown is not counted, and the next run waits for it.
#
# Why the waiting: NumberDesk is a single-instance app (a D-Bus name on Linux). A launch that
# starts while the previous one is still tearing down finds that name taken, hands its
# arguments to the dying instance and exits without a window: "the app never reported its
# first screen". So each launch first waits until no process of the previous one is left
# (WebKit's helpers included), and a launch that still shows no first screen is tried again,
# at most twice, with the reason printed; the figure is never made up.
retry_log="$(mktemp)"
settle() {
  local exe="$1" i
  for i in $(seq 100); do
    pgrep -f "^$exe( |$)" >/dev/null 2>&1 || pgrep -f "WebKit(Web|Network)Process" >/dev/null 2>&1 || return 0
    sleep 0.1
  done
}
launch_once() {
  local t0 line shown="" log="$1"; shift
  t0=$(now_ms)
  while IFS= read -r line; do
    case "$line" in
      ready*) shown=$(( $(now_ms) - t0 )); break ;;
    esac
  done < <("$@" 2>"$log")
  wait $! 2>/dev/null || true
  echo "$shown"
}
launch_ms() {
  local attempt shown log
  log="$(mktemp)"
  for attempt in 1 2 3; do
    settle "$1"
    shown=$(launch_once "$log" "$@")
    if [ -n "$shown" ]; then rm -f "$log"; echo "$shown"; return; fi
    echo "$1" >> "$retry_log"
    echo "perf: launch $attempt of $1 showed no first screen; its last words:" >&2
    tail -n 3 "$log" >&2
  done
  rm -f "$log"
  echo "perf: $1 never reported its first screen in 3 tries" >&2
  return 1
}
launch_ours() {
  local data; data="$(mktemp -d)"
  local rc=0
  NUMBERDESK_EXIT_WHEN_READY=1 NUMBERDESK_DATA_DIR="$data" launch_ms "$ours" --demo || rc=$?
  rm -rf "$data"
  return $rc
}
launch_bare() {
  BARE_EXIT_WHEN_READY=1 launch_ms "$bare"
}
# Interleaved, so that whatever else the machine does weighs on both alike.
ours_times=() bare_times=()
for _ in $(seq "$runs"); do
  t=$(launch_ours) || exit 1
  ours_times+=("$t")
  t=$(launch_bare) || exit 1
  bare_times+=("$t")
done
ours_launch=$(printf '%s\n' "${ours_times[@]}" | median)
bare_launch=$(printf '%s\n' "${bare_times[@]}" | median)

# Idle memory: PSS of the process and every descendant (WebKit's web and network processes),
# 5 s after start; the median of 3 launches.
tree_pss_kib() {
  local root="$1" total=0 pids="$1" changed=1
  while [ $changed -eq 1 ]; do
    changed=0
    for stat in /proc/[0-9]*/stat; do
      local pid ppid
      pid=$(cut -d' ' -f1 "$stat" 2>/dev/null) || continue
      ppid=$(awk '{sub(/^.*\) /, ""); print $2}' "$stat" 2>/dev/null) || continue
      if [[ " $pids " == *" $ppid "* ]] && [[ " $pids " != *" $pid "* ]]; then
        pids="$pids $pid"; changed=1
      fi
    done
  done
  for pid in $pids; do
    local pss
    pss=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)
    total=$(( total + ${pss:-0} ))
  done
  echo "$total"
}
idle_pss() {
  local pid
  settle "$1"
  "$@" >/dev/null 2>&1 &
  pid=$!
  sleep 5
  tree_pss_kib "$pid"
  kill "$pid" 2>/dev/null; sleep 1; kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
}
idle_ours() {
  local data; data="$(mktemp -d)"
  NUMBERDESK_DATA_DIR="$data" idle_pss "$ours" --demo
  rm -rf "$data"
}
ours_mem=() bare_mem=()
for _ in 1 2 3; do
  ours_mem+=("$(idle_ours)")
  bare_mem+=("$(idle_pss "$bare")")
done
ours_pss=$(printf '%s\n' "${ours_mem[@]}" | median)
bare_pss=$(printf '%s\n' "${bare_mem[@]}" | median)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f×", a / b }'; }
size() { stat -c %s "$1"; }
echo "| figure | NumberDesk | bare Tauri 2 app | ratio |"
echo "|---|---|---|---|"
echo "| launch to first screen (median of $runs) | ${ours_launch} ms | ${bare_launch} ms | $(ratio "$ours_launch" "$bare_launch") |"
echo "| idle memory, whole process tree (PSS, median of 3) | $(( ours_pss / 1024 )) MiB | $(( bare_pss / 1024 )) MiB | $(ratio "$ours_pss" "$bare_pss") |"
mib() { awk -v b="$1" 'BEGIN { printf "%.2f MiB", b / 1048576 }'; }
echo "| release binary | $(mib "$(size "$ours")") | $(mib "$(size "$bare")") | $(ratio "$(size "$ours")" "$(size "$bare")") |"
echo "| launches tried again (no first screen the first time) | $(grep -c "$ours" "$retry_log" || true) | $(grep -c "$bare" "$retry_log" || true) | |"
echo "| installer (.deb) | $(mib "$(size "$ours_deb")") | $(mib "$(size "$bare_deb")") | $(ratio "$(size "$ours_deb")" "$(size "$bare_deb")") |"
