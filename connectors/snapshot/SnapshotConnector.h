#pragma once
// A snapshot file (models/Snapshot, docs/snapshot-schema.md) as a source: file:///path/snap.json.
// The file is read and parsed on the connector's own thread (a big file never holds the GUI),
// then its records, metric history and timeline arrive as the live source's did, and the
// health is Live with the reason "snapshot of SOURCE taken at TIME". Read-only: no controls,
// no write actions. A file that cannot be read or is not a snapshot ends Down with the reason.

#include "connectors/Connector.h"

#include <expected>
#include <memory>
#include <thread>

namespace regscope {

class SnapshotConnector : public Connector {
    Q_OBJECT
public:
    static bool accepts(const QString& url); // file://...
    // The local path of a file:// URL; an error sentence for a relative or remote one.
    static std::expected<QString, QString> pathOf(const QString& url);
    // The badge a snapshot source shows: "snapshot of SOURCE taken at TIME".
    static QString badge(const QString& source, qint64 takenAtMs);

    SnapshotConnector(QString url, QString path, QObject* parent = nullptr);
    ~SnapshotConnector() override;

    void start() override;
    void stop() override;
    QString url() const override { return m_url; }

private:
    struct Shared;
    static void run(std::shared_ptr<Shared> shared, QString path);

    QString m_url;
    QString m_path;
    std::shared_ptr<Shared> m_shared;
    std::thread m_thread;
};

} // namespace regscope
