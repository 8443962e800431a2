// --diff A B: each a snapshot file or a source URL; what was added, removed or changed, by
// key, as text or JSON. Exit 0: equal; 1: they differ; 2: an error (either side unreadable).

#include "app/regscope/DiffOperand.h"
#include "app/regscope/RunModes.h"
#include "models/SnapshotDiff.h"

#include <QApplication>
#include <QJsonDocument>

#include <cstdio>
#include <optional>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

struct DiffState {
    std::optional<std::expected<SourceSnapshot, QString>> a, b;
};

int report(const CommandLine& cl, const SourceSnapshot& a, const SourceSnapshot& b) {
    const SnapshotDiff diff = diffSnapshots(a, b);
    const QByteArray out = cl.format == u"json"
                               ? QJsonDocument(diffJson(diff, cl.diffA, cl.diffB)).toJson()
                               : diffText(diff, cl.diffA, cl.diffB).toUtf8();
    if (std::fwrite(out.constData(), 1, size_t(out.size()), stdout) != size_t(out.size()) ||
        std::fflush(stdout) != 0) {
        printError(u"--diff: cannot write the result"_s);
        return kExitUsage;
    }
    return diff.equal() ? 0 : kExitDiffers;
}

} // namespace

int runDiff(const CommandLine& cl) {
    auto state = std::make_shared<DiffState>();
    const auto settle = [state, &cl] {
        if (!state->a || !state->b)
            return;
        for (const auto* side : {&*state->a, &*state->b}) {
            if (!*side) {
                printError(u"--diff: "_s + side->error());
                QApplication::exit(kExitUsage);
                return;
            }
        }
        QApplication::exit(report(cl, **state->a, **state->b));
    };
    loadOperand(cl.diffA, cl.deadlineMs, [state, settle](auto result) {
        state->a = std::move(result);
        settle();
    });
    loadOperand(cl.diffB, cl.deadlineMs, [state, settle](auto result) {
        state->b = std::move(result);
        settle();
    });
    return QApplication::exec();
}

} // namespace regscope
