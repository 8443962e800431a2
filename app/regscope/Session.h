#pragma once
// The attached source: one connector at a time feeding the store. Attaching another source
// stops the old connector (its thread joins) and clears the store.

#include "connectors/Connector.h"
#include "models/ConnectionProfile.h"

#include <QObject>

#include <memory>

namespace regscope {

class Store;

class Session : public QObject {
    Q_OBJECT
public:
    explicit Session(Store* store, QObject* parent = nullptr);
    ~Session() override;

    // false and *error when the URL names no source we can make; the old source stays then.
    bool attach(const QString& url, QString* error);
    // The same from the connection dialog: for etcd with its TLS files and credentials.
    bool attach(const ConnectionProfile& profile, QString* error);
    void detach();
    QString url() const { return m_connector ? m_connector->url() : QString(); }
    // The attached connector (null when detached), for source-specific panels to wire to.
    Connector* connector() const { return m_connector.get(); }
    // The profile the source was attached with (a URL-only attach gives one with just the URL;
    // the password is held in memory only). Empty when detached.
    const ConnectionProfile& profile() const { return m_profile; }

Q_SIGNALS:
    // After a new connector started; source-specific panels hook their extra signals here.
    void attached(regscope::Connector* connector);

private:
    void adopt(std::unique_ptr<Connector> next, ConnectionProfile profile);

    Store* m_store;
    ConnectionProfile m_profile;
    std::unique_ptr<Connector> m_connector;
};

} // namespace regscope
