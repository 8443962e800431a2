// The connection dialog and profiles: validation codes, the dialog's form (etcd group, echo
// off, a missing CA file refused with a message), accept → the profile reaches the session,
// saving with the password sealed (the raw settings bytes never hold it) and loading it back,
// and makeConnector(profile) applying TLS and auth to the etcd options.

#include "app/regscope/ConnectorFactory.h"
#include "app/regscope/ProfileStore.h"
#include "app/regscope/Session.h"
#include "models/ConnectionProfile.h"
#include "models/Store.h"
#include "views/ConnectionBar.h"
#include "views/ConnectionDialog.h"
#include "views/MainWindow.h"
#include "views/WorkspaceBox.h"
#ifdef REGSCOPE_HAVE_ETCD
#include "connectors/etcd/EtcdConnector.h"
#endif

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QGroupBox>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace regscope;

// Readable QCOMPARE failures (found by argument-dependent lookup).
namespace regscope {
char* toString(ProfileError::Code code);
char* toString(const ConnectionProfile& p);
char* toString(ProfileError::Code code) {
    return QTest::toString(int(code));
}
char* toString(const ConnectionProfile& p) {
    return QTest::toString(u"{name=%1 url=%2 ca=%3 cert=%4 key=%5 server=%6 user=%7 pw=%8}"_s.arg(
        p.name, p.url, p.caFile, p.clientCertFile, p.clientKeyFile, p.serverName, p.user,
        p.password.isEmpty() ? u"none"_s : u"set"_s));
}
} // namespace regscope

namespace {

bool writeFile(const QString& path, const QByteArray& content) {
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(content) == content.size();
}

template <typename T>
T* child(QObject* parent, const QString& name) {
    auto* found = parent->findChild<T*>(name);
    if (!found)
        qWarning("no child named %s", qPrintable(name));
    return found;
}

void typeInto(QObject* dialog, const QString& field, const QString& text) {
    auto* edit = child<QLineEdit>(dialog, field);
    QVERIFY(edit);
    edit->clear();
    QTest::keyClicks(edit, text);
}

ConnectionProfile profileOf(const QString& name, const QString& url) {
    ConnectionProfile p;
    p.name = name;
    p.url = url;
    return p;
}

// The etcd form as a user fills it: name, URL, the TLS files, server name and credentials.
void fillEtcd(QObject* dialog, const QString& url, const QString& ca, const QString& cert,
              const QString& key) {
    typeInto(dialog, u"name"_s, u"staging"_s);
    typeInto(dialog, u"url"_s, url);
    typeInto(dialog, u"caFile"_s, ca);
    typeInto(dialog, u"clientCertFile"_s, cert);
    typeInto(dialog, u"clientKeyFile"_s, key);
    typeInto(dialog, u"serverName"_s, u"etcd.test"_s);
    typeInto(dialog, u"user"_s, u"root"_s);
    typeInto(dialog, u"password"_s, u"s3cret"_s);
}

} // namespace

class TestConnection : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void validationCodes();
    void sourceKinds();
    void urlOnlyFactoryStillWorks();
    void profileAppliesTlsAndAuth();
    void passwordNeverInSettingsFile();
    void profilesReplaceAndRemove();
    void dialogShowsEtcdGroupForEtcdOnly();
    void dialogRefusesMissingCaFile();
    void dialogAcceptReachesSession();
    void dialogPicksAndDeletesSavedProfiles();
    void workspacesReplaceAndRemove();
    void dialogOpensAndSavesWorkspaces();
    void screenshot();

private:
    QTemporaryDir m_dir;
    QString m_ca, m_cert, m_key;
};

void TestConnection::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QApplication::setOrganizationName(u"regscope-tests"_s);
    QApplication::setApplicationName(u"regscope-connection-test"_s);
    registerConnectorMetaTypes();
    QVERIFY(m_dir.isValid());
    m_ca = m_dir.filePath(u"ca.pem"_s);
    m_cert = m_dir.filePath(u"client.pem"_s);
    m_key = m_dir.filePath(u"client.key"_s);
    // Only their existence is checked by the dialog; the content is never parsed here.
    QVERIFY(writeFile(m_ca, "-----BEGIN CERTIFICATE-----\n"));
    QVERIFY(writeFile(m_cert, "-----BEGIN CERTIFICATE-----\n"));
    QVERIFY(writeFile(m_key, "-----BEGIN PRIVATE KEY-----\n"));
}

