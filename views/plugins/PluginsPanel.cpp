#include "views/plugins/PluginsPanel.h"

#include "models/plugins/PluginActions.h"
#include "models/plugins/PluginModel.h"
#include "views/EmptyHint.h"
#include "views/TableActions.h"
#include "views/Theme.h"
#include "views/plugins/ReloadReview.h"

#include <QClipboard>
#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QTextBrowser>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace regscope {
namespace {

constexpr qint64 kMaxPayloadFileBytes = 4 << 20;

QString listHtml(const QStringList& items, int limit = 200) {
    if (items.isEmpty())
        return u"<i>none</i>"_s;
    QStringList shown;
    for (const QString& item : items.mid(0, limit))
        shown << item.toHtmlEscaped();
    QString html = u"<code>"_s + shown.join(u"<br>"_s) + u"</code>"_s;
    if (items.size() > limit)
        html += u"<br><i>… %1 more</i>"_s.arg(items.size() - limit);
    return html;
}

} // namespace

PluginsPanel::PluginsPanel(PluginModel* model, PluginActions* actions, QWidget* parent)
    : QWidget(parent)
    , m_model(model)
    , m_actions(actions) {
    auto* loadFile = new QPushButton(tr("Load file…"), this);
    auto* loadDir = new QPushButton(tr("Load directory…"), this);
    m_demoAll = new QPushButton(tr("Load demo plugins"), this);
    m_demoCrash = new QPushButton(tr("Load crashing plugin"), this);
    m_demoCrash->setObjectName(u"loadCrashingPlugin"_s);
    m_reload = new QPushButton(tr("Reload"), this);
    m_reload->setObjectName(u"reloadPlugin"_s);
    m_reload->setToolTip(tr("Load the file again beside the running build; it switches only "
                            "when you accept it"));
    m_unload = new QPushButton(tr("Unload"), this);
    m_demoAll->setVisible(false);
    m_demoCrash->setVisible(false);
    auto* toolbar = new QHBoxLayout;
    for (QPushButton* b : {loadFile, loadDir, m_demoAll, m_demoCrash, m_reload, m_unload})
        toolbar->addWidget(b);
    toolbar->addStretch();
    // go-plugin binaries need their host's magic cookie; Terraform/Vault/Packer/Nomad's are
    // built in.
    auto* cookie = new QLineEdit(this);
    cookie->setObjectName(u"pluginCookie"_s);
    cookie->setPlaceholderText(tr("go-plugin cookie KEY=VALUE"));
    cookie->setClearButtonEnabled(true);
    toolbar->addWidget(cookie);
    connect(cookie, &QLineEdit::editingFinished, this, [this, cookie] {
        const QString text = cookie->text().trimmed();
        const qsizetype eq = text.indexOf(u'=');
        if (eq > 0)
            m_actions->setPluginCookie(text.left(eq), text.mid(eq + 1));
        else
            m_actions->setPluginCookie({}, {});
    });

    m_table = new QTableView(this);
    m_table->setModel(m_model);
    new EmptyHint(m_table, nullptr, [] {
        return tr("No plugin loaded. Load file… or Load directory… inspects shared objects in a "
                  "sacrificial regscope-loader process; Load crashing plugin shows what happens "
                  "when one segfaults.");
    });
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->verticalHeader()->setVisible(false);
    installTableActions(m_table, 0); // copy, Copy as / Save as CSV or JSON
    useStateColours(m_table);

    m_headline = new QLabel(this);
    m_headline->setObjectName(u"verdictHeadline"_s);
    m_headline->setWordWrap(true);
    m_headline->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_retry = new QPushButton(tr("Retry"), this);
    m_retryLonger = new QPushButton(tr("Retry with longer deadline"), this);
    m_retryLonger->setObjectName(u"retryLonger"_s);
    m_copy = new QPushButton(tr("Copy report"), this);
    auto* verdictButtons = new QHBoxLayout;
    for (QPushButton* b : {m_retry, m_retryLonger, m_copy})
        verdictButtons->addWidget(b);
    verdictButtons->addStretch();

    m_details = new QTextBrowser(this);
    m_details->setObjectName(u"pluginDetails"_s);

    m_invokeName = new QComboBox(this);
    m_payload = new QLineEdit(this);
    m_payload->setObjectName(u"invokePayload"_s);
    m_payload->setPlaceholderText(tr("payload (text)"));
    auto* payloadFile = new QPushButton(tr("From file…"), this);
    m_invoke = new QPushButton(tr("Invoke"), this);
    auto* invokeRow = new QHBoxLayout;
    invokeRow->addWidget(m_invokeName);
    invokeRow->addWidget(m_payload, 1);
    invokeRow->addWidget(payloadFile);
    invokeRow->addWidget(m_invoke);
    m_output = new QPlainTextEdit(this);
    m_output->setObjectName(u"invokeOutput"_s);
    m_output->setReadOnly(true);
    m_output->setMaximumBlockCount(2000);

    m_review = new ReloadReview(
        m_actions,
        [this] {
            return std::pair{m_invokeName->currentText(), m_payload->text().toUtf8()};
        },
        this);

    auto* right = new QWidget(this);
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addWidget(m_headline);
    rightLayout->addLayout(verdictButtons);
    rightLayout->addWidget(m_review, 2);
    rightLayout->addWidget(m_details, 3);
    rightLayout->addLayout(invokeRow);
    rightLayout->addWidget(m_output, 1);

    auto* splitter = new QSplitter(this);
    splitter->addWidget(m_table);
    splitter->addWidget(right);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 3);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(toolbar);
    layout->addWidget(splitter, 1);

    connect(loadFile, &QPushButton::clicked, this, &PluginsPanel::chooseFile);
    connect(loadDir, &QPushButton::clicked, this, &PluginsPanel::chooseDirectory);
    connect(m_demoAll, &QPushButton::clicked, this,
            [this] { m_actions->loadDirectory(m_demoDirectory); });
    connect(m_demoCrash, &QPushButton::clicked, this, &PluginsPanel::loadDemoCrash);
    connect(m_reload, &QPushButton::clicked, this, [this] {
        if (const QString p = selectedPath(); !p.isEmpty())
            m_actions->reload(p);
    });
    connect(m_unload, &QPushButton::clicked, this, [this] {
        if (const QString p = selectedPath(); !p.isEmpty())
            m_actions->unload(p);
    });
    connect(m_retry, &QPushButton::clicked, this, [this] {
        if (const QString p = selectedPath(); !p.isEmpty())
            m_actions->retry(p, false);
    });
    connect(m_retryLonger, &QPushButton::clicked, this, [this] {
        if (const QString p = selectedPath(); !p.isEmpty())
            m_actions->retry(p, true);
    });
    connect(m_copy, &QPushButton::clicked, this,
            [this] { QGuiApplication::clipboard()->setText(reportText()); });
    connect(payloadFile, &QPushButton::clicked, this, &PluginsPanel::choosePayloadFile);
    connect(m_invoke, &QPushButton::clicked, this, &PluginsPanel::invokeSelected);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &PluginsPanel::refreshDetails);
    connect(m_model, &PluginModel::rowDetailsChanged, this, [this](const QString& path) {
        if (path == selectedPath())
            refreshDetails();
    });
    connect(m_model, &QAbstractItemModel::dataChanged, this, [this](const QModelIndex& from) {
        if (from.row() == m_table->currentIndex().row())
            refreshDetails();
    });
    // A newly added plugin becomes the selection, so a one-click load shows its verdict.
    connect(m_model, &QAbstractItemModel::rowsInserted, this,
            [this](const QModelIndex&, int, int last) { m_table->selectRow(last); });
    refreshDetails();
}

