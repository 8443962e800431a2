#pragma once
// The HTTP discovery source (`regscope --connect http://host:port`): a bilibili/discovery
// compatible server such as regscope-discoveryd. Its worker runs on its own thread:
// /discovery/fetch/all for the snapshot (refreshed now and then, to find new apps and fresh
// renew times), /discovery/polls long-polls for changes of the known apps, /metrics for the
// server panel. A dead, garbage-speaking or oversized server is a Down state with a reason
// and a reconnect with backoff.

#include "connectors/Connector.h"

#include <QThread>
#include <QUrl>

namespace regscope {

class DiscoveryWorker;

class DiscoveryConnector : public Connector {
    Q_OBJECT
public:
    struct Options {
        // fetch/all again (new apps, renew ages) at most this far apart, and at least twice
        // per renew interval (the server's discovery_renew_interval_seconds, else the one here).
        int snapshotRefreshMs = 5'000;
        int renewIntervalMs = 30'000;  // the renew interval when the server does not say
        int metricsIntervalMs = 2'000; // scrape /metrics
        int requestTimeoutMs = 10'000; // any request but a long-poll
        int pollGraceMs = 15'000;      // a long-poll may take the server's wait plus this
        int backoffMinMs = 500;
        int backoffMaxMs = 5'000; // the source the user is looking at: never longer than 5 s
        qint64 maxReplyBytes = 8 * 1024 * 1024; // bigger replies are aborted
        int appidsPerPoll = 200;                // one polls request per this many appids of an env
        QString pollHostname;                   // empty: "regscope-<hostname>"
    };

    explicit DiscoveryConnector(QUrl url, QObject* parent = nullptr);
    DiscoveryConnector(QUrl url, Options options, QObject* parent = nullptr);
    ~DiscoveryConnector() override;

    void start() override;
    void stop() override;
    QString url() const override { return m_url.toString(); }

    // True for URLs this connector serves (http://host:port[/]).
    static bool accepts(const QUrl& url);

    // Retry now (ends a reconnect backoff at once).
    SourceControls* controls() override;

private:
    class Controls : public SourceControls {
    public:
        explicit Controls(DiscoveryConnector* connector)
            : m_connector(connector) {}
        bool canRetryNow() const override { return true; }
        void retryNow() override;

    private:
        DiscoveryConnector* m_connector;
    };

    QUrl m_url;
    Options m_options;
    QThread* m_thread = nullptr;
    DiscoveryWorker* m_worker = nullptr;
    Controls m_controls;
};

} // namespace regscope
