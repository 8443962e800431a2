#include "connectors/discovery/DiscoveryWorker.h"

#include "connectors/PrometheusText.h"
#include "connectors/discovery/DiscoveryJson.h"

#include <QDateTime>
#include <QHostInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRandomGenerator>
#include <QUrlQuery>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

QString latestKey(const QString& env, const QString& appid) {
    return env % u'\n' % appid;
}

QString fmtBytes(qint64 n) {
    return n >= 1024 * 1024 ? u"%1 MiB"_s.arg(double(n) / (1024.0 * 1024.0), 0, 'f', 1)
                            : u"%1 KiB"_s.arg(n / 1024);
}

} // namespace

DiscoveryWorker::DiscoveryWorker(QUrl base, DiscoveryConnector::Options options)
    : m_base(std::move(base))
    , m_options(std::move(options))
    , m_refreshTimer(this)
    , m_metricsTimer(this)
    , m_reconnectTimer(this) {
    m_pollHostname = m_options.pollHostname.isEmpty() ? u"regscope-"_s % QHostInfo::localHostName()
                                                      : m_options.pollHostname;
    m_backoffMs = m_options.backoffMinMs;
    m_renewIntervalMs = m_options.renewIntervalMs;
    m_refreshTimer.setSingleShot(true);
    m_reconnectTimer.setSingleShot(true);
    connect(&m_refreshTimer, &QTimer::timeout, this, &DiscoveryWorker::fetchSnapshot);
    connect(&m_metricsTimer, &QTimer::timeout, this, &DiscoveryWorker::scrapeMetrics);
    connect(&m_reconnectTimer, &QTimer::timeout, this, &DiscoveryWorker::reconnect);
}

DiscoveryWorker::~DiscoveryWorker() {
    abortAll();
}

void DiscoveryWorker::start() {
    m_nam = new QNetworkAccessManager(this);
    m_nam->setAutoDeleteReplies(false);
    setHealth(HealthState::Connecting, u"connecting to "_s % m_base.toString());
    // The server's renew interval and identity first: the first answer is judged by them.
    withFreshCounters([this] { fetchSnapshot(); });
    m_metricsTimer.start(m_options.metricsIntervalMs);
}

void DiscoveryWorker::emitBatch(EventBatch batch) {
    if (!batch.empty())
        Q_EMIT eventsReady(std::make_shared<EventBatch>(std::move(batch)));
}

void DiscoveryWorker::setHealth(HealthState state, const QString& reason) {
    if (state == m_health && reason == m_healthReason)
        return;
    m_health = state;
    m_healthReason = reason;
    emitBatch(EventBatch{SourceHealth{state, reason}});
}

void DiscoveryWorker::abortAll() {
    ++m_generation;
    const auto replies = m_inFlight;
    m_inFlight.clear();
    for (QNetworkReply* r : replies) {
        r->disconnect(this);
        r->abort();
        r->deleteLater();
    }
    for (auto& loop : m_polls)
        loop.reply = nullptr;
    m_fetchingEnvs.clear();
    m_snapshotInFlight = false;
}

