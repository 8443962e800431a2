#include "connectors/loader/PluginLogWriter.h"

using namespace Qt::StringLiterals;

namespace regscope {

PluginLogWriter::PluginLogWriter(QString path, qint64 maxBytes)
    : m_path(std::move(path))
    , m_maxBytes(maxBytes)
    , m_file(m_path) {}

void PluginLogWriter::append(const QByteArray& line) {
    if (!m_file.isOpen() && !m_file.open(QIODevice::Append | QIODevice::Text))
        return; // a log that cannot be written must not take the panel down
    if (m_file.size() + line.size() > m_maxBytes) {
        m_file.close();
        QFile::remove(m_path + u".1"_s);
        QFile::rename(m_path, m_path + u".1"_s);
        if (!m_file.open(QIODevice::Append | QIODevice::Text))
            return;
    }
    m_file.write(line);
    m_file.write("\n", 1);
    m_file.flush();
}

} // namespace regscope
