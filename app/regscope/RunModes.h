#pragma once
// The ways regscope runs, each a function of the parsed command line: the window (and its
// screenshot), the headless JSON dump, and the plugin inspection.

#include "app/regscope/CommandLine.h"

namespace regscope {

int runWindow(const CommandLine& cl);
int runDump(const CommandLine& cl);
int runDumpSources(const CommandLine& cl); // several --connect: DumpSources.cpp
int runInspectMode(const CommandLine& cl);
int runFollow(const CommandLine& cl); // FollowRun.cpp
int runDiff(const CommandLine& cl);   // DiffRun.cpp
// A --dump's JSON to stdout, or atomically to --output FILE; 0 or kExitIo (said on stderr).
int writeDump(const QString& outputFile, const QByteArray& json);

} // namespace regscope