void TestConnection::validationCodes() {
    using Code = ProfileError::Code;
    const auto codeOf = [](const ConnectionProfile& p) {
        const auto r = validateProfile(p);
        return r ? -1 : int(r.error().code);
    };
    ConnectionProfile p;
    QCOMPARE(codeOf(p), int(Code::EmptyUrl));
    p.url = u"ftp://example:21"_s;
    QCOMPARE(codeOf(p), int(Code::UnsupportedScheme));
    p.url = u"localhost"_s;
    QCOMPARE(codeOf(p), int(Code::UnsupportedScheme));
    p.url = u"etcd:///prefix"_s;
    QCOMPARE(codeOf(p), int(Code::BadUrl));
    p.url = u"etcd://127.0.0.1/prefix"_s; // no port
    QCOMPARE(codeOf(p), int(Code::BadUrl));
    p.url = u"etcd://127.0.0.1:2379,127.0.0.1:99999/p"_s;
    QCOMPARE(codeOf(p), int(Code::BadUrl));
    p.url = u"http://"_s;
    QCOMPARE(codeOf(p), int(Code::BadUrl));
    for (const QString& good :
         {u"demo"_s, u"demo?rate=10"_s, u"http://127.0.0.1:8500"_s, u"etcd://127.0.0.1:2379"_s,
          u"etcds://a:1,b:2/p/?services=/svc/"_s, u"etcd://[::1]:2379/x"_s}) {
        p.url = good;
        QVERIFY2(validateUrl(good).has_value(), qPrintable(good));
        QCOMPARE(codeOf(p), -1);
    }

    p.url = u"etcd://127.0.0.1:2379/p"_s;
    p.caFile = m_dir.filePath(u"missing.pem"_s);
    QCOMPARE(codeOf(p), int(Code::MissingFile));
    QCOMPARE(validateProfile(p).error().field, u"caFile"_s);
    p.caFile = m_dir.path(); // a directory is not a readable file
    QCOMPARE(codeOf(p), int(Code::UnreadableFile));
    p.caFile = m_ca;
    QCOMPARE(codeOf(p), -1);
    p.clientCertFile = m_cert;
    QCOMPARE(codeOf(p), int(Code::IncompleteClientCert));
    QCOMPARE(validateProfile(p).error().field, u"clientKeyFile"_s);
    p.clientKeyFile = m_key;
    QCOMPARE(codeOf(p), -1);
    p.password = u"pw"_s;
    QCOMPARE(codeOf(p), int(Code::PasswordWithoutUser));
    p.user = u"root"_s;
    QCOMPARE(codeOf(p), -1);
}

void TestConnection::sourceKinds() {
    using Kind = ConnectionProfile::Kind;
    QCOMPARE(int(ConnectionProfile::kindOf(u" demo "_s)), int(Kind::Demo));
    QCOMPARE(int(ConnectionProfile::kindOf(u"http://h:1"_s)), int(Kind::Discovery));
    QCOMPARE(int(ConnectionProfile::kindOf(u"etcds://h:1"_s)), int(Kind::Etcd));
    QCOMPARE(int(ConnectionProfile::kindOf(u"demonic"_s)), int(Kind::Unknown));
    ConnectionProfile p;
    p.url = u"etcd://h:1"_s;
    QVERIFY(!p.usesTls());
    p.serverName = u"etcd.test"_s;
    QVERIFY(p.usesTls());
    QCOMPARE(p.displayName(), u"etcd://h:1"_s);
    p.name = u"prod"_s;
    QCOMPARE(p.displayName(), u"prod"_s);
}

void TestConnection::urlOnlyFactoryStillWorks() {
    QVERIFY(makeConnector(u"demo"_s));
    ConnectionProfile demo;
    demo.url = u"demo?rate=5"_s;
    QVERIFY(makeConnector(demo));
    demo.url = u"gopher://x"_s;
    const auto refused = makeConnector(demo);
    QVERIFY(!refused);
    QCOMPARE(int(refused.error().code), int(SourceError::Code::UnsupportedScheme));
}

