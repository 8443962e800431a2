#!/usr/bin/env bash
# Regenerates every picture and sample output of the user guide from the real programs, so
# the guide stays true:
#   docs/guide/make-screenshots.sh [BUILD_DIR]    (default: $REGSCOPE_BUILD_DIR or build)
# It needs a build with regscope, regscope-loader, regscope-discoveryd and the demo plugins,
# and etcd + etcdctl + curl (all in regscope.sh's PACKAGES). Servers listen on loopback
# only, on free ports, and are stopped on exit. Works without a display (offscreen).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/../.."
build=$(readlink -f "${1:-${REGSCOPE_BUILD_DIR:-build}}")
guide=docs/guide
img=$guide/img
app=$build/app/regscope/regscope
discoveryd=$build/app/discoveryd/regscope-discoveryd
demo=$build/plugins/demo
for f in "$app" "$discoveryd" "$demo/codec_demo.so"; do
    [ -e "$f" ] || { echo "make-screenshots: $f is missing: build first" >&2; exit 2; }
done
mkdir -p "$img"

work=$(mktemp -d)
pids=()
cleanup() {
    # The last started first: the renew loop before the server it renews with.
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# A clean profile: no saved connections or theme of whoever runs this.
export XDG_CONFIG_HOME=$work/config HOME=$work/home XDG_RUNTIME_DIR=$work/run
export QT_QPA_PLATFORM=offscreen QT_LOGGING_RULES='qt.qpa.*=false'
mkdir -p "$XDG_CONFIG_HOME" "$HOME"
mkdir -m 0700 "$XDG_RUNTIME_DIR"

shot() { # shot FILE ARGS...: one picture of the real window
    local file=$1
    shift
    "$app" --screenshot "$img/$file" --deadline 20 "$@"
    echo "  $img/$file" >&2
}
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_for() { # wait_for SECONDS COMMAND...: until COMMAND succeeds, or fail
    local deadline=$((SECONDS + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || { echo "make-screenshots: timed out: $*" >&2; return 1; }
        sleep 0.2
    done
}

echo "1. the developer: the embedded demo registry and the plugin inspector" >&2
shot entries-light.png --connect 'demo?seed=1' --panel Entries --theme light
shot entries-dark.png --connect 'demo?seed=1' --panel Entries --theme dark
for panel in Metrics Lookups Misses Deprecations Timeline; do
    shot "$(echo "$panel" | tr 'A-Z' 'a-z').png" --connect 'demo?seed=1' --panel "$panel" --theme light
done
shot plugins.png --connect 'demo?seed=1' --panel Plugins --theme light \
    --load-plugin "$demo/codec_demo.so"
# Verdicts name files by absolute path: show the build folder as BUILD.
inspect() { "$app" --inspect "$1" | sed "s#$build#BUILD#g"; }
inspect "$demo/codec_demo.so" >"$guide/inspect-codec.json"

echo "3. the demonstration: a plugin that segfaults in its constructor" >&2
rc=0
(set -o pipefail; inspect "$demo/fault_ctor_segv.so" >"$guide/inspect-segv.json") || rc=$?
[ "$rc" -eq 2 ] || { echo "make-screenshots: --inspect of the segfault gave $rc, not 2" >&2; exit 1; }
for theme in light dark; do
    file=plugins-crash.png
    [ "$theme" = dark ] && file=plugins-crash-dark.png
    shot "$file" --connect 'demo?seed=1' --panel Plugins --theme "$theme" \
        --load-plugin "$demo/codec_demo.so" --load-plugin "$demo/fault_ctor_segv.so"
done

echo "2. the on-call engineer: stale instances and self-protection on a real discoveryd" >&2
"$discoveryd" --listen 127.0.0.1:0 --renew-interval 1s --evict-interval 4s \
    --evict-threshold 3s --evict-ceiling 1h --reset-expected-interval 1h --seed 7 \
    >"$work/discoveryd.out" 2>"$work/discoveryd.err" &
pids+=($!)
wait_for 10 grep -q : "$work/discoveryd.out"
addr=$(head -1 "$work/discoveryd.out")
api="http://$addr/discovery"
register() { # register APPID HOSTNAME ZONE PORT
    curl -fsS -o /dev/null "$api/register" -d "zone=$3&env=prod&appid=$1&hostname=$2&status=1" \
        -d "addrs=http://127.0.0.1:$4&version=1.4.2&metadata=%7B%22weight%22%3A%2210%22%7D"
}
renew() { curl -fsS -o /dev/null "$api/renew" -d "zone=$3&env=prod&appid=$1&hostname=$2"; }
fleet=("payments.api pay-1 sh001 8081" "payments.api pay-2 sh001 8082"
    "payments.api pay-3 sh002 8083" "orders.api ord-1 sh001 9091"
    "orders.api ord-2 sh002 9092" "orders.api ord-3 sh002 9093")
for i in "${fleet[@]}"; do register $i; done
# Two instances keep renewing every second (bounded: 60 s); the other four went quiet, as
# after a network split: they turn stale, and too few renews switch self-protection on.
(for _ in $(seq 60); do renew payments.api pay-1 sh001; renew orders.api ord-1 sh001; sleep 1; done) &
pids+=($!)
wait_for 30 sh -c "curl -fsS http://$addr/metrics | grep -q '^discovery_self_protection 1'"
shot instances.png --connect "http://$addr" --panel Instances --theme light
shot instances-dark.png --connect "http://$addr" --panel Instances --theme dark
curl -fsS "http://$addr/metrics" | grep -E '^discovery_(instances|self_protection|renew)' \
    >"$guide/discoveryd-metrics.txt"

echo "2. the on-call engineer: leases on a real etcd" >&2
client=$(free_port)
peer=$(free_port)
etcd --name guide --data-dir "$work/etcd" --listen-client-urls "http://127.0.0.1:$client" \
    --advertise-client-urls "http://127.0.0.1:$client" --listen-peer-urls "http://127.0.0.1:$peer" \
    --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
    --initial-cluster "guide=http://127.0.0.1:$peer" >"$work/etcd.log" 2>&1 &
pids+=($!)
ctl() { ETCDCTL_API=3 etcdctl --endpoints "127.0.0.1:$client" "$@"; }
wait_for 30 ctl endpoint health
for node in "30 node-1 8081" "60 node-2 8082" "600 node-3 8083"; do
    set -- $node
    lease=$(ctl lease grant "$1" | awk '{print $2}')
    ctl put --lease="$lease" "/services/payments/$2" "{\"addr\":\"http://127.0.0.1:$3\"}" >/dev/null
done
ctl put /config/payments/limits '{"rps":1200,"burst":300}' >/dev/null
printf 'binary\x00\x01\x02\xff' | ctl put /config/payments/blob >/dev/null
shot etcd.png --connect "etcd://127.0.0.1:$client/?services=/services/" --panel etcd --theme light
shot etcd-instances.png --connect "etcd://127.0.0.1:$client/?services=/services/" \
    --panel Instances --theme light
echo "make-screenshots: done" >&2
