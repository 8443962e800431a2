#pragma once
// Shared by the loader tests: fixture paths and private 0755 directories.

#include <QFile>
#include <QString>
#include <QTemporaryDir>

#include <memory>
#include <sys/stat.h>

namespace regscope::test {

inline QString fixture(const char* name) {
    return QStringLiteral(REGSCOPE_FIXTURE_DIR) + u'/' + QLatin1StringView(name) +
           QStringLiteral(".so");
}

// A 0755 directory of our own: sticky /tmp would be refused as world-writable.
inline std::unique_ptr<QTemporaryDir> privateDir() {
    auto dir = std::make_unique<QTemporaryDir>();
    ::chmod(QFile::encodeName(dir->path()).constData(), 0755);
    return dir;
}

// Copies `from` to dir/name (replacing it atomically, as an installer would), mode 0755.
inline QString copyInto(const QTemporaryDir& dir, const QString& from, const QString& name) {
    const QString to = dir.filePath(name);
    const QString tmp = dir.filePath(name + QStringLiteral(".part"));
    QFile::remove(tmp);
    if (!QFile::copy(from, tmp))
        return {};
    ::chmod(QFile::encodeName(tmp).constData(), 0755);
    if (::rename(QFile::encodeName(tmp).constData(), QFile::encodeName(to).constData()) != 0)
        return {};
    return to;
}

} // namespace regscope::test
