// "All sources" in the window: the views each panel shows while the window shows every source
// (the tab bar's Show: list), wired to the SourceSet's sources.

#include "app/regscope/SourcePanels.h"
#include "app/regscope/SourceSet.h"
#include "models/AllSourcesModel.h"
#include "models/DeprecationsModel.h"
#include "models/LookupMetricsModel.h"
#include "models/MissesModel.h"
#include "models/SourceMetricsModel.h"
#include "models/SourceUnionModel.h"
#include "models/Store.h"
#include "models/TimelineModel.h"
#include "views/AllSourcesView.h"
#include "views/ConnectionBar.h"
#include "views/MainWindow.h"
#include "views/SourceUnionView.h"

#include <tuple>

using namespace Qt::StringLiterals;

namespace regscope {

// The tables kept per source (Lookups, Misses, Deprecations, Timeline, and Metrics as one row
// of the latest figures): each source's own model, one after the other, with a Source column.
namespace {

void addSourceUnionViews(MainWindow& window, SourceSet& set) {
    const std::tuple<QString, QString, SourceUnionModel::Factory> panels[] = {
        // The charts' latest figures, a row per source (the charts themselves show one).
        {u"Metrics"_s, u"rows"_s,
         [](Store* s, QObject* p) -> QAbstractItemModel* { return new SourceMetricsModel(s, p); }},
        {u"Lookups"_s, u"lookup series"_s,
         [](Store* s, QObject* p) -> QAbstractItemModel* {
             return new LookupMetricsModel(s, 5000, p);
         }},
        {u"Misses"_s, u"misses"_s,
         [](Store* s, QObject* p) -> QAbstractItemModel* { return new MissesModel(s, 1000, p); }},
        {u"Deprecations"_s, u"deprecated names"_s,
         [](Store* s, QObject* p) -> QAbstractItemModel* { return new DeprecationsModel(s, p); }},
        {u"Timeline"_s, u"timeline events"_s,
         [](Store* s, QObject* p) -> QAbstractItemModel* { return new TimelineModel(s, 5000, p); }},
    };
    for (const auto& [title, what, factory] : panels) {
        if (!window.panel(title))
            continue;
        auto* model = new SourceUnionModel(set.sources(), factory, &window);
        window.setAllSourcesView(title, new SourceUnionView(model, what, &window));
        QObject::connect(&window, &MainWindow::allSourcesShown, model,
                         &SourceUnionModel::setActive);
    }
}

} // namespace

// "All sources" (the tab bar's scope): Entries, Instances and etcd list the records of every
// source with a Source column, the per-source tables follow each other; the models follow the
// stores only while shown.
void addAllSourcesViews(MainWindow& window, SourceSet& set) {
    addSourceUnionViews(window, set);
    const std::pair<QString, RecordKind> panels[] = {{u"Entries"_s, RecordKind::Entry},
                                                     {u"Instances"_s, RecordKind::Instance},
                                                     {u"etcd"_s, RecordKind::Key}};
    const QString what[] = {u"entries"_s, u"instances"_s, u"keys"_s};
    for (const auto& [title, kind] : panels) {
        if (!window.panel(title))
            continue; // a build without that source's panel
        auto* model = new AllSourcesModel(kind, set.sources(), &window);
        window.setAllSourcesView(title, new AllSourcesView(model, what[int(kind)], &window));
        QObject::connect(&window, &MainWindow::allSourcesShown, model, &AllSourcesModel::setActive);
    }
    window.setSourcesModel(set.sources());
    QObject::connect(&window, &MainWindow::panelSourceRequested, &window, [&set, &window](int row) {
        const QString url = set.sources()->urlAt(row);
        set.showInPanels(row);
        window.connectionBar()->setUrl(url);
    });
}

} // namespace regscope
