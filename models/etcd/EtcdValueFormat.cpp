#include "models/etcd/EtcdValueFormat.h"

#include <QStringDecoder>

#include <nlohmann/json.hpp>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

bool isText(const QByteArray& value) {
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString s = decoder(value);
    if (decoder.hasError())
        return false;
    for (const QChar c : s)
        if (c.unicode() < 0x20 && c != u'\n' && c != u'\t' && c != u'\r')
            return false;
    return true;
}

QString hexDump(const QByteArray& value, qsizetype limit) {
    QString out;
    const qsizetype n = std::min(value.size(), limit);
    for (qsizetype off = 0; off < n; off += 16) {
        out += QString::number(off, 16).rightJustified(8, u'0') + u"  "_s;
        QString ascii;
        for (qsizetype i = off; i < off + 16; ++i) {
            if (i < n) {
                const auto b = static_cast<unsigned char>(value.at(i));
                out += QString::number(b, 16).rightJustified(2, u'0') + u' ';
                ascii += (b >= 0x20 && b < 0x7f) ? QChar(char16_t(b)) : u'.';
            } else {
                out += u"   "_s;
            }
        }
        out += u' ' + ascii + u'\n';
    }
    if (value.size() > limit)
        out += u"... ("_s + QString::number(value.size()) + u" bytes)\n"_s;
    return out;
}

} // namespace

EtcdValueKind classifyEtcdValue(const QByteArray& value) {
    const QByteArray trimmed = value.trimmed();
    if (!trimmed.isEmpty() && (trimmed.front() == '{' || trimmed.front() == '[') &&
        nlohmann::json::accept(trimmed.constBegin(), trimmed.constEnd()))
        return EtcdValueKind::Json;
    return isText(value) ? EtcdValueKind::Text : EtcdValueKind::Binary;
}

QString etcdValuePreview(const QByteArray& value, EtcdValueKind kind, int maxChars) {
    QString s;
    switch (kind) {
    case EtcdValueKind::Json:
    case EtcdValueKind::Text:
        s = QString::fromUtf8(value.left(maxChars * 4)).simplified();
        break;
    case EtcdValueKind::Binary: {
        const QByteArray head = value.left(maxChars / 3 + 1);
        s = QString::fromLatin1(head.toHex(' '));
        break;
    }
    }
    if (s.size() > maxChars)
        s = s.left(maxChars - 1) + u'…';
    return s;
}

QString etcdValuePretty(const QByteArray& value, EtcdValueKind kind) {
    switch (kind) {
    case EtcdValueKind::Json: {
        const auto j = nlohmann::json::parse(value.constBegin(), value.constEnd(), nullptr, false);
        if (!j.is_discarded())
            return QString::fromStdString(j.dump(2));
        return QString::fromUtf8(value);
    }
    case EtcdValueKind::Text:
        return QString::fromUtf8(value);
    case EtcdValueKind::Binary:
        return hexDump(value, 64 * 1024);
    }
    return {};
}

QString etcdKeyDisplay(const QByteArray& key) {
    if (isText(key))
        return QString::fromUtf8(key);
    QString out;
    for (const char ch : key) {
        const auto b = static_cast<unsigned char>(ch);
        if (b >= 0x20 && b < 0x7f)
            out += QChar(char16_t(b));
        else
            out += u"\\x"_s + QString::number(b, 16).rightJustified(2, u'0');
    }
    return out;
}

QString toString(EtcdValueKind kind) {
    switch (kind) {
    case EtcdValueKind::Json:
        return u"json"_s;
    case EtcdValueKind::Text:
        return u"text"_s;
    case EtcdValueKind::Binary:
        return u"binary"_s;
    }
    return {};
}

} // namespace regscope
