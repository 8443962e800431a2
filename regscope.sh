#!/usr/bin/env bash
# regscope's one script: install Debian packages if missing, configure, build, run or test.
#   ./regscope.sh run [regscope args...]   install + build + open the app (demo by default)
#   ./regscope.sh test                     install + build + run every test with ctest, then
#                                          under TSan and ASan+UBSan, package checks, short fuzz
#   ./regscope.sh package                  the Debian packages (CPack) and their checks
#   ./regscope.sh asan                     every ctest test under AddressSanitizer + UBSan
#   ./regscope.sh fuzz [SECONDS]           each libFuzzer target for SECONDS (default 60)
#   ./regscope.sh build | deps | bench | format
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"

PACKAGES=(
    cmake g++ make ninja-build ccache pkg-config git
    qt6-base-dev qt6-base-dev-tools qt6-charts-dev qt6-httpserver-dev qt6-websockets-dev libgl-dev libqt6opengl6-dev libxkbcommon-dev
    libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
    nlohmann-json3-dev libsodium-dev libelf-dev libboost-dev libbenchmark-dev
    etcd-server etcd-client openssl xvfb xauth wrk curl fonts-dejavu-core clang-format
    lintian appstream desktop-file-utils pandoc dpkg-dev file
    clang-16 libclang-rt-16-dev llvm-16
    libdw-dev golang-go golang-github-hashicorp-go-plugin-dev golang-google-grpc-dev
    golang-github-golang-protobuf-1-5-dev golang-golang-x-net-dev
    libgstreamer1.0-0 libpam-modules libpython3.11-minimal libllvm14 util-linux
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

# The whole ctest suite again under AddressSanitizer + UBSan (-O1 keeps it within CI time).
# LeakSanitizer suppresses only third-party libraries (tests/sanitizers/lsan.supp says why).
# -Werror stays with the main build: GCC 12's -fsanitize=address at -O1 brings known false
# -Wmaybe-uninitialized / -Wstringop-overflow warnings in code the main build checks.
# `asan ci` (what the test command runs) is the subset that keeps CI near 30 minutes on 2
# cores: every part that reads another process's bytes without the GUI stack — the registry
# library and its debug endpoint, discoveryd, the registrator — plus the libFuzzer targets,
# which are ASan builds of the parsers too. `asan` alone is the whole suite.
asan() {
    local dir="${BUILD_DIR}-asan" werror=OFF scope=()
    # Tests that measure what ASan itself changes, not our code: RSS bounds and fd
    # starvation (shadow memory, quarantine, the runtime's own descriptors), a forked
    # child's exit under the ASan runtime, and a consumer project linked without
    # -fsanitize against the instrumented library. They run in the main build.
    local skip=(-E '^(tst_discoveryd_limits|tst_endpoint_safety|tst_endpoint_consumer)$')
    if [ "${1:-full}" = ci ]; then
        dir="${BUILD_DIR}-asan-ci"
        scope=(-DREGSCOPE_WITH_GUI=OFF)
    fi
    log "AddressSanitizer + UBSan build in $dir"
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREGSCOPE_ASAN=ON \
        -DREGSCOPE_WERROR="$werror" -DREGSCOPE_BENCHMARKS=OFF "${scope[@]}" \
        -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
        -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" >/dev/null
    cmake --build "$dir" -j "$JOBS"
    log "running every test under ASan + UBSan"
    ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=0" \
        LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0" \
        UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
        ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$JOBS" --timeout 900 \
        "${skip[@]}"
}

# libFuzzer targets, built with clang in their own tree (tests/fuzz/CMakeLists.txt).
fuzz_build() {
    local dir="${BUILD_DIR}-fuzz"
    log "libFuzzer build in $dir"
    CCACHE_BASEDIR="$PWD" cmake -S . -B "$dir" -G Ninja -DREGSCOPE_FUZZ=ON \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_C_COMPILER=clang-16 -DCMAKE_CXX_COMPILER=clang++-16 >/dev/null
    cmake --build "$dir" -j "$JOBS"
}
fuzz() {
    fuzz_build
    PATH="/usr/lib/llvm-16/bin:$PATH" tests/fuzz/run.sh "${BUILD_DIR}-fuzz" "${1:-60}"
}

# The Debian packages of an existing build, then what CI checks about them.
package() {
    local out="$PWD/$BUILD_DIR/packages"
    rm -rf "$out"
    log "Debian packages in $out"
    (cd "$BUILD_DIR" && cpack -G DEB -B "$out" >/dev/null)
    rm -rf "$out/_CPack_Packages"
    ls "$out"/*.deb >&2
    log "lintian (errors fail; warnings are reported)"
    lintian --fail-on error --tag-display-limit 0 "$out"/*.deb
    local root
    root=$(mktemp -d)
    for deb in "$out"/*.deb; do dpkg-deb -x "$deb" "$root"; done
    desktop-file-validate "$root"/usr/share/applications/*.desktop
    appstreamcli validate --no-net "$root"/usr/share/metainfo/*.metainfo.xml
    log "the extracted app: --version, and --inspect with the extracted loader"
    local version
    version=$(sed -n 's/^project(regscope VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
    QT_QPA_PLATFORM=offscreen "$root/usr/bin/regscope" --version | grep -qx "regscope $version"
    "$root/usr/bin/regscope-discoveryd" --help | grep -q -- --listen
    # Hide the build tree's loader so only the lookup of ../libexec/regscope can succeed.
    local built="$BUILD_DIR/bin/regscope-loader"
    mv "$built" "$built.hidden"
    local rc=0
    env -u REGSCOPE_LOADER QT_QPA_PLATFORM=offscreen \
        "$root/usr/bin/regscope" --inspect "$BUILD_DIR/plugins/demo/codec_demo.so" \
        >"$root/verdict.json" || rc=$?
    mv "$built.hidden" "$built"
    [ "$rc" -eq 0 ] && grep -q '"state": "Ready"' "$root/verdict.json" || {
        cat "$root/verdict.json" >&2
        log "the extracted regscope could not inspect a demo plugin (exit $rc)"
        return 1
    }
    rm -rf "$root"
    log "packages OK"
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
    package
    fuzz_build
    PATH="/usr/lib/llvm-16/bin:$PATH" tests/fuzz/run.sh "${BUILD_DIR}-fuzz" "${REGSCOPE_FUZZ_SECONDS:-20}"
    tsan
    asan ci
    ;;
package)
    deps
    build
    package
    ;;
asan)
    deps
    asan
    ;;
fuzz)
    deps
    fuzz "$@"
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
    echo "usage: $0 {run|test|build|deps|bench|format|package|asan|fuzz} [args]" >&2
    exit 2
    ;;
esac
