#include "models/ByteText.h"

#include <QStringDecoder>

#include <algorithm>

namespace regscope {

namespace {

// Length of the valid UTF-8 sequence starting at p (0: not valid there). Rejects overlong
// forms, surrogates and code points past U+10FFFF, as the Unicode standard does.
int sequenceLength(const unsigned char* p, const unsigned char* end) {
    const unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    int n = 0;
    unsigned lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else
        return 0;
    if (end - p < n)
        return 0;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (int i = 2; i < n; ++i)
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    return n;
}

constexpr char16_t kHex[] = u"0123456789abcdef";

} // namespace

// QString::fromUtf8 drops a leading byte order mark: "\xef\xbb\xbfk" would read as "k".
QString utf8Text(QByteArrayView bytes) {
    QStringDecoder decode(QStringDecoder::Utf8, QStringDecoder::Flag::ConvertInitialBom);
    return decode(bytes);
}

bool isValidUtf8(const QByteArray& bytes) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.constData());
    const auto* end = p + bytes.size();
    while (p < end) {
        const int n = sequenceLength(p, end);
        if (n == 0)
            return false;
        p += n;
    }
    return true;
}

QString escapeBytes(const QByteArray& bytes) {
    // ASCII without a backslash (nearly every etcd key) is its own text: no decoder.
    const bool plain = std::none_of(bytes.cbegin(), bytes.cend(), [](char c) {
        return (static_cast<unsigned char>(c) & 0x80) || c == '\\';
    });
    if (plain)
        return QString::fromLatin1(bytes);
    if (!bytes.contains('\\') && isValidUtf8(bytes))
        return utf8Text(bytes);
    QString out;
    out.reserve(bytes.size() + 8);
    const auto* begin = reinterpret_cast<const unsigned char*>(bytes.constData());
    const auto* p = begin;
    const auto* end = begin + bytes.size();
    const unsigned char* run = p; // start of the current valid run
    const auto flush = [&](const unsigned char* upTo) {
        if (upTo > run)
            out += utf8Text(QByteArrayView(reinterpret_cast<const char*>(run), upTo - run));
    };
    while (p < end) {
        const int n = sequenceLength(p, end);
        if (n > 0 && *p != '\\') {
            p += n;
            continue;
        }
        flush(p);
        if (n > 0) {
            out += u"\\\\";
        } else {
            out += u"\\x";
            out += QChar(kHex[*p >> 4]);
            out += QChar(kHex[*p & 0xf]);
        }
        ++p;
        run = p;
    }
    flush(p);
    return out;
}

std::optional<QByteArray> unescapeBytes(const QString& text) {
    QByteArray out;
    out.reserve(text.size());
    qsizetype i = 0;
    while (i < text.size()) {
        const qsizetype slash = text.indexOf(u'\\', i);
        const qsizetype stop = slash < 0 ? text.size() : slash;
        out += QStringView(text).mid(i, stop - i).toUtf8();
        if (slash < 0)
            break;
        if (slash + 1 < text.size() && text[slash + 1] == u'\\') {
            out += '\\';
            i = slash + 2;
            continue;
        }
        if (slash + 3 < text.size() + 0 && text[slash + 1] == u'x') {
            bool ok = false;
            const int byte = QStringView(text).mid(slash + 2, 2).toInt(&ok, 16);
            if (!ok)
                return std::nullopt;
            out += char(byte);
            i = slash + 4;
            continue;
        }
        return std::nullopt;
    }
    return out;
}

} // namespace regscope
