#include "app/regscope/SourceSet.h"

#include "app/regscope/Session.h"
#include "models/Store.h"

#include <QCoreApplication>
#include <QPointer>
#include <QThreadPool>

namespace regscope {

struct SourceSet::Watched {
    std::unique_ptr<Store> store = std::make_unique<Store>();
    std::unique_ptr<Session> session = std::make_unique<Session>(store.get());
};

SourceSet::SourceSet(Store* panelStore, Session* panelSession, QObject* parent)
    : QObject(parent)
    , m_panelStore(panelStore)
    , m_panelSession(panelSession) {
    m_sources.addSource(panelSession->url(), panelStore, true);
    connect(panelSession, &Session::sourceAttached, this,
            [this](const QString& url) { m_sources.setUrl(0, url); });
    m_debounce.setSingleShot(true);
    m_debounce.setInterval(1000);
    connect(&m_debounce, &QTimer::timeout, this, &SourceSet::reconcileNow);
    const auto watchStore = [this](Store* store) {
        connect(store, &Store::recordsChanged, this, [this](RecordKind kind) {
            if (kind == RecordKind::Instance)
                instancesChanged();
        });
        connect(store, &Store::cleared, this, &SourceSet::instancesChanged);
    };
    watchStore(panelStore);
    m_watchStore = watchStore;
}

SourceSet::~SourceSet() {
    for (auto& w : m_watched)
        w->session->detach();
}

std::expected<void, SourceError> SourceSet::watch(const QString& url) {
    ConnectionProfile profile;
    profile.url = url;
    return watch(profile);
}

void SourceSet::unwatchAll() {
    while (!m_watched.empty())
        unwatch(int(m_watched.size()));
}

std::expected<void, SourceError> SourceSet::watch(const ConnectionProfile& profile) {
    auto w = std::make_unique<Watched>();
    if (auto attached = w->session->attach(profile); !attached)
        return std::unexpected(attached.error());
    m_sources.addSource(profile.url, w->store.get(), false);
    m_watchStore(w->store.get());
    m_watched.push_back(std::move(w));
    instancesChanged();
    return {};
}

Store* SourceSet::watchedStore(qsizetype i) const {
    return i >= 0 && i < qsizetype(m_watched.size()) ? m_watched[size_t(i)]->store.get() : nullptr;
}

void SourceSet::unwatch(int row) {
    if (row <= 0 || row > int(m_watched.size()))
        return;
    m_sources.removeSource(row);
    std::unique_ptr<Watched> gone = std::move(m_watched[size_t(row - 1)]);
    m_watched.erase(m_watched.begin() + (row - 1));
    gone->session->detach(); // the connector stops within its deadline
    instancesChanged();
}

void SourceSet::showInPanels(int row) {
    if (row <= 0 || row > int(m_watched.size()))
        return;
    const QString next = m_sources.urlAt(row);
    const QString previous = m_panelSession->url();
    if (!m_panelSession->attach(next))
        return; // the URL attached once already: this cannot name no source
    unwatch(row);
    if (!previous.isEmpty())
        (void)watch(previous);
}

void SourceSet::instancesChanged() {
    if (!m_debounce.isActive())
        m_debounce.start();
}

void SourceSet::reconcileNow() {
    if (m_running) {
        m_again = true;
        return;
    }
    // Copies on the GUI thread (records share their strings), matching on the pool.
    std::vector<SourceInstances> sources;
    const auto take = [&sources](const QString& url, const Store& store) {
        if (store.count(RecordKind::Instance) == 0)
            return; // a source that holds no instances takes no part
        SourceInstances s{url, {}};
        s.instances.reserve(size_t(store.count(RecordKind::Instance)));
        store.forEach(RecordKind::Instance, [&s](const Record& r) {
            s.instances.push_back(std::get<InstanceRecord>(r));
        });
        sources.push_back(std::move(s));
    };
    take(m_panelSession->url(), *m_panelStore);
    for (size_t i = 0; i < m_watched.size(); ++i)
        take(m_sources.urlAt(int(i + 1)), *m_watched[i]->store);
    m_running = true;
    QPointer<SourceSet> self(this);
    QThreadPool::globalInstance()->start([self, sources = std::move(sources)] {
        auto result = std::make_shared<Reconciliation>(reconcile(sources));
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [self, result] {
                if (!self)
                    return;
                self->m_running = false;
                self->m_drift.setReconciliation(std::move(*result));
                Q_EMIT self->reconciled();
                if (std::exchange(self->m_again, false))
                    self->instancesChanged();
            },
            Qt::QueuedConnection);
    });
}

} // namespace regscope
