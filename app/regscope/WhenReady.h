#pragma once
// Waits on the event loop (never blocking it) until a condition holds, the source is down,
// or a deadline passes; then calls done(reached). For the headless runs.

#include <functional>

namespace regscope {

class Store;

void whenReady(Store* store, int deadlineMs, std::function<bool()> ready,
               std::function<void(bool reached)> done);

} // namespace regscope
