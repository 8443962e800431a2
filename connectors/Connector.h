#pragma once
// A Connector owns its transport and its thread and turns a source into typed events.
// It never touches a widget or an item model (ARCHITECTURE.md).

#include "models/SourceEvent.h"

#include <QObject>
#include <QString>

namespace regscope {

class Connector : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;
    ~Connector() override;

    // Called on the thread that owns the connector (the GUI thread). Must not block:
    // the work runs on the connector's own thread.
    virtual void start() = 0;
    virtual void stop() = 0;

    // The URL this connector was made for, as the user would type it.
    virtual QString url() const = 0;

Q_SIGNALS:
    // Emitted from the connector's thread; connect with Qt::QueuedConnection (or Auto).
    // Events within a batch and batches follow the source's order.
    void eventsReady(regscope::EventBatchPtr batch);
};

// Registers the metatypes that cross threads. Call once before connecting.
void registerConnectorMetaTypes();

} // namespace regscope