void TestConnection::profileAppliesTlsAndAuth() {
#ifdef REGSCOPE_HAVE_ETCD
    ConnectionProfile p;
    p.url = u"etcd://127.0.0.1:1,127.0.0.1:2/app/"_s;
    p.caFile = m_ca;
    p.clientCertFile = m_cert;
    p.clientKeyFile = m_key;
    p.serverName = u"etcd.test"_s;
    p.user = u"root"_s;
    p.password = u"s3cret"_s;
    auto result = makeConnector(p);
    QVERIFY2(result, qPrintable(result ? QString() : result.error().message));
    std::unique_ptr<Connector> made = std::move(*result);
    auto* etcd = qobject_cast<EtcdConnector*>(made.get());
    QVERIFY(etcd);
    const EtcdOptions& o = etcd->options();
    QCOMPARE(o.endpoints, QStringList({u"127.0.0.1:1"_s, u"127.0.0.1:2"_s}));
    QCOMPARE(o.prefix, QByteArray("/app/"));
    QVERIFY(o.tls.enabled); // a CA file turns TLS on for etcd://
    QCOMPARE(o.tls.caFile, m_ca);
    QCOMPARE(o.tls.clientCertFile, m_cert);
    QCOMPARE(o.tls.clientKeyFile, m_key);
    QCOMPARE(o.tls.serverName, u"etcd.test"_s);
    QCOMPARE(o.user, u"root"_s);
    QCOMPARE(o.password, u"s3cret"_s);

    ConnectionProfile plain;
    plain.url = u"etcd://127.0.0.1:1/"_s;
    result = makeConnector(plain);
    QVERIFY(result);
    made = std::move(*result);
    QVERIFY(!qobject_cast<EtcdConnector*>(made.get())->options().tls.enabled);
#else
    QSKIP("built without the etcd room");
#endif
}

void TestConnection::passwordNeverInSettingsFile() {
#ifdef REGSCOPE_HAVE_ETCD
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString file = dir.filePath(u"regscope.conf"_s);
    const ProfileStore store{.secretKeyFile = dir.filePath(u"etcd-secret.key"_s)};
    const QString password = u"Tr0ub4dor&3-horse-battery"_s;
    ConnectionProfile etcd;
    etcd.name = u"prod cluster/eu"_s; // a '/' must not nest settings groups
    etcd.url = u"etcd://127.0.0.1:2379,127.0.0.1:22379/services/"_s;
    etcd.caFile = m_ca;
    etcd.clientCertFile = m_cert;
    etcd.clientKeyFile = m_key;
    etcd.serverName = u"etcd.test"_s;
    etcd.user = u"root"_s;
    etcd.password = password;
    ConnectionProfile demo;
    demo.url = u"demo?rate=5"_s;
    {
        QSettings settings(file, QSettings::IniFormat);
        QVERIFY(store.save(settings, demo).has_value());
        const auto saved = store.save(settings, etcd);
        QVERIFY2(saved.has_value(), qPrintable(saved ? QString() : saved.error().message));
    }
    QFile raw(file);
    QVERIFY(raw.open(QIODevice::ReadOnly));
    const QByteArray bytes = raw.readAll();
    QVERIFY(bytes.contains("root"));      // the file is the one written...
    QVERIFY(bytes.contains("etcd.test")); // ...with the non-secret fields in it
    QVERIFY(!bytes.contains(password.toUtf8()));
    QVERIFY(!bytes.contains(password.toUtf8().toBase64()));
    QVERIFY(!bytes.contains(password.toUtf8().toHex()));
    QVERIFY(!bytes.contains(QByteArray("Tr0ub4dor")));
    const QFileInfo key(dir.filePath(u"etcd-secret.key"_s));
    QVERIFY(key.exists());
    QCOMPARE(key.permissions() &
                 (QFile::ReadGroup | QFile::ReadOther | QFile::WriteGroup | QFile::WriteOther),
             QFile::Permissions());

    QSettings settings(file, QSettings::IniFormat);
    const ProfileStore::Loaded loaded = store.load(settings);
    QVERIFY(loaded.problems.isEmpty());
    QCOMPARE(loaded.profiles.size(), 2);
    QCOMPARE(loaded.profiles.at(0), etcd); // most recent first, the password unsealed
    QCOMPARE(loaded.profiles.at(0).password, password);
    QCOMPARE(loaded.profiles.at(1), demo);

    // Without the key file the password cannot be opened: the profile stays, the problem says so.
    QVERIFY(QFile::remove(key.filePath()));
    const ProfileStore::Loaded keyless = store.load(settings);
    QCOMPARE(keyless.problems.size(), 1);
    QCOMPARE(keyless.problems.at(0).code, ProfileError::Code::LoadFailed);
    QCOMPARE(keyless.profiles.size(), 2);
    QVERIFY(keyless.profiles.at(0).password.isEmpty());
#else
    QSKIP("built without the etcd room (no sealing: saving a password is refused)");
#endif
}

