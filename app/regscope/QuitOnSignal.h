#pragma once
// SIGTERM, SIGINT and SIGHUP end the window as Ctrl+Q does (the event loop quits, the source
// detaches, the layout is saved), through a self-pipe read on the GUI thread: the handler only
// writes one byte. A second signal while quitting takes the default action.

namespace regscope {

void quitOnTerminationSignals();

} // namespace regscope
