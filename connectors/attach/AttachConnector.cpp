#include "connectors/attach/AttachConnector.h"

#include "connectors/attach/AttachWorker.h"

#include <QUrl>
#include <QUrlQuery>

using namespace Qt::StringLiterals;

namespace regscope {

bool AttachConnector::accepts(const QString& url) {
    const QString t = url.trimmed();
    return t.startsWith(u"pid://") || t.startsWith(u"unix://");
}

std::expected<AttachConnector::Options, QString> AttachConnector::parseUrl(const QString& url) {
    Options o;
    o.url = url.trimmed();
    const qsizetype q = o.url.indexOf(u'?');
    const QString base = q < 0 ? o.url : o.url.first(q);
    if (q >= 0) {
        const QUrlQuery query(o.url.sliced(q + 1));
        for (const auto& [key, value] : query.queryItems()) {
            if (key == u"reattach" && (value == u"1" || value == u"true" || value.isEmpty()))
                o.reattach = true;
            else if (key == u"reattach" && (value == u"0" || value == u"false"))
                o.reattach = false;
            else
                return std::unexpected(
                    u"unknown option '%1' in '%2' (known: reattach=1)"_s.arg(key, o.url));
        }
    }
    if (base.startsWith(u"pid://")) {
        bool ok = false;
        o.pid = base.sliced(6).toLongLong(&ok);
        if (!ok || o.pid <= 0)
            return std::unexpected(
                u"not a process id in '%1' (expected pid://PID, e.g. pid://1234)"_s.arg(o.url));
        return o;
    }
    if (base.startsWith(u"unix://")) {
        o.socketPath = QUrl::fromPercentEncoding(base.sliced(7).toUtf8());
        if (!o.socketPath.startsWith(u'/'))
            return std::unexpected(
                u"not an absolute socket path in '%1' (expected unix:///path/to.sock)"_s.arg(
                    o.url));
        return o;
    }
    return std::unexpected(
        u"not an attach source: '%1' (expected pid://PID or unix:///path)"_s.arg(o.url));
}

AttachConnector::AttachConnector(Options options, QObject* parent)
    : Connector(parent)
    , m_options(std::move(options)) {}

AttachConnector::~AttachConnector() {
    stop();
}

void AttachConnector::start() {
    if (m_worker)
        return;
    Options options = m_options;
    if (options.pid > 0)
        options.socketPath = attach::socketPathForPid(options.pid);
    m_worker = std::make_shared<AttachWorker>(
        std::move(options), [this](EventBatchPtr batch) { Q_EMIT eventsReady(std::move(batch)); });
    // The thread owns a reference: if it ever outlives stop()'s deadline it still has its worker.
    m_thread = QThread::create([worker = m_worker] { worker->run(); });
    m_thread->setObjectName(u"attach-connector"_s);
    m_thread->start();
}

void AttachConnector::stop() {
    if (!m_worker)
        return;
    m_worker->requestStop();
    const bool joined = m_thread->wait(QDeadlineTimer(m_options.stopTimeoutMs));
    m_worker->detach();
    if (joined) {
        delete m_thread;
    } else {
        qWarning("attach connector: worker thread did not stop within %d ms",
                 m_options.stopTimeoutMs);
        QObject::connect(m_thread, &QThread::finished, m_thread, &QObject::deleteLater);
    }
    m_thread = nullptr;
    m_worker.reset();
    auto batch = std::make_shared<EventBatch>();
    batch->emplace_back(SourceHealth{HealthState::Down, u"detached"_s});
    Q_EMIT eventsReady(std::move(batch));
}

} // namespace regscope