void TestConnection::profilesReplaceAndRemove() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QSettings settings(dir.filePath(u"r.conf"_s), QSettings::IniFormat);
    const ProfileStore store{.secretKeyFile = dir.filePath(u"k"_s)};
    ConnectionProfile a = profileOf(u"a"_s, u"demo"_s);
    const ConnectionProfile b = profileOf(u"b"_s, u"http://127.0.0.1:8500"_s);
    QVERIFY(store.save(settings, a));
    QVERIFY(store.save(settings, b));
    a.url = u"demo?rate=7"_s;
    QVERIFY(store.save(settings, a)); // same name: replaced, moved to the front
    QList<ConnectionProfile> loaded = store.load(settings).profiles;
    QCOMPARE(loaded.size(), 2);
    QCOMPARE(loaded.at(0), a);
    QCOMPARE(loaded.at(1), b);
    QVERIFY(store.remove(settings, u"a"_s));
    QVERIFY(!store.remove(settings, u"a"_s));
    loaded = store.load(settings).profiles;
    QCOMPARE(loaded.size(), 1);
    QCOMPARE(loaded.at(0), b);
    ConnectionProfile empty;
    QCOMPARE(store.save(settings, empty).error().code, ProfileError::Code::SaveFailed);
}

void TestConnection::dialogShowsEtcdGroupForEtcdOnly() {
    ConnectionDialog dialog;
    dialog.show();
    auto* group = child<QGroupBox>(&dialog, u"etcdGroup"_s);
    auto* kind = child<QLabel>(&dialog, u"kind"_s);
    QVERIFY(group && kind);
    typeInto(&dialog, u"url"_s, u"demo"_s);
    QVERIFY(!group->isEnabled());
    QVERIFY(kind->text().startsWith(u"demo"_s));
    typeInto(&dialog, u"url"_s, u"etcd://127.0.0.1:2379,127.0.0.1:22379/app/"_s);
    QVERIFY(group->isEnabled());
    QVERIFY(kind->text().contains(u"etcd"_s));
    QVERIFY(kind->text().contains(u"2 endpoints"_s));
    QCOMPARE(child<QLineEdit>(&dialog, u"password"_s)->echoMode(), QLineEdit::Password);
    // etcd fields do not travel with a non-etcd URL.
    typeInto(&dialog, u"user"_s, u"root"_s);
    typeInto(&dialog, u"url"_s, u"demo"_s);
    QVERIFY(dialog.profile().user.isEmpty());
}

void TestConnection::dialogRefusesMissingCaFile() {
    ConnectionDialog dialog;
    QSignalSpy accepted(&dialog, &ConnectionDialog::profileAccepted);
    dialog.show();
    typeInto(&dialog, u"url"_s, u"etcd://127.0.0.1:2379/"_s);
    typeInto(&dialog, u"caFile"_s, m_dir.filePath(u"nowhere/ca.pem"_s));
    auto* buttons = dialog.findChild<QDialogButtonBox*>();
    QVERIFY(buttons);
    QTest::mouseClick(buttons->button(QDialogButtonBox::Ok), Qt::LeftButton);
    QVERIFY(dialog.isVisible());
    QCOMPARE(accepted.count(), 0);
    QVERIFY(dialog.errorText().contains(u"nowhere/ca.pem"_s));
    QCOMPARE(dialog.result(), int(QDialog::Rejected));
    // Editing clears the message; a file that exists is accepted.
    typeInto(&dialog, u"caFile"_s, m_ca);
    QVERIFY(dialog.errorText().isEmpty());
    QTest::mouseClick(buttons->button(QDialogButtonBox::Ok), Qt::LeftButton);
    QCOMPARE(accepted.count(), 1);
    QVERIFY(!dialog.isVisible());
}

