#pragma once
// The panels beyond the standard registry ones: Instances (discovery and etcd services),
// Plugins (the sacrificial loader) and etcd (keys, cluster, time travel). Each is added when
// its room is built; source-specific signals are wired whenever the session attaches.

namespace regscope {

class MainWindow;
class Session;
class Store;

void addSourcePanels(MainWindow* window, Store* store, Session* session);

} // namespace regscope
