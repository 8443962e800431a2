#include "app/regscope/Session.h"

#include "app/regscope/ConnectorFactory.h"
#include "models/Store.h"

#include <QCoreApplication>
#include <QEvent>

namespace regscope {

Session::Session(Store* store, QObject* parent)
    : QObject(parent)
    , m_store(store) {}

Session::~Session() {
    detach();
}

std::expected<void, SourceError> Session::attach(const QString& url) {
    ConnectionProfile profile;
    profile.url = url.trimmed();
    return attach(profile);
}

std::expected<void, SourceError> Session::attach(const ConnectionProfile& profile) {
    ConnectorResult next = makeConnector(profile);
    if (!next)
        return std::unexpected(next.error());
    adopt(std::move(*next), profile);
    return {};
}

void Session::adopt(std::unique_ptr<Connector> next, ConnectionProfile profile) {
    detach();
    m_store->clear();
    m_profile = std::move(profile); // by value: the caller may pass our own m_profile
    m_connector = std::move(next);
    connect(m_connector.get(), &Connector::eventsReady, m_store, &Store::apply,
            Qt::QueuedConnection);
    m_broker.setControls(m_connector->controls());
    m_connector->start();
    Q_EMIT sourceAttached(m_connector->url());
}

void Session::detach() {
    if (!m_connector)
        return;
    m_broker.setControls(nullptr);
    m_connector->stop(); // its thread has joined: nothing new gets posted
    m_connector.reset();
    m_profile = {};
    // Batches it posted before stopping must not land in the next source's store.
    QCoreApplication::removePostedEvents(m_store, QEvent::MetaCall);
}

} // namespace regscope