QNetworkReply* DiscoveryWorker::get(const QString& pathAndQuery, int timeoutMs, Done done) {
    QUrl url = m_base;
    const auto q = pathAndQuery.indexOf(u'?');
    QString basePath = url.path();
    while (basePath.endsWith(u'/'))
        basePath.chop(1);
    url.setPath(basePath % (q < 0 ? pathAndQuery : pathAndQuery.left(q)));
    url.setQuery(q < 0 ? QString() : pathAndQuery.mid(q + 1), QUrl::StrictMode);
    QNetworkRequest request(url);
    request.setTransferTimeout(timeoutMs);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::ManualRedirectPolicy);
    QNetworkReply* reply = m_nam->get(request);
    m_inFlight.insert(reply);

    struct Ctx {
        QByteArray body;
        QString oversize;
    };
    auto ctx = std::make_shared<Ctx>();
    const qint64 cap = m_options.maxReplyBytes;
    const QString path = pathAndQuery.left(q < 0 ? pathAndQuery.size() : q);
    // A reply over the cap is aborted as soon as it is known to be one: never buffered whole.
    connect(reply, &QNetworkReply::metaDataChanged, this, [reply, ctx, cap, path] {
        const auto len = reply->header(QNetworkRequest::ContentLengthHeader);
        if (len.isValid() && len.toLongLong() > cap && ctx->oversize.isEmpty()) {
            ctx->oversize = u"reply of %1 is %2, over the %3 cap; aborted"_s.arg(
                path, fmtBytes(len.toLongLong()), fmtBytes(cap));
            reply->abort();
        }
    });
    connect(reply, &QNetworkReply::readyRead, this, [reply, ctx, cap, path] {
        if (!ctx->oversize.isEmpty())
            return;
        ctx->body += reply->readAll();
        if (ctx->body.size() > cap) {
            ctx->oversize = u"reply of %1 exceeds the %2 cap; aborted"_s.arg(path, fmtBytes(cap));
            ctx->body.clear();
            reply->abort();
        }
    });
    const quint64 generation = m_generation;
    connect(reply, &QNetworkReply::finished, this,
            [this, reply, ctx, generation, path, timeoutMs, done = std::move(done)] {
                m_inFlight.remove(reply);
                reply->deleteLater();
                if (generation != m_generation)
                    return;
                if (!ctx->oversize.isEmpty()) {
                    done(std::unexpected(ctx->oversize));
                    return;
                }
                if (reply->error() != QNetworkReply::NoError &&
                    reply->error() < QNetworkReply::ContentAccessDenied) {
                    // Transport-level (refused, closed, timed out): no HTTP answer at all.
                    // Our transfer timeout shows up as a cancel: say what it was.
                    const QString why = reply->error() == QNetworkReply::OperationCanceledError
                                            ? u"no answer within %1 ms"_s.arg(timeoutMs)
                                            : reply->errorString();
                    done(std::unexpected(path % u": "_s % why));
                    return;
                }
                const int status =
                    reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                ctx->body += reply->readAll();
                if (ctx->body.size() > m_options.maxReplyBytes) {
                    done(std::unexpected(u"reply of %1 exceeds the %2 cap; aborted"_s.arg(
                        path, fmtBytes(m_options.maxReplyBytes))));
                    return;
                }
                if (status != 200) {
                    done(std::unexpected(path % u": HTTP "_s % QString::number(status)));
                    return;
                }
                done(std::move(ctx->body));
            });
    return reply;
}

void DiscoveryWorker::goDown(const QString& reason) {
    abortAll();
    m_live = false;
    m_refreshTimer.stop();
    setHealth(HealthState::Down, reason);
    const int jitter = static_cast<int>(QRandomGenerator::global()->bounded(m_backoffMs / 5 + 1));
    m_reconnectTimer.start(m_backoffMs + jitter);
    m_backoffMs = std::min(m_backoffMs * 2, m_options.backoffMaxMs);
}

void DiscoveryWorker::retryNow() {
    if (!m_reconnectTimer.isActive())
        return; // not waiting: an attempt is under way, or the source is live
    m_reconnectTimer.stop();
    m_backoffMs = m_options.backoffMinMs;
    reconnect();
}

void DiscoveryWorker::reconnect() {
    setHealth(HealthState::Connecting, u"reconnecting to "_s % m_base.toString() %
                                           u" (last error: "_s % m_healthReason % u')');
    // Who answers now decides whether what went missing was evicted or forgotten.
    withFreshCounters([this] { fetchSnapshot(); });
}

int DiscoveryWorker::refreshMs() const {
    // Twice per renew interval at least: a renew the server got is seen before it is 2
    // intervals old, so a healthy instance is never judged on an outdated copy.
    const qint64 half = std::max<qint64>(50, m_renewIntervalMs / 2);
    return static_cast<int>(std::min<qint64>(m_options.snapshotRefreshMs, half));
}

discoveryconn::Observation DiscoveryWorker::observation() const {
    const qint64 local = QDateTime::currentMSecsSinceEpoch();
    return {local, local + m_clockOffsetMs, m_renewIntervalMs};
}

discoveryconn::Removals DiscoveryWorker::removals() const {
    discoveryconn::Removals r;
    r.serverRestarted = m_restartPending;
    if (m_metricsAvailable && m_evictionsTotal)
        r.evictionsCounted = std::max<qint64>(0, *m_evictionsTotal - m_evictionsAccounted);
    return r;
}

void DiscoveryWorker::settleRemovals(qint64 evicted, bool fullRefresh) {
    m_evictionsAccounted += evicted;
    // After a full refresh every eviction the server counted is either reported or was of an
    // instance we never saw: none is left to attribute to a later removal.
    if (fullRefresh) {
        m_restartPending = false;
        if (m_evictionsTotal)
            m_evictionsAccounted = *m_evictionsTotal;
    }
}

