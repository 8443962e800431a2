#pragma once
// Places the panels of the sources this build supports. Every panel is built from the Store
// and the ControlBroker only: no connector is seen here.

#include <QStringList>

namespace regscope {

class ActionControl;
class ControlBroker;
class MainWindow;
class ProbeControl;
class SourceSet;
class Store;

// actions: the write actions of the attached source (null: a read-only window).
// loadPlugins: shared objects the Plugins panel loads at once (--load-plugin).
// probes: the opt-in probing of registered addresses (null: no toggle); while it is on, the
// status bar says so too.
void addSourcePanels(MainWindow* window, Store* store, ControlBroker* broker,
                     ActionControl* actions = nullptr, const QStringList& loadPlugins = {},
                     ProbeControl* probes = nullptr);

// "All sources" (AllSourcesPanels.cpp): each panel with per-source rows gets its all-sources
// view (Entries, Instances, etcd: one table of records; Lookups, Misses, Deprecations,
// Timeline: each source's table in turn), the tab bar's Show: list lists the set's sources,
// and a source chosen there is swapped into the panels. Call after the panels are added.
void addAllSourcesViews(MainWindow& window, SourceSet& set);

} // namespace regscope
