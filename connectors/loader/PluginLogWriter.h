#pragma once
// Appends the supervisor's JSON lines to a log file on its own thread (no I/O on the GUI
// thread); rotates to <path>.1 past a size bound.

#include <QFile>
#include <QObject>

namespace regscope {

class PluginLogWriter : public QObject {
    Q_OBJECT
public:
    PluginLogWriter(QString path, qint64 maxBytes);
    void append(const QByteArray& line);

private:
    QString m_path;
    qint64 m_maxBytes;
    QFile m_file;
};

} // namespace regscope
