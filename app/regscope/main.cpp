// regscope: the GUI, and the composition root that wires connectors, store and views.

#include "connectors/Connector.h"
#include "views/MainWindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QImage>
#include <QTimer>

#include <cstdio>

using namespace Qt::StringLiterals;

namespace {

// Headless uses (--version, --dump, --screenshot...) must work without a display.
void preferOffscreenWhenHeadless(int argc, char** argv) {
    if (qEnvironmentVariableIsSet("QT_QPA_PLATFORM"))
        return;
    const bool hasDisplay =
        qEnvironmentVariableIsSet("DISPLAY") || qEnvironmentVariableIsSet("WAYLAND_DISPLAY");
    for (int i = 1; i < argc; ++i) {
        const QByteArrayView arg(argv[i]);
        const bool headless = arg == "--version" || arg == "-v" || arg == "--help" ||
                              arg == "-h" || arg == "--dump" || arg == "--inspect";
        if (headless || (!hasDisplay && arg == "--screenshot")) {
            qputenv("QT_QPA_PLATFORM", "offscreen");
            return;
        }
    }
}

} // namespace

int main(int argc, char** argv) {
    preferOffscreenWhenHeadless(argc, argv);
    QApplication app(argc, argv);
    QApplication::setApplicationName(u"regscope"_s);
    QApplication::setOrganizationName(u"regscope"_s);
    QApplication::setApplicationVersion(QStringLiteral(REGSCOPE_VERSION_STRING));
    regscope::registerConnectorMetaTypes();

    QCommandLineParser parser;
    parser.setApplicationDescription(u"A desktop debugger for registries."_s);
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption screenshot(u"screenshot"_s,
                                        u"Render the window, save it as a PNG to FILE, exit."_s,
                                        u"FILE"_s);
    parser.addOption(screenshot);
    parser.process(app);

    regscope::MainWindow window;
    window.show();

    if (parser.isSet(screenshot)) {
        const QString file = parser.value(screenshot);
        QTimer::singleShot(500, &window, [&window, file] {
            const QImage image = window.grab().toImage();
            if (!image.save(file, "PNG")) {
                std::fprintf(stderr, "regscope: cannot write screenshot to %s\n",
                             qPrintable(file));
                QApplication::exit(1);
                return;
            }
            QApplication::exit(0);
        });
    }
    return QApplication::exec();
}
