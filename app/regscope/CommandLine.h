#pragma once
// regscope's command line: one parser for the window and every headless use, so each option
// means the same everywhere. Parsing is separate from running (main.cpp picks a run mode).

#include "models/ProbeControl.h"

#include <QSize>
#include <QString>
#include <QStringList>

#include <expected>

class QCoreApplication;

namespace regscope {

// Exit codes scripts can branch on.
inline constexpr int kExitUsage = 2;       // bad arguments or an unsupported source URL
inline constexpr int kExitUnreachable = 3; // the source could not be reached before the deadline
inline constexpr int kExitIo = 4;          // the output could not be written
// --follow: the source was lost and not regained within --deadline (the same number as kExitIo:
// a follower's output is stdout, and a write error there ends it the same way).
inline constexpr int kExitLost = 4;
// --diff: A and B differ (0: equal; kExitUsage on an error).
inline constexpr int kExitDiffers = 1;

struct CommandLine {
    enum class Mode : quint8 { Window, Dump, Screenshot, Inspect, ListAttachable, Follow, Diff };
    Mode mode = Mode::Window;
    QString url = QStringLiteral("demo");
    QStringList urls; // every --connect, in order (url is the first); {url} when none was given
    bool urlGiven = false;
    QString panel;
    QString theme; // "", "light" or "dark"
    QString screenshotFile;
    QString inspectFile;
    QString pluginCookie; // --inspect: KEY=VALUE of a go-plugin host
    int deadlineMs = 10'000;
    int settleMs = 0;        // --dump: stay attached this long after the source is ready
    bool readOnly = false;   // --read-only: no source may write, whatever the toggles say
    QStringList loadPlugins; // --load-plugin: shared objects the Plugins panel loads at start
    QSize size;              // --size WxH: the window's size (invalid: its default)
    QString outputFile;      // --dump --output FILE: write there instead of stdout
    QString followFormat;    // --follow FORMAT: "jsonl"
    int forMs = 0;           // --follow --for SECONDS: stop after this long (0: until a signal)
    QString diffA;           // --diff A B: each a snapshot file or a source URL
    QString diffB;
    QString format = QStringLiteral("text"); // --diff --format text|json
    bool allSources = false;                 // --all-sources: the window's panels show every source
    bool probe = false;      // --probe: probe every registered address (--dump, --follow)
    ProbeLimits probeLimits; // --probe-options path=...,rate=...,in-flight=...,timeout=...
};

// Parses QCoreApplication::arguments(); --help and --version print and exit as Qt does.
// A usage error is returned as its sentence (the caller prints it and exits kExitUsage).
std::expected<CommandLine, QString> parseCommandLine(const QCoreApplication& app);

// Headless uses (--version, --dump, --screenshot...) must work without a display: called
// before the QApplication exists.
void preferOffscreenWhenHeadless(int argc, char** argv);

void printError(const QString& message);

} // namespace regscope