void TestConnection::dialogAcceptReachesSession() {
    Store store;
    Session session(&store);
    MainWindow window;
    window.setStore(&store);
    QObject::connect(
        &window, &MainWindow::profileConnectRequested, &session,
        [&session, &window](const ConnectionProfile& profile, bool) {
            if (auto attached = session.attach(profile); !attached)
                window.connectionBar()->setHealth({HealthState::Down, attached.error().message});
        });
    window.show();
    auto* action = window.findChild<QAction*>(u"connectionDialogAction"_s);
    QVERIFY(action);
    QCOMPARE(action->shortcut(), QKeySequence(u"Ctrl+Shift+L"_s));
    action->trigger();
    auto* dialog = window.findChild<ConnectionDialog*>();
    QVERIFY(dialog);
    QTRY_VERIFY_WITH_TIMEOUT(dialog->isVisible(), 5000);
    QVERIFY(dialog->isModal()); // window-modal via open(), no nested event loop

    // An unreachable member is fine: attaching does not wait for it.
    const QString url = u"etcd://127.0.0.1:1/app/"_s;
    fillEtcd(dialog, url, m_ca, m_cert, m_key);
    QSignalSpy requested(&window, &MainWindow::profileConnectRequested);
    QTest::keyClick(child<QLineEdit>(dialog, u"password"_s), Qt::Key_Return);
    QCOMPARE(requested.count(), 1);
    QCOMPARE(requested.at(0).at(1).toBool(), true); // "save" is on by default
    QTRY_VERIFY_WITH_TIMEOUT(!window.findChild<ConnectionDialog*>(), 5000); // closed, deleted

    const ConnectionProfile& got = session.profile();
    QCOMPARE(got.name, u"staging"_s);
    QCOMPARE(got.url, url);
    QCOMPARE(got.caFile, m_ca);
    QCOMPARE(got.clientCertFile, m_cert);
    QCOMPARE(got.clientKeyFile, m_key);
    QCOMPARE(got.serverName, u"etcd.test"_s);
    QCOMPARE(got.user, u"root"_s);
    QCOMPARE(got.password, u"s3cret"_s);
    QVERIFY(session.attached());
#ifdef REGSCOPE_HAVE_ETCD
    // The connector was made from exactly this profile (the Session hands out no connector).
    const auto options = etcdOptionsOf(session.profile());
    QVERIFY(options);
    QCOMPARE(options->user, u"root"_s);
    QCOMPARE(options->password, u"s3cret"_s);
    QCOMPARE(options->tls.caFile, m_ca);
    QVERIFY(options->tls.enabled);
    QCOMPARE(session.url(), toEtcdUrl(*options));
#endif

    // A demo profile through the same path goes live.
    window.openConnectionDialog();
    dialog = window.findChild<ConnectionDialog*>();
    QVERIFY(dialog);
    typeInto(dialog, u"url"_s, u"demo?rate=50"_s);
    QTest::keyClick(child<QLineEdit>(dialog, u"url"_s), Qt::Key_Return);
    QCOMPARE(session.profile().url, u"demo?rate=50"_s);
    QVERIFY(session.profile().password.isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(int(store.health().state), int(HealthState::Live), 10000);
    session.detach();
}

void TestConnection::dialogPicksAndDeletesSavedProfiles() {
    ConnectionDialog dialog;
    const ConnectionProfile a = profileOf(u"local demo"_s, u"demo"_s);
    ConnectionProfile b = profileOf(u"prod"_s, u"etcds://10.0.0.1:2379/"_s);
    b.caFile = m_ca;
    b.user = u"ops"_s;
    b.password = u"pw"_s;
    dialog.setProfiles({a, b});
    dialog.show();
    auto* list = child<QListWidget>(&dialog, u"savedProfiles"_s);
    auto* remove = child<QPushButton>(&dialog, u"deleteProfile"_s);
    QVERIFY(list && remove);
    QCOMPARE(list->count(), 2);
    QVERIFY(!remove->isEnabled());
    list->setCurrentRow(1);
    QCOMPARE(dialog.profile(), b); // picked: the form holds it, password included
    QVERIFY(remove->isEnabled());
    QSignalSpy deleted(&dialog, &ConnectionDialog::profileDeleteRequested);
    QTest::mouseClick(remove, Qt::LeftButton);
    QCOMPARE(deleted.count(), 1);
    QCOMPARE(deleted.at(0).at(0).toString(), u"prod"_s);
    QCOMPARE(list->count(), 1);
    QCOMPARE(dialog.profiles(), QList<ConnectionProfile>{a});
    QCOMPARE(dialog.profile(), b); // the form is not overwritten by the next row
    QVERIFY(!remove->isEnabled());
}

// A workspace names its sources (saved profile names or URLs) and holds no secret.
void TestConnection::workspacesReplaceAndRemove() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QSettings settings(dir.filePath(u"w.conf"_s), QSettings::IniFormat);
    const ProfileStore store{.secretKeyFile = dir.filePath(u"k"_s)};
    const Workspace migration{u"migration"_s,
                              {u"prod (eu)"_s, u"http://127.0.0.1:7171"_s, u"  "_s}};
    const Workspace pair{u"pair"_s, {u"http://127.0.0.1:7171"_s, u"http://127.0.0.1:7172"_s}};
    QVERIFY(store.saveWorkspace(settings, migration));
    QVERIFY(store.saveWorkspace(settings, pair));
    QList<Workspace> loaded = store.loadWorkspaces(settings);
    QCOMPARE(loaded.size(), 2);
    QCOMPARE(loaded.at(0), pair); // the newest first
    QCOMPARE(loaded.at(1).sources, (QStringList{u"prod (eu)"_s, u"http://127.0.0.1:7171"_s}));
    QVERIFY(store.saveWorkspace(settings, Workspace{u"migration"_s, {u"demo"_s}}));
    loaded = store.loadWorkspaces(settings);
    QCOMPARE(loaded.size(), 2);
    QCOMPARE(loaded.at(0).sources, QStringList{u"demo"_s});
    QVERIFY(store.removeWorkspace(settings, u"pair"_s));
    QVERIFY(!store.removeWorkspace(settings, u"pair"_s));
    QCOMPARE(store.loadWorkspaces(settings).size(), 1);
    QVERIFY(!store.saveWorkspace(settings, Workspace{u"empty"_s, {}}));
    QVERIFY(!store.saveWorkspace(settings, Workspace{{}, {u"demo"_s}}));
}

