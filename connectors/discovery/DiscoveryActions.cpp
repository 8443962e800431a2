#include "connectors/discovery/DiscoveryActions.h"

#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QUrlQuery>

using namespace Qt::StringLiterals;

namespace regscope {

using Code = ActionResult::Code;

// Lives on the executor's thread; one Job per action, its forms sent one after another.
class DiscoveryActionsWorker : public QObject {
public:
    DiscoveryActionsWorker(QUrl base, DiscoveryActions::Options options)
        : m_base(std::move(base))
        , m_options(options) {}

    void start(ActionId id, std::vector<DiscoveryActions::Form> forms, ActionExecutor::Done done) {
        if (!m_nam)
            m_nam = new QNetworkAccessManager(this);
        Job& job = m_jobs[id];
        job.forms = std::move(forms);
        job.done = std::move(done);
        sendNext(id);
    }

    void cancel(ActionId id) {
        const auto it = m_jobs.find(id);
        if (it == m_jobs.end())
            return;
        it->canceled = true;
        if (it->reply)
            it->reply->abort(); // its finished() ends the job
    }

    void abortAll() {
        const auto ids = m_jobs.keys();
        for (const ActionId id : ids)
            cancel(id);
    }

private:
    struct Job {
        std::vector<DiscoveryActions::Form> forms;
        size_t next = 0;
        qint64 succeeded = 0;
        ActionExecutor::Done done;
        QPointer<QNetworkReply> reply;
        bool canceled = false;
    };

    void finish(ActionId id, ActionResult result) {
        Job job = m_jobs.take(id);
        result.count = job.succeeded;
        job.done(std::move(result));
    }

    void sendNext(ActionId id) {
        Job& job = m_jobs[id];
        if (job.next >= job.forms.size()) {
            ActionResult ok;
            ok.message = u"done"_s;
            finish(id, std::move(ok));
            return;
        }
        const auto& form = job.forms[job.next];
        QUrl url = m_base;
        QString basePath = url.path();
        while (basePath.endsWith(u'/'))
            basePath.chop(1);
        url.setPath(basePath + form.path);
        QNetworkRequest request(url);
        request.setTransferTimeout(m_options.requestTimeoutMs);
        request.setHeader(QNetworkRequest::ContentTypeHeader,
                          u"application/x-www-form-urlencoded"_s);
        QNetworkReply* reply = m_nam->post(request, form.body);
        job.reply = reply;
        connect(reply, &QNetworkReply::downloadProgress, this,
                [reply, cap = m_options.maxReplyBytes](qint64 received, qint64) {
                    if (received > cap)
                        reply->abort();
                });
        connect(reply, &QNetworkReply::finished, this, [this, id, reply] {
            reply->deleteLater();
            onAnswer(id, reply);
        });
    }

    void onAnswer(ActionId id, QNetworkReply* reply) {
        Job& job = m_jobs[id];
        const QString what = job.forms[job.next].path;
        if (job.canceled) {
            finish(id, ActionResult::failure(Code::Canceled,
                                             u"canceled while in flight; if the server had "
                                             u"received it, the change may be applied: the "
                                             u"instances view shows the server's state"_s));
            return;
        }
        const QByteArray body = reply->readAll();
        if (reply->error() != QNetworkReply::NoError) {
            finish(id,
                   ActionResult::failure(Code::Unavailable, what + u": "_s + reply->errorString()));
            return;
        }
        QJsonParseError perr{};
        const QJsonObject doc = QJsonDocument::fromJson(body, &perr).object();
        if (perr.error != QJsonParseError::NoError || !doc.contains(u"code"_s)) {
            finish(id,
                   ActionResult::failure(Code::ServerError, what + u": not a discovery answer: "_s +
                                                                QString::fromUtf8(body.left(200))));
            return;
        }
        const int code = doc.value(u"code"_s).toInt();
        if (code != 0) {
            const QString message = doc.value(u"message"_s).toString();
            const Code c = code == -404   ? Code::NotFound
                           : code == -400 ? Code::InvalidRequest
                           : code == -409 ? Code::Conflict
                           : code == -503 ? Code::Unavailable
                                          : Code::ServerError;
            ActionResult r = ActionResult::failure(
                c, what + u" answered "_s + QString::number(code) + u": "_s + message);
            if (job.succeeded > 0)
                r.message += u" (after "_s + QString::number(job.succeeded) +
                             u" earlier requests had succeeded)"_s;
            finish(id, std::move(r));
            return;
        }
        ++job.succeeded;
        ++job.next;
        sendNext(id);
    }

