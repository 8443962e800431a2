#pragma once
// The attached source: one connector at a time feeding the store, and the broker that hands
// its controls to views. Attaching another source stops the old connector (its thread joins
// within its deadline) and clears the store; a URL that names no source changes nothing.

#include "connectors/Connector.h"
#include "models/ConnectionProfile.h"
#include "models/SourceControls.h"
#include "models/actions/ActionDispatcher.h"
#include "models/actions/ActionLog.h"
#include "models/actions/ActionPolicy.h"

#include <QObject>

#include <expected>
#include <memory>

namespace regscope {

class Store;

class Session : public QObject {
    Q_OBJECT
public:
    explicit Session(Store* store, QObject* parent = nullptr);
    ~Session() override;

    // A SourceError when the URL names no source we can make; the old source stays then.
    std::expected<void, SourceError> attach(const QString& url);
    // The same from the connection dialog: for etcd with its TLS files and credentials.
    std::expected<void, SourceError> attach(const ConnectionProfile& profile);
    void detach();
    bool attached() const { return m_connector != nullptr; }
    QString url() const { return m_connector ? m_connector->url() : QString(); }
    // The profile the source was attached with (a URL-only attach gives one with just the URL;
    // the password is held in memory only). Empty when detached.
    const ConnectionProfile& profile() const { return m_profile; }
    // What views may ask of the attached source; it follows every attach and detach.
    ControlBroker* broker() { return &m_broker; }
    // Write actions (read-only until the user allows them, per source, never remembered),
    // logged to the action log and the timeline.
    ActionDispatcher* actions() { return &m_actions; }

Q_SIGNALS:
    void sourceAttached(const QString& url);

private:
    void adopt(std::unique_ptr<Connector> next, ConnectionProfile profile);
    void setActionsFor(const ConnectionProfile& profile, const QString& url);

    Store* m_store;
    ConnectionProfile m_profile;
    std::unique_ptr<Connector> m_connector;
    ControlBroker m_broker;
    ActionPolicy m_policy;
    ActionLog m_log;
    ActionDispatcher m_actions{&m_policy, &m_log};
};

} // namespace regscope
