#pragma once
// DiscoveryConnector's worker: lives on the connector's thread and owns the HTTP client.

#include "connectors/discovery/DiscoveryConnector.h"
#include "connectors/discovery/DiscoveryJson.h"
#include "connectors/discovery/InstanceState.h"
#include "connectors/discovery/ServerFacts.h"
#include "models/SourceEvent.h"

#include <QHash>
#include <QMap>
#include <QNetworkAccessManager>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QTimer>
#include <QUrl>

#include <expected>
#include <functional>
#include <memory>
#include <optional>

class QNetworkReply;

namespace regscope {

class DiscoveryWorker : public QObject {
    Q_OBJECT
public:
    DiscoveryWorker(QUrl base, DiscoveryConnector::Options options);
    ~DiscoveryWorker() override;

    void start();
    // Ends a reconnect backoff now: the next attempt starts at once, the backoff starts over.
    void retryNow();

Q_SIGNALS:
    void eventsReady(regscope::EventBatchPtr batch);

private:
    using Body = std::expected<QByteArray, QString>;
    using Done = std::function<void(Body)>;
    struct PollLoop {
        QString env;
        QStringList appids;
        QPointer<QNetworkReply> reply;
    };

    QNetworkReply* get(const QString& pathAndQuery, int timeoutMs, Done done);
    void fetchSnapshot();
    void applySnapshot(std::vector<InstanceRecord> records);
    void applyChanged(const QString& envName, const QSet<QString>& appids,
                      QMap<QString, discoveryconn::AppInfo> infos);
    // Scrapes /metrics (the server's counters and identity) and then runs `then`, so removals
    // are judged against counters at least as new as the answer that showed them.
    void withFreshCounters(std::function<void()> then);
    void onMetricsBody(const QByteArray& body);
    void probeClock();
    discoveryconn::Observation observation() const;
    discoveryconn::Removals removals() const;
    void settleRemovals(qint64 evicted, bool fullRefresh);
    int refreshMs() const;
    void appendFreshness(std::vector<MetricPoint>& points) const;
    void syncPolls();
    void issuePoll(const QString& key);
    void onPollAnswer(const QString& key, Body body);
    void fetchChanged(const QString& env);
    void scrapeMetrics();
    void goDown(const QString& reason);
    void reconnect();
    void setHealth(HealthState state, const QString& reason);
    void emitBatch(EventBatch batch);
    void abortAll();

    const QUrl m_base;
    const DiscoveryConnector::Options m_options;
    QString m_pollHostname;
    QNetworkAccessManager* m_nam = nullptr;
    QTimer m_refreshTimer;
    QTimer m_metricsTimer;
    QTimer m_reconnectTimer;
    QSet<QNetworkReply*> m_inFlight;
    quint64 m_generation = 0; // answers of an older generation (before a reconnect) are dropped
    int m_backoffMs = 0;
    bool m_snapshotInFlight = false;
    bool m_live = false;
    bool m_metricsAvailable = true;
    bool m_statusAvailable = true;
    qint64 m_pollTimeoutMs = 30'000;
    qint64 m_renewIntervalMs = 30'000;
    qint64 m_clockOffsetMs = 0;  // the server's clock minus ours (from /status "now")
    qint64 m_lastObservedMs = 0; // our clock at the last applied instances answer
    discoveryconn::ServerIdentity m_identity;
    bool m_restartPending = false;
    std::optional<qint64> m_evictionsTotal; // the server's discovery_evictions_total
    qint64 m_evictionsAccounted = 0;        // of it, attributed to removals we reported
    HealthState m_health = HealthState::Connecting;
    QString m_healthReason;
    discoveryconn::InstanceState m_state;
    QHash<QString, PollLoop> m_polls;        // env#chunk → loop
    QHash<QString, qint64> m_latest;         // env\nappid → latest_timestamp seen
    QHash<QString, QSet<QString>> m_changed; // env → appids to fetch
    QSet<QString> m_fetchingEnvs;            // envs with a fetchs in flight
};

} // namespace regscope
