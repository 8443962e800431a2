#pragma once
// A Connector owns its transport and its thread and turns a source into typed events.
// It never touches a widget or an item model (ARCHITECTURE.md).

#include "models/SourceControls.h"
#include "models/SourceEvent.h"

#include <QObject>
#include <QString>

#include <expected>
#include <memory>

namespace regscope {

// Why a source could not be made: the URL names no source, or names one badly.
struct SourceError {
    enum class Code : quint8 {
        UnsupportedScheme, // a scheme this build does not know (or no scheme at all)
        BadUrl,            // the scheme is known but the rest of the URL is not valid for it
        BadOptions,        // a query option or profile field is wrong (demo?rate=fast)
    };
    Code code = Code::BadUrl;
    QString message; // a sentence naming the URL and what is wrong
};

inline constexpr int kConnectorStopDeadlineMs = 2000;

class Connector : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;
    ~Connector() override;

    // Called on the thread that owns the connector (the GUI thread). Must not block:
    // the work runs on the connector's own thread.
    virtual void start() = 0;
    // The one stop() contract: returns within kConnectorStopDeadlineMs whatever the worker is
    // doing (calls in flight are canceled, waits woken); after it returns nothing reaches
    // this connector's signals. A worker still busy at the deadline is left to finish on its
    // own with what it holds, and cleans up after itself.
    virtual void stop() = 0;

    // The URL this connector was made for, as the user would type it.
    virtual QString url() const = 0;

    // What views may ask of this source (cancel a load, time travel...), handed out by the
    // Session through a ControlBroker. nullptr: nothing (the broker then supports nothing).
    virtual SourceControls* controls() { return nullptr; }

Q_SIGNALS:
    // Emitted from the connector's thread; connect with Qt::QueuedConnection (or Auto).
    // Events within a batch and batches follow the source's order.
    void eventsReady(regscope::EventBatchPtr batch);
};

using ConnectorResult = std::expected<std::unique_ptr<Connector>, SourceError>;

// Registers the metatypes that cross threads. Call once before connecting.
void registerConnectorMetaTypes();

} // namespace regscope
