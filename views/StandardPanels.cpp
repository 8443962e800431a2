#include "views/StandardPanels.h"

#include "views/EntriesPanel.h"
#include "views/MainWindow.h"
#include "views/MetricsPanel.h"
#include "views/TablePanels.h"

using namespace Qt::StringLiterals;

namespace regscope {

void addStandardPanels(MainWindow* window, Store* store) {
    window->addPanel(u"Entries"_s, new EntriesPanel(store, window));
    window->addPanel(u"Metrics"_s, new MetricsPanel(store, window));
    window->addPanel(u"Lookups"_s, new LookupsPanel(store, window));
    window->addPanel(u"Misses"_s, new MissesPanel(store, window));
    window->addPanel(u"Deprecations"_s, new DeprecationsPanel(store, window));
    window->addPanel(u"Timeline"_s, new TimelinePanel(store, window));
}

} // namespace regscope
