#pragma once
// Bytes that are not always text (etcd keys and values, hostnames from the wire) shown and
// identified without loss: valid UTF-8 stays as it is, every byte that is not part of a valid
// sequence becomes \xNN, and a backslash becomes \\ — so two different byte strings never
// read the same, and the text maps back to the exact bytes.

#include <QByteArray>
#include <QString>

#include <optional>

namespace regscope {

QString escapeBytes(const QByteArray& bytes);
// The inverse of escapeBytes; nullopt for text escapeBytes cannot produce.
std::optional<QByteArray> unescapeBytes(const QString& text);
bool isValidUtf8(const QByteArray& bytes);
// The bytes as text, a leading byte order mark kept (QString::fromUtf8 drops it), so that
// toUtf8() gives valid UTF-8 back exactly.
QString utf8Text(QByteArrayView bytes);

} // namespace regscope
