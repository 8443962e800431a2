#pragma once
// How a loader ended, read from what it left behind: the REGSCOPE-FATAL line and its frames
// (named after the user's file, not /proc/self/fd/N), the relay's REGSCOPE-RUSAGE line (the
// loader's own peak RSS and CPU time), the loader's understanding of stderr. Then, off the
// GUI thread, the app's own reading of the file's facts when the loader sent none, and the
// frames symbolised offline (connectors/loader/elf/Symboliser).

#include "models/PluginVerdict.h"

#include <QByteArray>

namespace regscope {

// Fills the verdict from the loader's report frame (ready or refused).
void readReport(PluginVerdict& verdict, const QJsonObject& report);

// Fills signal details, frames, rusage and stderrReading from the loader's stderr.
void readLoaderStderr(PluginVerdict& verdict, const QByteArray& stderrBytes,
                      const QString& loadedAs);

// Whether enrichVerdict() has anything to do (facts missing, frames to name).
bool needsEnrichment(const PluginVerdict& verdict);

// Blocking file reads: call it on a worker thread.
PluginVerdict enrichVerdict(PluginVerdict verdict);

// The facts as the app reads them itself (elf::readFactsFromFile), as JSON.
QJsonObject readFactsInApp(const QString& path);

} // namespace regscope
