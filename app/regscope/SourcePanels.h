#pragma once
// Places the panels of the sources this build supports. Every panel is built from the Store
// and the ControlBroker only: no connector is seen here.

namespace regscope {

class ControlBroker;
class MainWindow;
class Store;

void addSourcePanels(MainWindow* window, Store* store, ControlBroker* broker);

} // namespace regscope
