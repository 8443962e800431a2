#pragma once
// `regscope --inspect FILE`: load FILE in a real regscope-loader, print the verdict as JSON.

#include "connectors/loader/LoaderClient.h"

class QTextStream;

namespace regscope {

// Prints the verdict (stages, registrations, symbols, needed libraries, crash details) as
// indented JSON; returns 0 only when the plugin loaded cleanly (PluginVerdict::clean()),
// 2 when it did not. Needs a QCoreApplication; runs a local event loop with a deadline.
int runInspect(const QString& path, QTextStream& out, const LoaderOptions& options = {});

} // namespace regscope