void DiscoveryWorker::appendFreshness(std::vector<MetricPoint>& points) const {
    // regscope's own view of the source, beside the server's gauges: when the instances were
    // last confirmed and how often they are asked for (InstanceModel's "as of").
    if (m_lastObservedMs > 0)
        points.push_back(
            {u"regscope_instances_as_of_seconds"_s, {}, double(m_lastObservedMs) / 1000.0});
    points.push_back(
        {u"regscope_instances_refresh_interval_seconds"_s, {}, double(refreshMs()) / 1000.0});
}

void DiscoveryWorker::fetchSnapshot() {
    if (m_snapshotInFlight)
        return;
    m_snapshotInFlight = true;
    get(u"/discovery/fetch/all"_s, m_options.requestTimeoutMs, [this](Body body) {
        if (!body) {
            m_snapshotInFlight = false;
            goDown(u"cannot fetch the snapshot: "_s % body.error());
            return;
        }
        auto env = discoveryconn::parseEnvelope(*body);
        if (!env) {
            m_snapshotInFlight = false;
            goDown(u"/discovery/fetch/all answered garbage: "_s % env.error());
            return;
        }
        if (env->code != 0 && env->code != -404) {
            m_snapshotInFlight = false;
            goDown(u"/discovery/fetch/all answered code %1: %2"_s.arg(env->code).arg(env->message));
            return;
        }
        auto records = discoveryconn::parseFetchAll(env->data);
        if (!records) {
            m_snapshotInFlight = false;
            goDown(u"/discovery/fetch/all answered garbage: "_s % records.error());
            return;
        }
        if (m_state.hasSnapshot() && m_state.goneFromAll(*records) > 0) {
            withFreshCounters(
                [this, recs = std::move(*records)]() mutable { applySnapshot(std::move(recs)); });
            return;
        }
        applySnapshot(std::move(*records));
    });
}

void DiscoveryWorker::applySnapshot(std::vector<InstanceRecord> records) {
    m_snapshotInFlight = false;
    EventBatch batch;
    const auto obs = observation();
    // Back after being down: this full read replaces whatever changed meanwhile. Said in the
    // same batch as its upserts and removes, so a follower marks exactly them as the resync.
    const bool resync = m_state.hasSnapshot() && !m_live;
    settleRemovals(m_state.replaceAll(std::move(records), obs, removals(), batch), true);
    if (resync)
        batch.push_back(TimelineEvent{obs.localNowMs, u"resync"_s, m_base.toString(),
                                      u"reconnected: reloaded %1 instances"_s.arg(m_state.size())});
    m_lastObservedMs = obs.localNowMs;
    if (!m_metricsAvailable) {
        MetricsSample freshness{obs.localNowMs, {}};
        appendFreshness(freshness.points);
        batch.push_back(std::move(freshness));
    }
    emitBatch(std::move(batch));
    m_backoffMs = m_options.backoffMinMs;
    m_live = true;
    const auto apps = m_state.apps();
    qsizetype appCount = 0;
    for (const auto& set : apps)
        appCount += set.size();
    setHealth(HealthState::Live,
              u"live: %1 instances in %2 apps"_s.arg(m_state.size()).arg(appCount));
    syncPolls();
    m_refreshTimer.start(refreshMs());
}

void DiscoveryWorker::syncPolls() {
    // Desired loops: per env, its appids sorted and cut into chunks.
    QHash<QString, PollLoop> wanted;
    const auto apps = m_state.apps();
    for (auto it = apps.begin(); it != apps.end(); ++it) {
        QStringList ids(it.value().begin(), it.value().end());
        std::sort(ids.begin(), ids.end());
        const int per = std::max(1, m_options.appidsPerPoll);
        for (qsizetype i = 0, chunk = 0; i < ids.size(); i += per, ++chunk)
            wanted.insert(it.key() % u'#' % QString::number(chunk),
                          PollLoop{it.key(), ids.mid(i, per), nullptr});
    }
    for (auto it = m_polls.begin(); it != m_polls.end();) {
        const auto w = wanted.constFind(it.key());
        if (w == wanted.cend() || w->appids != it->appids) {
            if (it->reply) {
                m_inFlight.remove(it->reply);
                it->reply->disconnect(this);
                it->reply->abort();
                it->reply->deleteLater();
            }
            it = m_polls.erase(it);
        } else {
            ++it;
        }
    }
    for (auto it = wanted.begin(); it != wanted.end(); ++it) {
        if (!m_polls.contains(it.key()))
            m_polls.insert(it.key(), it.value());
        if (!m_polls[it.key()].reply)
            issuePoll(it.key());
    }
}

