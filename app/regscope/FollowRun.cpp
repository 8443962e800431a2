// --follow: placeholder until the run mode lands.

#include "app/regscope/RunModes.h"

namespace regscope {

int runFollow(const CommandLine&) {
    printError(QStringLiteral("--follow is not built yet"));
    return kExitUsage;
}

} // namespace regscope
