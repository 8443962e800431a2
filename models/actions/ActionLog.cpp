#include "models/actions/ActionLog.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QStandardPaths>

#include <mutex>
#include <pwd.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace regscope {

struct ActionLog::ErrorBox {
    mutable std::mutex mutex;
    QString error;
};

ActionLog::ActionLog()
    : ActionLog(Options{}) {}

ActionLog::ActionLog(Options options)
    : m_options(std::move(options))
    , m_error(std::make_unique<ErrorBox>()) {
    if (m_options.path.isEmpty())
        m_options.path = defaultPath();
    m_writer.setMaxThreadCount(1);
    m_writer.setExpiryTimeout(-1);
}

ActionLog::~ActionLog() {
    m_writer.waitForDone(10'000);
}

QString ActionLog::defaultPath() {
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + u"/actions.jsonl"_s;
}

QString ActionLog::currentUser() {
    if (const passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_name)
        return QString::fromLocal8Bit(pw->pw_name);
    return QString::number(::geteuid());
}

QByteArray ActionLog::line(ActionId id, const ActionRequest& request, const ActionResult& result,
                           qint64 whenMs, const QString& who) {
    QJsonObject o;
    o.insert(u"id"_s, static_cast<qint64>(id));
    o.insert(u"who"_s, who);
    o.insert(u"when"_s,
             QDateTime::fromMSecsSinceEpoch(whenMs, Qt::UTC).toString(Qt::ISODateWithMs));
    o.insert(u"source"_s, request.source);
    o.insert(u"request"_s, request.toJson());
    o.insert(u"result"_s, result.toJson());
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

void ActionLog::append(ActionId id, const ActionRequest& request, const ActionResult& result) {
    QByteArray text = line(id, request, result, QDateTime::currentMSecsSinceEpoch(), currentUser());
    text.append('\n');
    m_writer.start([this, text = std::move(text)] { write(text); });
}

bool ActionLog::waitForWritten(int timeoutMs) {
    return m_writer.waitForDone(timeoutMs);
}

QString ActionLog::lastError() const {
    std::lock_guard lock(m_error->mutex);
    return m_error->error;
}

void ActionLog::write(const QByteArray& text) {
    const QFileInfo info(m_options.path);
    QDir().mkpath(info.absolutePath());
    if (info.exists() && info.size() + text.size() > m_options.maxBytes) {
        const QString old = m_options.path + u".1"_s;
        QFile::remove(old);
        QFile::rename(m_options.path, old);
    }
    QFile f(m_options.path);
    QString error;
    if (!f.open(QIODevice::WriteOnly | QIODevice::Append))
        error = u"cannot open the action log "_s + m_options.path + u": "_s + f.errorString();
    else if (f.write(text) != text.size() || !f.flush())
        error = u"cannot write the action log "_s + m_options.path + u": "_s + f.errorString();
    if (!error.isEmpty()) {
        qWarning("%s", qPrintable(error));
        std::lock_guard lock(m_error->mutex);
        m_error->error = error;
    }
}

} // namespace regscope