void DiscoveryWorker::issuePoll(const QString& key) {
    const auto it = m_polls.find(key);
    if (it == m_polls.end() || !m_live)
        return;
    QUrlQuery q;
    q.addQueryItem(u"env"_s, it->env);
    q.addQueryItem(u"hostname"_s, m_pollHostname);
    for (const auto& appid : it->appids) {
        q.addQueryItem(u"appid"_s, appid);
        q.addQueryItem(u"latest_timestamp"_s,
                       QString::number(m_latest.value(latestKey(it->env, appid), 0)));
    }
    it->reply = get(u"/discovery/polls?"_s % q.query(QUrl::FullyEncoded),
                    static_cast<int>(m_pollTimeoutMs) + m_options.pollGraceMs,
                    [this, key](Body body) { onPollAnswer(key, std::move(body)); });
}

void DiscoveryWorker::onPollAnswer(const QString& key, Body body) {
    const auto it = m_polls.find(key);
    if (it == m_polls.end())
        return;
    it->reply = nullptr;
    if (!body) {
        // The server may be gone: let the snapshot decide (it goes Down if so).
        fetchSnapshot();
        return;
    }
    auto env = discoveryconn::parseEnvelope(*body);
    if (!env) {
        goDown(u"/discovery/polls answered garbage: "_s % env.error());
        return;
    }
    const QString envName = it->env;
    if (env->code == -304) {
        issuePoll(key);
        return;
    }
    if (env->code != 0) {
        // -404: an app vanished; refresh the app list, poll again after it.
        setHealth(HealthState::Degraded,
                  u"/discovery/polls answered %1: %2"_s.arg(env->code).arg(env->message));
        m_refreshTimer.start(std::min(m_options.snapshotRefreshMs, 1000));
        return;
    }
    auto infos = discoveryconn::parseAppInfos(env->data);
    if (!infos) {
        goDown(u"/discovery/polls answered garbage: "_s % infos.error());
        return;
    }
    for (auto i = infos->cbegin(); i != infos->cend(); ++i) {
        m_latest.insert(latestKey(envName, i.key()), i->latestTimestamp);
        m_changed[envName].insert(i.key());
    }
    fetchChanged(envName);
    issuePoll(key);
}

void DiscoveryWorker::fetchChanged(const QString& envName) {
    // One fetchs per env at a time, so answers are applied in order.
    if (m_fetchingEnvs.contains(envName) || m_changed.value(envName).isEmpty())
        return;
    const QSet<QString> appids = m_changed.take(envName);
    m_fetchingEnvs.insert(envName);
    QUrlQuery q;
    q.addQueryItem(u"env"_s, envName);
    q.addQueryItem(u"status"_s, u"3"_s); // polls only carry UP instances; we want all
    for (const auto& a : appids)
        q.addQueryItem(u"appid"_s, a);
    get(u"/discovery/fetchs?"_s % q.query(QUrl::FullyEncoded), m_options.requestTimeoutMs,
        [this, envName, appids](Body body) {
            if (!body) {
                m_fetchingEnvs.remove(envName);
                fetchSnapshot();
                return;
            }
            auto env = discoveryconn::parseEnvelope(*body);
            if (!env) {
                m_fetchingEnvs.remove(envName);
                goDown(u"/discovery/fetchs answered garbage: "_s % env.error());
                return;
            }
            auto infos = discoveryconn::parseAppInfos(env->code == 0 ? env->data : QJsonValue());
            if (!infos) {
                m_fetchingEnvs.remove(envName);
                goDown(u"/discovery/fetchs answered garbage: "_s % infos.error());
                return;
            }
            qsizetype gone = 0;
            for (const auto& appid : appids)
                gone += m_state.goneFromApp(envName, appid, infos->value(appid).instances);
            if (gone > 0) {
                withFreshCounters([this, envName, appids, i = std::move(*infos)]() mutable {
                    applyChanged(envName, appids, std::move(i));
                });
                return;
            }
            applyChanged(envName, appids, std::move(*infos));
        });
}

