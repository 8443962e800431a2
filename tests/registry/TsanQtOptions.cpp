// Linked into the registry tests. Qt is not built with ThreadSanitizer: the QtTest watchdog
// thread's QWaitCondition is invisible to TSan and reports a race at exit. Only look at races
// in instrumented code (ours); TSAN_OPTIONS from the environment still apply on top.
#if defined(__SANITIZE_THREAD__)
extern "C" const char* __tsan_default_options();
extern "C" const char* __tsan_default_options() {
    return "ignore_noninstrumented_modules=1";
}
#endif
