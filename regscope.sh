#!/usr/bin/env bash
# regscope's one script: install Debian packages if missing, configure, build, run or test.
#   ./regscope.sh run [regscope args...]   install + build + open the app (demo by default)
#   ./regscope.sh test                     install + build + run every test with ctest
#   ./regscope.sh build | deps | bench | format
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"

PACKAGES=(
    cmake g++ make ninja-build ccache pkg-config git
    qt6-base-dev qt6-base-dev-tools qt6-charts-dev qt6-httpserver-dev qt6-websockets-dev libgl-dev libqt6opengl6-dev libxkbcommon-dev
    libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
    nlohmann-json3-dev libsodium-dev libelf-dev libboost-dev libbenchmark-dev
    etcd-server etcd-client openssl xvfb xauth wrk fonts-dejavu-core clang-format
)
export CCACHE_BASEDIR="$PWD" CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
BUILD_DIR=${REGSCOPE_BUILD_DIR:-build}
JOBS=${REGSCOPE_JOBS:-$(nproc)}

log() { printf '\033[1mregscope:\033[0m %s\n' "$*" >&2; }

deps() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    log "installing Debian packages: ${missing[*]}"
    "${sudo[@]}" apt-get update
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
}

configure() {
    local werror=OFF
    [ -n "${CI:-}" ] && werror=ON
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREGSCOPE_WERROR="$werror" "$@" >/dev/null
}

build() {
    configure "$@"
    log "building in $BUILD_DIR with $JOBS jobs"
    cmake --build "$BUILD_DIR" -j "$JOBS"
}

# The concurrency tests of the Qt-free libraries, again under ThreadSanitizer.
tsan() {
    local dir="${BUILD_DIR}-tsan"
    log "ThreadSanitizer build in $dir"
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREGSCOPE_TSAN=ON \
        -DREGSCOPE_WITH_GUI=OFF -DREGSCOPE_WITH_DISCOVERY=OFF -DREGSCOPE_WITH_ETCD=OFF \
        -DREGSCOPE_WITH_LOADER=OFF -DREGSCOPE_BENCHMARKS=OFF >/dev/null
    cmake --build "$dir" -j "$JOBS"
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
        ctest --test-dir "$dir" -L concurrency --output-on-failure --no-tests=error
}

cmd=${1:-run}
[ $# -gt 0 ] && shift
case "$cmd" in
deps) deps ;;
build) deps; build ;;
run)
    deps
    build
    if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
        case " $* " in
        *" --screenshot "* | *" --dump "* | *" --inspect "* | *" --version "* | *" --help "*)
            export QT_QPA_PLATFORM=offscreen ;;
        *)
            log "no display (DISPLAY and WAYLAND_DISPLAY are empty): run this in a desktop session,"
            log "or headless: $0 run --screenshot regscope.png"
            exit 1 ;;
        esac
    fi
    exec "$BUILD_DIR/app/regscope/regscope" "$@"
    ;;
test)
    deps
    build
    log "running every test"
    ctest --test-dir "$BUILD_DIR" --output-on-failure --no-tests=error -j "$JOBS" --timeout 900
    tsan
    ;;
bench)
    deps
    build
    # Every benchmark (tests/bench/<name>/bench_<name>), then one summary table: each one's
    # exit status, wall time and the ratio lines it printed (its figures against a baseline
    # measured in the same run).
    summary=$(mktemp)
    for b in "$BUILD_DIR"/tests/bench/*/bench_*; do
        [ -x "$b" ] && [ -f "$b" ] || continue
        name=$(basename "$b")
        log "running $name"
        out=$(mktemp)
        start=$(date +%s)
        rc=0
        "$b" "$@" 2>&1 | tee "$out" || rc=$?
        printf '%s\t%s\t%ss\t%s\n' "$name" "$rc" "$(( $(date +%s) - start ))" \
            "$(grep -iE 'ratio|[0-9.]+x\b|/ours|vs ' "$out" | head -n 3 | tr '\n' ';' | tr -s ' ')" >>"$summary"
        rm -f "$out"
    done
    printf '\n%-22s %-4s %-7s %s\n' benchmark rc time "ratios (first lines)"
    while IFS=$'\t' read -r name rc secs ratios; do
        printf '%-22s %-4s %-7s %s\n' "$name" "$rc" "$secs" "$ratios"
    done <"$summary"
    rm -f "$summary"
    ;;
format)
    git ls-files '*.cpp' '*.h' | xargs clang-format -i
    ;;
*)
    echo "usage: $0 {run|test|build|deps|bench|format} [args]" >&2
    exit 2
    ;;
esac