void PluginsPanel::setDemoDirectory(const QString& directory) {
    m_demoDirectory = directory;
    m_demoAll->setVisible(!directory.isEmpty());
    m_demoCrash->setVisible(!directory.isEmpty());
}

void PluginsPanel::loadDemoCrash() {
    if (!m_demoDirectory.isEmpty())
        m_actions->loadFile(m_demoDirectory + u"/fault_ctor_segv.so"_s);
}

QString PluginsPanel::selectedPath() const {
    const PluginRow* row = m_model->row(m_table->currentIndex().row());
    return row ? row->path : QString();
}

void PluginsPanel::selectPath(const QString& path) {
    const int r = m_model->rowOf(path);
    if (r >= 0)
        m_table->selectRow(r);
}

QString PluginsPanel::reportText() const {
    const PluginRow* row = m_model->row(m_table->currentIndex().row());
    if (!row)
        return {};
    return QString::fromUtf8(QJsonDocument(row->verdict.toJson()).toJson(QJsonDocument::Indented));
}

void PluginsPanel::chooseFile() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Load plugin"), m_demoDirectory,
                                                      tr("Shared objects (*.so*);;All files (*)"));
    if (!path.isEmpty())
        m_actions->loadFile(path);
}

void PluginsPanel::chooseDirectory() {
    const QString dir =
        QFileDialog::getExistingDirectory(this, tr("Load plugin directory"), m_demoDirectory);
    if (!dir.isEmpty())
        m_actions->loadDirectory(dir);
}