    const QUrl m_base;
    const DiscoveryActions::Options m_options;
    QNetworkAccessManager* m_nam = nullptr;
    QHash<ActionId, Job> m_jobs;
};

namespace {

void addInstance(QUrlQuery& q, const InstanceRef& i) {
    q.addQueryItem(u"zone"_s, i.zone);
    q.addQueryItem(u"env"_s, i.env);
    q.addQueryItem(u"appid"_s, i.appid);
}

QString metadataJson(const QMap<QString, QString>& md) {
    QJsonObject o;
    for (auto it = md.cbegin(); it != md.cend(); ++it)
        o.insert(it.key(), it.value());
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

QByteArray encode(const QUrlQuery& q) {
    // Form encoding: '+' and other reserved bytes must reach the server as themselves.
    const auto items = q.queryItems(QUrl::FullyDecoded);
    QByteArray body;
    for (const auto& [k, v] : items) {
        if (!body.isEmpty())
            body += '&';
        body += QUrl::toPercentEncoding(k) + '=' + QUrl::toPercentEncoding(v);
    }
    return body;
}

ActionResult invalid(const QString& why) {
    return ActionResult::failure(Code::InvalidRequest, why);
}

bool complete(const InstanceRef& i) {
    return !i.zone.isEmpty() && !i.env.isEmpty() && !i.appid.isEmpty() && !i.hostname.isEmpty();
}

} // namespace

std::expected<std::vector<DiscoveryActions::Form>, ActionResult>
DiscoveryActions::forms(const ActionRequest& r, int maxInstances) {
    if (r.instances.isEmpty())
        return std::unexpected(invalid(u"no instance given"_s));
    if (r.instances.size() > maxInstances)
        return std::unexpected(
            invalid(u"at most "_s + QString::number(maxInstances) + u" instances at once"_s));
    for (const auto& i : r.instances)
        if (!complete(i))
            return std::unexpected(invalid(u"an instance needs zone, env, appid and hostname"_s));
    std::vector<Form> out;
    switch (r.kind) {
    case ActionKind::DiscoveryCancel:
        for (const auto& i : r.instances) {
            QUrlQuery q;
            addInstance(q, i);
            q.addQueryItem(u"hostname"_s, i.hostname);
            out.push_back(Form{u"/discovery/cancel"_s, encode(q)});
        }
        return out;
    case ActionKind::DiscoverySet: {
        const InstanceRef& first = r.instances.front();
        for (const auto& i : r.instances)
            if (i.zone != first.zone || i.env != first.env || i.appid != first.appid)
                return std::unexpected(
                    invalid(u"one set changes instances of one app in one zone and env (the API's "
                            u"all-or-nothing unit); the selection spans several"_s));
        if (r.status != 0 && r.status != 1 && r.status != 2)
            return std::unexpected(invalid(u"status must be 1 (UP) or 2 (WAITING)"_s));
        if (r.status == 0 && r.metadata.isEmpty())
            return std::unexpected(invalid(u"nothing to set: no status and no metadata"_s));
        QUrlQuery q;
        addInstance(q, first);
        const QString md = metadataJson(r.metadata);
        for (const auto& i : r.instances) {
            q.addQueryItem(u"hostname"_s, i.hostname);
            if (r.status)
                q.addQueryItem(u"status"_s, QString::number(r.status));
            if (!r.metadata.isEmpty())
                q.addQueryItem(u"metadata"_s, md);
        }
        out.push_back(Form{u"/discovery/set"_s, encode(q)});
        return out;
    }
    case ActionKind::DiscoveryRegister: {
        if (r.instances.size() != 1)
            return std::unexpected(invalid(u"register one test instance at a time"_s));
        if (r.addrs.isEmpty())
            return std::unexpected(invalid(u"a test instance needs at least one address"_s));
        const InstanceRef& i = r.instances.front();
        QUrlQuery q;
        addInstance(q, i);
        q.addQueryItem(u"hostname"_s, i.hostname);
        q.addQueryItem(u"status"_s, QString::number(r.status == 2 ? 2 : 1));
        for (const auto& a : r.addrs)
            q.addQueryItem(u"addrs"_s, a);
        if (!r.version.isEmpty())
            q.addQueryItem(u"version"_s, r.version);
        if (!r.region.isEmpty())
            q.addQueryItem(u"region"_s, r.region);
        if (!r.metadata.isEmpty())
            q.addQueryItem(u"metadata"_s, metadataJson(r.metadata));
        out.push_back(Form{u"/discovery/register"_s, encode(q)});
        return out;
    }
    default:
        return std::unexpected(
            ActionResult::failure(Code::Unsupported, u"not a discovery action"_s));
    }
}

DiscoveryActions::DiscoveryActions(QUrl base)
    : DiscoveryActions(std::move(base), Options{}) {}

DiscoveryActions::DiscoveryActions(QUrl base, Options options)
    : m_options(options) {
    m_worker = new DiscoveryActionsWorker(std::move(base), m_options);
    m_worker->moveToThread(&m_thread);
    QObject::connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread.setObjectName(u"discovery-actions"_s);
    m_thread.start();
}

DiscoveryActions::~DiscoveryActions() {
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker] { w->abortAll(); }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
}

bool DiscoveryActions::supports(ActionKind kind) const {
    return kind == ActionKind::DiscoveryCancel || kind == ActionKind::DiscoverySet ||
           kind == ActionKind::DiscoveryRegister;
}

void DiscoveryActions::execute(ActionId id, const ActionRequest& request, Done done) {
    auto built = forms(request, m_options.maxInstances);
    if (!built) {
        done(built.error());
        return;
    }
    QMetaObject::invokeMethod(
        m_worker,
        [w = m_worker, id, f = std::move(*built), done = std::move(done)]() mutable {
            w->start(id, std::move(f), std::move(done));
        },
        Qt::QueuedConnection);
}

void DiscoveryActions::cancel(ActionId id) {
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker, id] { w->cancel(id); }, Qt::QueuedConnection);
}

} // namespace regscope