void TestConnection::dialogOpensAndSavesWorkspaces() {
    MainWindow window;
    window.setWorkspaces({Workspace{u"pair"_s, {u"demo"_s, u"http://127.0.0.1:7172"_s}}});
    window.setCurrentSourcesProvider([] { return QStringList{u"demo"_s, u"http://x:1"_s}; });
    QSignalSpy saved(&window, &MainWindow::workspaceSaveRequested);
    QSignalSpy opened(&window, &MainWindow::workspaceOpenRequested);
    ConnectionDialog* dialog = window.openConnectionDialog();
    WorkspaceBox* box = dialog->workspaceBox();
    QCOMPARE(box->list()->count(), 1);
    box->nameEdit()->setText(u"now"_s);
    box->saveCurrent();
    QCOMPARE(saved.size(), 1);
    const auto w = saved.at(0).at(0).value<Workspace>();
    QCOMPARE(w.name, u"now"_s);
    QCOMPARE(w.sources, (QStringList{u"demo"_s, u"http://x:1"_s}));
    box->list()->setCurrentRow(0);
    box->openSelected();
    QCOMPARE(opened.size(), 1);
    QCOMPARE(opened.at(0).at(0).value<Workspace>().name, u"pair"_s);
    QVERIFY(!dialog->isVisible()); // opening a workspace closes the dialog
}

void TestConnection::screenshot() {
    MainWindow window;
    window.setWorkspaces({Workspace{u"migration"_s, {u"prod (eu)"_s, u"http://127.0.0.1:8500"_s}}});
    window.setProfiles(
        {profileOf(u"local demo"_s, u"demo"_s),
         profileOf(u"prod (eu)"_s, u"etcds://10.0.0.1:2379,10.0.0.2:2379/services/"_s),
         profileOf({}, u"http://127.0.0.1:8500"_s)});
    window.show();
    ConnectionDialog* dialog = window.openConnectionDialog();
    QVERIFY(dialog);
    fillEtcd(dialog, u"etcd://127.0.0.1:2379,127.0.0.1:22379/app/"_s,
             u"/etc/regscope/missing-ca.pem"_s, m_cert, m_key);
    dialog->accept(); // refused: shows the message in the picture
    QVERIFY(!dialog->errorText().isEmpty());
    QVERIFY(dialog->isVisible());
    QApplication::processEvents();
    const QImage image = dialog->grab().toImage();
    QVERIFY(!image.isNull());
    QVERIFY(image.width() > 400 && image.height() > 300);
    const QString out = qEnvironmentVariable("REGSCOPE_DIALOG_SCREENSHOT",
                                             QDir::tempPath() + u"/connection-dialog.png"_s);
    QVERIFY2(image.save(out, "PNG"), qPrintable(out));
    dialog->reject();
}

QTEST_MAIN(TestConnection)
#include "tst_connection.moc"