void PluginsPanel::choosePayloadFile() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Payload file"));
    if (path.isEmpty())
        return;
    // Read off the GUI thread, bounded; the payload line shows it as base64-free text.
    auto* watcher = new QFutureWatcher<QByteArray>(this);
    connect(watcher, &QFutureWatcher<QByteArray>::finished, this, [this, watcher, path] {
        const QByteArray bytes = watcher->result();
        watcher->deleteLater();
        const PluginRow* row = m_model->find(selectedPath());
        if (!row || m_invokeName->currentText().isEmpty())
            return;
        m_output->appendPlainText(
            tr("→ %1 with %2 (%3 bytes)").arg(m_invokeName->currentText(), path).arg(bytes.size()));
        m_actions->invoke(row->path, m_invokeName->currentText(), bytes);
    });
    watcher->setFuture(QtConcurrent::run([path] {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return QByteArray();
        return file.read(kMaxPayloadFileBytes);
    }));
}

void PluginsPanel::invokeSelected() {
    const QString path = selectedPath();
    if (path.isEmpty() || m_invokeName->currentText().isEmpty())
        return;
    m_output->appendPlainText(
        tr("→ %1(\"%2\")").arg(m_invokeName->currentText(), m_payload->text()));
    m_actions->invoke(path, m_invokeName->currentText(), m_payload->text().toUtf8());
}

namespace {

// A facts list: "unknown (reason)" when the facts do not know it, "none" when it is empty.
QString factList(const PluginVerdict& v, const char* key, int limit = 200) {
    const QJsonValue value = v.facts.value(QLatin1StringView(key));
    if (!value.isArray()) {
        const QString why =
            v.facts.value("unknown"_L1).toObject().value(QLatin1StringView(key)).toString();
        return u"<i>unknown%1</i>"_s.arg(why.isEmpty() ? QString()
                                                       : u" (%1)"_s.arg(why.toHtmlEscaped()));
    }
    QStringList items;
    for (const auto& item : value.toArray())
        items << (item.isObject() ? u"%1 → %2"_s.arg(item.toObject().value("name"_L1).toString(),
                                                     item.toObject().value("path"_L1).toString())
                                  : item.toString());
    return listHtml(items, limit);
}

QString factText(const PluginVerdict& v, const char* key) {
    const QJsonValue value = v.facts.value(QLatin1StringView(key));
    if (value.isString())
        return value.toString().isEmpty() ? u"<i>none</i>"_s : value.toString().toHtmlEscaped();
    return u"<i>unknown</i>"_s;
}

QString missingHtml(const PluginVerdict& v) {
    const QJsonValue missing = v.facts.value("missing"_L1);
    if (!missing.isArray())
        return factList(v, "missing");
    if (missing.toArray().isEmpty())
        return u"<i>none: every needed library resolves</i>"_s;
    QStringList items;
    for (const auto& m : missing.toArray())
        items << u"%1 (needed by %2)"_s.arg(m.toObject().value("name"_L1).toString(),
                                            m.toObject().value("neededBy"_L1).toString());
    return listHtml(items);
}

QString framesHtml(const PluginVerdict& v) {
    QString html = u"<table>"_s;
    for (const auto& f : v.frames)
        html += u"<tr><td>%1</td><td><code>%2</code></td></tr>"_s.arg(
            f.culprit ? u"<b>culprit</b>"_s : QString(), f.text().toHtmlEscaped());
    return html + u"</table>"_s;
}

} // namespace

