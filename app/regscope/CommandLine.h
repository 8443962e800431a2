#pragma once
// regscope's command line: one parser for the window and every headless use, so each option
// means the same everywhere. Parsing is separate from running (main.cpp picks a run mode).

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

struct CommandLine {
    enum class Mode : quint8 { Window, Dump, Screenshot, Inspect, ListAttachable };
    Mode mode = Mode::Window;
    QString url = QStringLiteral("demo");
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
};

// Parses QCoreApplication::arguments(); --help and --version print and exit as Qt does.
// A usage error is returned as its sentence (the caller prints it and exits kExitUsage).
std::expected<CommandLine, QString> parseCommandLine(const QCoreApplication& app);

// Headless uses (--version, --dump, --screenshot...) must work without a display: called
// before the QApplication exists.
void preferOffscreenWhenHeadless(int argc, char** argv);

void printError(const QString& message);

} // namespace regscope
