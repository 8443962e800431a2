#pragma once
// How an etcd value is shown: JSON (objects/arrays that parse) pretty-printed, else UTF-8
// text, else a hex dump.

#include <QByteArray>
#include <QString>

namespace regscope {

enum class EtcdValueKind : quint8 { Json, Text, Binary };

EtcdValueKind classifyEtcdValue(const QByteArray& value);
// One line for a table cell, at most maxChars characters.
QString etcdValuePreview(const QByteArray& value, EtcdValueKind kind, int maxChars = 200);
// The full value: indented JSON, the text, or "offset  hex  ascii" lines.
QString etcdValuePretty(const QByteArray& value, EtcdValueKind kind);
QString etcdKeyDisplay(const QByteArray& key); // UTF-8 or \xNN escapes
QString toString(EtcdValueKind kind);

} // namespace regscope
