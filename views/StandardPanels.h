#pragma once
// The panels every source gets, in their usual order and with their shortcuts (Alt+1…).

namespace regscope {

class MainWindow;
class Store;

void addStandardPanels(MainWindow* window, Store* store);

} // namespace regscope
