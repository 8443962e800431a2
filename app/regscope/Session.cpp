#include "app/regscope/Session.h"

#include "app/regscope/ConnectorFactory.h"
#include "models/Store.h"
#ifdef REGSCOPE_HAVE_DISCOVERY
#include "connectors/discovery/DiscoveryActions.h"
#endif
#ifdef REGSCOPE_HAVE_ETCD
#include "connectors/etcd/EtcdActions.h"
#endif

#include <QUrl>

using namespace Qt::StringLiterals;

#include <QCoreApplication>
#include <QEvent>

namespace regscope {

Session::Session(Store* store, QObject* parent)
    : QObject(parent)
    , m_store(store) {
    connect(&m_actions, &ActionDispatcher::timelineReady, m_store, &Store::apply);
}

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
    m_broker.setControls(m_connector->controls(), m_connector->url());
    setActionsFor(m_profile, m_connector->url());
    m_connector->start();
    Q_EMIT sourceAttached(m_connector->url());
}

// Each source kind gets its executor; the in-process registry stays read-only on purpose.
void Session::setActionsFor(const ConnectionProfile& profile, const QString& url) {
    switch (profile.kind()) {
#ifdef REGSCOPE_HAVE_ETCD
    case ConnectionProfile::Kind::Etcd:
        if (auto options = etcdOptionsOf(profile))
            m_actions.setExecutor(url, std::make_shared<EtcdActions>(std::move(*options)));
        return;
#endif
#ifdef REGSCOPE_HAVE_DISCOVERY
    case ConnectionProfile::Kind::Discovery:
        m_actions.setExecutor(url, std::make_shared<DiscoveryActions>(QUrl(profile.url.trimmed())));
        return;
#endif
    default:
        if (url.startsWith(u"file://")) {
            m_policy.pinReadOnly(url, u"a snapshot is a record of the past: it is read-only"_s);
            return;
        }
        m_policy.pinReadOnly(url, u"nothing writes into another process's registry: the "
                                  u"in-process registry (the demo or an attached process) is "
                                  u"read-only on purpose"_s);
        return;
    }
}

void Session::detach() {
    if (!m_connector)
        return;
    m_broker.setControls(nullptr);
    m_actions.removeSource(m_connector->url());
    m_connector->stop(); // its thread has joined: nothing new gets posted
    m_connector.reset();
    m_profile = {};
    // Batches it posted before stopping must not land in the next source's store.
    QCoreApplication::removePostedEvents(m_store, QEvent::MetaCall);
}

} // namespace regscope