void DiscoveryWorker::applyChanged(const QString& envName, const QSet<QString>& appids,
                                   QMap<QString, discoveryconn::AppInfo> infos) {
    m_fetchingEnvs.remove(envName);
    EventBatch batch;
    const auto obs = observation();
    for (const auto& appid : appids) {
        auto info = infos.value(appid);
        settleRemovals(
            m_state.replaceApp(envName, appid, std::move(info.instances), obs, removals(), batch),
            false);
    }
    emitBatch(std::move(batch));
    if (m_health == HealthState::Degraded)
        setHealth(HealthState::Live, u"live"_s);
    fetchChanged(envName);
}

void DiscoveryWorker::withFreshCounters(std::function<void()> then) {
    if (!m_metricsAvailable) {
        then();
        return;
    }
    get(u"/metrics"_s, m_options.requestTimeoutMs, [this, then = std::move(then)](Body body) {
        if (body) {
            onMetricsBody(*body);
        } else {
            m_evictionsTotal.reset(); // no counters to go by this time: judge by renew age
            if (body.error().endsWith(u"HTTP 404"_s))
                m_metricsAvailable = false; // a reference server: no /metrics at all
        }
        then();
    });
}

void DiscoveryWorker::onMetricsBody(const QByteArray& body) {
    MetricsSample sample;
    sample.timestampMs = QDateTime::currentMSecsSinceEpoch();
    sample.points = parsePrometheusText(body);
    const auto facts = discoveryconn::ServerFacts::fromPoints(sample.points);
    if (facts.evictThresholdMs)
        m_state.setEvictThresholdNs(*facts.evictThresholdMs * 1'000'000);
    if (facts.pollTimeoutMs)
        m_pollTimeoutMs = *facts.pollTimeoutMs;
    if (facts.renewIntervalMs && *facts.renewIntervalMs != m_renewIntervalMs) {
        m_renewIntervalMs = *facts.renewIntervalMs;
        if (m_refreshTimer.isActive() && m_refreshTimer.remainingTime() > refreshMs())
            m_refreshTimer.start(refreshMs());
    }
    if (m_identity.restarted(facts)) {
        // Another server process: what it does not list it never knew. The next full
        // refresh says so once, instead of reporting evictions nobody performed.
        m_restartPending = true;
        m_latest.clear();
        m_evictionsAccounted = facts.evictionsTotal.value_or(0);
        if (!m_snapshotInFlight)
            m_refreshTimer.start(0);
    }
    m_evictionsTotal = facts.evictionsTotal;
    appendFreshness(sample.points);
    emitBatch(EventBatch{std::move(sample)});
}

void DiscoveryWorker::probeClock() {
    // Renew timestamps are on the server's clock: judge them against its now, not ours.
    if (!m_statusAvailable || !m_live)
        return;
    const qint64 sent = QDateTime::currentMSecsSinceEpoch();
    get(u"/status"_s, m_options.requestTimeoutMs, [this, sent](Body body) {
        if (!body) {
            if (body.error().endsWith(u"HTTP 404"_s))
                m_statusAvailable = false;
            return;
        }
        const qint64 received = QDateTime::currentMSecsSinceEpoch();
        const QJsonObject status = QJsonDocument::fromJson(*body).object();
        const qint64 nowNs = status.value(u"now"_s).toInteger(0);
        if (nowNs <= 0) {
            m_statusAvailable = false; // a /status without a clock: nothing to learn here
            return;
        }
        m_clockOffsetMs = nowNs / 1'000'000 - (sent + received) / 2;
    });
}

void DiscoveryWorker::scrapeMetrics() {
    probeClock();
    if (!m_metricsAvailable || !m_live)
        return;
    get(u"/metrics"_s, m_options.requestTimeoutMs, [this](Body body) {
        if (!body) {
            if (body.error().endsWith(u"HTTP 404"_s)) {
                // A reference bilibili/discovery server has no /metrics: not an error.
                m_metricsAvailable = false;
                m_evictionsTotal.reset();
                emitBatch(EventBatch{TimelineEvent{QDateTime::currentMSecsSinceEpoch(), u"resync"_s,
                                                   m_base.toString(),
                                                   u"server has no /metrics; server panel off"_s}});
            }
            return;
        }
        onMetricsBody(*body);
    });
}

} // namespace regscope
