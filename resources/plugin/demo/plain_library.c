/* Not a regscope plugin: no entry point. The loader still opens and inspects it (symbols,
 * needed libraries) and reports that it registers nothing. */
#include <math.h>

__attribute__((visibility("default"))) double plain_library_hypot(double a, double b) {
    return sqrt(a * a + b * b);
}

__attribute__((visibility("default"))) int plain_library_answer(void) {
    return 42;
}