void PluginsPanel::refreshDetails() {
    const PluginRow* row = m_model->row(m_table->currentIndex().row());
    const bool have = row != nullptr;
    m_reload->setEnabled(have);
    m_unload->setEnabled(have && row->state == PluginState::Ready);
    m_copy->setEnabled(have);
    const bool failed =
        have && (row->state == PluginState::Crashed || row->state == PluginState::TimedOut ||
                 row->state == PluginState::Refused);
    m_retry->setVisible(failed);
    // A longer deadline helps only what ran out of time.
    m_retryLonger->setVisible(have && row->state == PluginState::TimedOut);
    m_review->setRow(row);
    if (!have) {
        m_headline->setText(tr("Load a plugin: it runs in its own regscope-loader process, so "
                               "a crash cannot take regscope down."));
        m_details->clear();
        m_invokeName->clear();
        return;
    }
    const PluginVerdict& v = row->verdict;
    const bool inFlight =
        row->state == PluginState::Verifying || row->state == PluginState::Loading;
    QString headline = inFlight ? u"%1 — stage `%2`"_s.arg(toString(row->state),
                                                           fromCodes(loader::codeName(row->stage)))
                                : v.headline();
    if (row->deterministic)
        headline += tr(" — the same crash twice: not retried automatically");
    else if (row->crashLoop)
        headline += tr(" — crash loop (%1 crashes within a minute): automatic retries stopped")
                        .arg(row->crashes);
    const ItemState state = failed                             ? ItemState::Crashed
                            : row->state == PluginState::Ready ? ItemState::Healthy
                                                               : ItemState::Normal;
    const QColor colour = theme::text(state);
    m_headline->setText(u"<b style='color:%1'>%2</b>"_s.arg(
        colour.isValid() ? colour.name() : palette().windowText().color().name(),
        headline.toHtmlEscaped()));
    m_details->setHtml(detailsHtml(*row));
    showInvokeResult(*row);
}

