#include "connectors/attach/AttachDiscovery.h"

#include "connectors/attach/AttachDecode.h"
#include "connectors/attach/AttachSocket.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace regscope::attach {

QList<QJsonObject> listAttachable(const ListOptions& options) {
    const QDir dir(options.directory.isEmpty() ? socketDirectory() : options.directory);
    QList<QJsonObject> out;
    for (const QString& name : dir.entryList({u"*.sock"_s}, QDir::System | QDir::Files)) {
        const QString path = dir.filePath(name);
        bool numeric = false;
        const qint64 pid = QStringView(name).chopped(5).toLongLong(&numeric);
        auto socket = AttachSocket::open(path, QDeadlineTimer(options.perSocketTimeoutMs));
        if (!socket) {
            if (options.unlinkStale && numeric &&
                socket.error().code == AttachErrorCode::NoEndpoint && !processAlive(pid))
                QFile::remove(path); // left behind by a process that was killed
            continue;
        }
        auto hello = socket->readFrame(QDeadlineTimer(options.perSocketTimeoutMs));
        if (!hello || hello->value(u"type").toString() != u"hello")
            continue;
        [[maybe_unused]] auto bye =
            socket->send(QJsonObject{{u"type"_s, u"bye"_s}}, QDeadlineTimer(100));
        QJsonObject line = decodeHello(*hello).toJson(path);
        if (!numeric) // a socket placed by REGSCOPE_DEBUG_SOCKET: attach through its path
            line.insert(u"url"_s, QString(u"unix://"_s + path));
        out.append(line);
    }
    std::sort(out.begin(), out.end(), [](const QJsonObject& a, const QJsonObject& b) {
        return a.value(u"pid").toInteger() < b.value(u"pid").toInteger();
    });
    return out;
}

int printAttachable(std::FILE* out, const ListOptions& options) {
    for (const QJsonObject& line : listAttachable(options)) {
        const QByteArray json = QJsonDocument(line).toJson(QJsonDocument::Compact) + '\n';
        if (std::fwrite(json.constData(), 1, size_t(json.size()), out) != size_t(json.size()))
            return 4;
    }
    return std::fflush(out) == 0 ? 0 : 4;
}

} // namespace regscope::attach
