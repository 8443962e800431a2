// regscope: parses the command line and hands over to one run mode (RunModes.h).

#include "app/regscope/CommandLine.h"
#include "app/regscope/RunModes.h"
#include "connectors/Connector.h"
#include "connectors/attach/AttachDiscovery.h"
#include "models/actions/ActionPolicy.h"

#include <QApplication>
#include <QIcon>

using namespace Qt::StringLiterals;

int main(int argc, char** argv) {
    regscope::preferOffscreenWhenHeadless(argc, argv);
    QApplication app(argc, argv);
    QApplication::setApplicationName(u"regscope"_s);
    QApplication::setOrganizationName(u"regscope"_s);
    QApplication::setApplicationVersion(QStringLiteral(REGSCOPE_VERSION_STRING));
    QIcon icon; // PNG renderings of resources/regscope.svg (no SVG plugin needed)
    icon.addFile(u":/regscope/regscope-64.png"_s);
    icon.addFile(u":/regscope/regscope-256.png"_s);
    QApplication::setWindowIcon(icon);
    regscope::registerConnectorMetaTypes();

    const auto cl = regscope::parseCommandLine(app);
    if (!cl) {
        regscope::printError(cl.error());
        return regscope::kExitUsage;
    }
    if (cl->readOnly)
        regscope::ActionPolicy::forceReadOnly();
    switch (cl->mode) {
    case regscope::CommandLine::Mode::Inspect:
        return regscope::runInspectMode(*cl);
    case regscope::CommandLine::Mode::ListAttachable:
        return regscope::attach::printAttachable(stdout);
    case regscope::CommandLine::Mode::Follow:
        return regscope::runFollow(*cl);
    case regscope::CommandLine::Mode::Diff:
        return regscope::runDiff(*cl);
    case regscope::CommandLine::Mode::Dump:
        return regscope::runDump(*cl);
    case regscope::CommandLine::Mode::Window:
    case regscope::CommandLine::Mode::Screenshot:
        return regscope::runWindow(*cl);
    }
    return regscope::kExitUsage;
}