QString PluginsPanel::detailsHtml(const PluginRow& row) const {
    const PluginVerdict& v = row.verdict;
    const bool failed = row.state == PluginState::Crashed || row.state == PluginState::TimedOut ||
                        row.state == PluginState::Refused;
    QString html;
    const QString sha =
        v.facts.value("sha256"_L1).isString() ? v.facts.value("sha256"_L1).toString() : v.sha256;
    html += u"<p><b>%1</b><br>%2<br>%3</p>"_s.arg(
        row.path.toHtmlEscaped(), sha.isEmpty() ? u"sha256 unknown"_s : u"sha256 "_s + sha,
        v.kindDescription().toHtmlEscaped());
    if (!row.note.isEmpty())
        html += u"<p><i>%1</i></p>"_s.arg(row.note.toHtmlEscaped());
    html += u"<h4>Stages</h4><table>"_s;
    for (const auto& s : v.stages)
        html += u"<tr><td>%1</td><td>%2</td><td align=right>%3 ms</td></tr>"_s.arg(
            s.stage, s.ok ? u"ok"_s : u"<b>failed</b>"_s, QString::number(s.ms, 'f', 3));
    const bool stageListed =
        std::any_of(v.stages.begin(), v.stages.end(),
                    [&](const StageTiming& s) { return s.stage == v.stageName(); });
    if (failed && !stageListed)
        html += u"<tr><td>%1</td><td><b>%2</b></td><td></td></tr>"_s.arg(
            v.stageName().toHtmlEscaped(), toString(row.state).toLower());
    html += u"</table>"_s;
    const QString peak = v.peakRssKiB >= 0
                             ? u"%1 KiB"_s.arg(v.peakRssKiB)
                             : u"unknown (%1)"_s.arg(v.rusageUnknown.isEmpty() ? u"not reported"_s
                                                                               : v.rusageUnknown);
    const QString cpu =
        v.cpuMs >= 0 ? u"%1 ms"_s.arg(QString::number(v.cpuMs, 'f', 1)) : u"unknown"_s;
    html += u"<p>%1 ms from spawn to verdict; the loader's own peak RSS %2, CPU %3</p>"_s.arg(
        QString::number(v.wallMs, 'f', 2), peak.toHtmlEscaped(), cpu);
    if (row.calls.calls > 0)
        html += u"<p>calls %1, errors %2, latency p50 ≤ %3 ms, p99 ≤ %4 ms (histogram bucket "
                "bounds), restarts %5</p>"_s.arg(row.calls.calls)
                    .arg(row.calls.errors)
                    .arg(row.calls.quantileMs(0.5))
                    .arg(row.calls.quantileMs(0.99))
                    .arg(row.calls.restarts);
    if (v.signal || v.exitStatus >= 0) {
        html += u"<h4>How the loader ended</h4><p>"_s;
        html += v.signal ? u"signal %1 (%2)"_s.arg(v.signal).arg(signalName(v.signal))
                         : u"exit status %1"_s.arg(v.exitStatus);
        if (!v.stderrReading.isEmpty())
            html += u"<br>stderr says: %1"_s.arg(v.stderrReading.toHtmlEscaped());
        html += u"</p>"_s;
        if (!v.frames.empty())
            html += u"<h4>Backtrace</h4>"_s + framesHtml(v);
    }
    html += u"<h4>Registrations</h4>"_s;
    if (v.registrations.empty()) {
        html += u"<i>none</i>"_s;
    } else {
        html += u"<table><tr><th>kind</th><th>name</th><th>version</th><th>process</th>"
                "<th></th><th>description</th></tr>"_s;
        for (const auto& r : v.registrations)
            html += u"<tr><td>%1</td><td>%2</td><td>%3</td><td>%4</td><td>%5</td><td>%6</td></tr>"_s
                        .arg(r.kind.toHtmlEscaped(), r.name.toHtmlEscaped(),
                             r.version.toHtmlEscaped(), r.hasProcess ? u"yes"_s : u"—"_s,
                             r.collision ? u"<b>collision</b>"_s : r.rejected.toHtmlEscaped(),
                             r.description.toHtmlEscaped());
        html += u"</table>"_s;
    }
    html += u"<h4>Signature</h4><p>%1</p>"_s.arg(
        v.signatureStatus.isEmpty() ? u"not checked"_s : v.signatureStatus.toHtmlEscaped());
    if (!v.blocked.isEmpty())
        html += u"<h4>Sandbox blocked</h4>"_s + listHtml(v.blocked);
    html += u"<h4>File</h4><p>%1 %2, %3; SONAME %4; build-id %5; interpreter %6</p>"_s.arg(
        factText(v, "elfClass"), factText(v, "machine"), factText(v, "elfType"),
        factText(v, "soname"), factText(v, "buildId"), factText(v, "interpreter"));
    html += u"<h4>Needed libraries</h4>"_s + factList(v, "needed");
    html += u"<h4>Missing libraries</h4>"_s + missingHtml(v);
    html +=
        u"<h4>RPATH / RUNPATH</h4>"_s + factList(v, "rpath") + u"<br>"_s + factList(v, "runpath");
    html += u"<h4>Exported symbols</h4>"_s + factList(v, "exports");
    html += u"<h4>Undefined symbols (with required versions)</h4>"_s + factList(v, "undefined");
    if (v.symbolsTruncated)
        html += u"<p><i>symbol lists truncated</i></p>"_s;
    html += u"<h4>stderr tail</h4><pre>%1</pre>"_s.arg(v.stderrTail.right(4000).toHtmlEscaped());
    return html;
}

void PluginsPanel::showInvokeResult(const PluginRow& row) {
    const PluginVerdict& v = row.verdict;
    if (row.hasInvoke) {
        const InvokeResult& r = row.lastInvoke;
        const QString key = u"%1#%2"_s.arg(r.name).arg(r.id);
        if (m_output->property("lastInvoke").toString() != key + row.path) {
            m_output->setProperty("lastInvoke", QString(key + row.path));
            m_output->appendPlainText(
                r.ok ? tr("← %1: %2 (%3 ms round trip)")
                           .arg(r.name, QString::fromUtf8(r.output.left(4096)),
                                QString::number(r.roundTripMs, 'f', 2))
                     : tr("← %1 failed [%2]: %3").arg(r.name, r.errorCode, r.message));
        }
    }
    const QString current = m_invokeName->currentText();
    m_invokeName->clear();
    for (const auto& r : v.registrations)
        if (r.hasProcess)
            m_invokeName->addItem(r.name);
    if (const int i = m_invokeName->findText(current); i >= 0)
        m_invokeName->setCurrentIndex(i);
    m_invoke->setEnabled(row.state == PluginState::Ready && m_invokeName->count() > 0);
}

} // namespace regscope
