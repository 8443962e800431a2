#pragma once
// The Plugins panel's data path, as the app composes it (app/regscope/SourcePanels.cpp):
// PluginSupervisor → Store → PluginModel. Tests read the model, as the panel does.

#include "connectors/loader/PluginSupervisor.h"
#include "models/Store.h"
#include "models/plugins/PluginModel.h"

namespace regscope::test {

struct PluginHarness {
    explicit PluginHarness(SupervisorOptions options)
        : supervisor(std::move(options)) {
        model.setStore(&store);
        QObject::connect(&supervisor, &PluginSupervisor::eventsReady, &store, &Store::apply);
    }
    Store store;
    PluginModel model;
    PluginSupervisor supervisor;
};

} // namespace regscope::test
