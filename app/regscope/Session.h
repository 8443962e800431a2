#pragma once
// The attached source: one connector at a time feeding the store. Attaching another source
// stops the old connector (its thread joins) and clears the store.

#include "connectors/Connector.h"

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
    void detach();
    QString url() const { return m_connector ? m_connector->url() : QString(); }
    // The attached connector (null when detached), for source-specific panels to wire to.
    Connector* connector() const { return m_connector.get(); }

Q_SIGNALS:
    // After a new connector started; source-specific panels hook their extra signals here.
    void attached(regscope::Connector* connector);

private:
    Store* m_store;
    std::unique_ptr<Connector> m_connector;
};

} // namespace regscope
