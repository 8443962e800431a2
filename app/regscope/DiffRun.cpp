// --diff: placeholder until the run mode lands.

#include "app/regscope/RunModes.h"

namespace regscope {

int runDiff(const CommandLine&) {
    printError(QStringLiteral("--diff is not built yet"));
    return kExitUsage;
}

} // namespace regscope
