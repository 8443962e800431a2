#include "views/plugins/ReloadReview.h"

#include "models/plugins/PluginActions.h"
#include "models/plugins/PluginModel.h"
#include "views/Theme.h"

#include <QFile>
#include <QFileDialog>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

using namespace Qt::StringLiterals;

namespace regscope {
namespace {

constexpr qint64 kMaxPayloadFileBytes = 4 << 20;

QString answerText(const InvokeResult& r, bool answered) {
    if (!answered)
        return QObject::tr("waiting…");
    if (!r.ok)
        return u"[%1] %2"_s.arg(r.errorCode, r.message);
    const QString text = QString::fromUtf8(r.output.left(200));
    return text.toUtf8() == r.output.left(200)
               ? text
               : u"0x"_s + QString::fromLatin1(r.output.left(64).toHex());
}

} // namespace

ReloadReview::ReloadReview(PluginActions* actions,
                           std::function<std::pair<QString, QByteArray>()> typed, QWidget* parent)
    : QGroupBox(tr("Reload waiting for review"), parent)
    , m_actions(actions)
    , m_typed(std::move(typed)) {
    setObjectName(u"reloadReview"_s);
    m_summary = new QLabel(this);
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_accept = new QPushButton(tr("Accept: switch to the new build"), this);
    m_accept->setObjectName(u"acceptReload"_s);
    m_discard = new QPushButton(tr("Discard"), this);
    m_discard->setObjectName(u"discardReload"_s);
    m_shadow = new QPushButton(tr("Shadow the payload"), this);
    m_shadow->setObjectName(u"shadowPayload"_s);
    m_shadow->setToolTip(tr("Send the method and payload of the invoke row to both builds"));
    m_shadowFile = new QPushButton(tr("Shadow a file…"), this);
    m_replay = new QPushButton(this);
    m_replay->setObjectName(u"shadowReplay"_s);
    auto* buttons = new QHBoxLayout;
    for (QPushButton* b : {m_accept, m_discard, m_shadow, m_shadowFile, m_replay})
        buttons->addWidget(b);
    buttons->addStretch();
    m_table = new QTableWidget(0, 4, this);
    m_table->setObjectName(u"shadowResults"_s);
    m_table->setHorizontalHeaderLabels(
        {tr("Method (bytes)"), tr("Running build"), tr("New build"), tr("Verdict")});
    m_table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(2, QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(3, QHeaderView::ResizeToContents);
    m_table->verticalHeader()->setVisible(false);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setMinimumHeight(90);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    layout->addLayout(buttons);
    layout->addWidget(m_table);

    connect(m_accept, &QPushButton::clicked, this, [this] { m_actions->acceptReload(m_path); });
    connect(m_discard, &QPushButton::clicked, this, [this] { m_actions->discardReload(m_path); });
    connect(m_replay, &QPushButton::clicked, this, [this] { m_actions->shadowReplay(m_path); });
    connect(m_shadow, &QPushButton::clicked, this, [this] {
        const auto [name, payload] = m_typed();
        if (!name.isEmpty())
            m_actions->shadowInvoke(m_path, name, payload);
    });
    connect(m_shadowFile, &QPushButton::clicked, this, &ReloadReview::shadowFile);
    setVisible(false);
}

void ReloadReview::shadowFile() {
    const QString name = m_typed().first;
    if (name.isEmpty())
        return;
    const QString file = QFileDialog::getOpenFileName(this, tr("Payload file for both builds"));
    if (file.isEmpty())
        return;
    // Read off the GUI thread, bounded.
    auto* watcher = new QFutureWatcher<QByteArray>(this);
    connect(watcher, &QFutureWatcher<QByteArray>::finished, this,
            [this, watcher, name, path = m_path] {
                watcher->deleteLater();
                if (path == m_path)
                    m_actions->shadowInvoke(path, name, watcher->result());
            });
    watcher->setFuture(QtConcurrent::run([file] {
        QFile f(file);
        return f.open(QIODevice::ReadOnly) ? f.read(kMaxPayloadFileBytes) : QByteArray();
    }));
}

void ReloadReview::setRow(const PluginRow* row) {
    const ReloadCandidate* c = row ? row->candidate.get() : nullptr;
    setVisible(c != nullptr);
    if (!c) {
        m_path.clear();
        return;
    }
    m_path = row->path;
    QString changes = c->diff;
    if (changes.startsWith(u"reloaded: "_s))
        changes = changes.mid(10);
    QString text =
        changes.isEmpty()
            ? tr("The new build is loaded beside the running one; nothing visible "
                 "changed.")
            : tr("The new build is loaded beside the running one. It changes: %1.").arg(changes);
    if (c->crashed)
        text = tr("The new build ended while waiting: %1. The running build stays; discard it.")
                   .arg(c->verdict.headline());
    else if (!c->shadow.empty())
        text +=
            tr(" Shadow: %1 of %2 answers diverge.").arg(c->divergences()).arg(c->shadow.size());
    m_summary->setText(text);
    m_accept->setEnabled(!c->crashed);
    m_shadow->setEnabled(!c->crashed);
    m_shadowFile->setEnabled(!c->crashed);
    m_replay->setEnabled(!c->crashed && row->recordedPayloads > 0);
    m_replay->setText(row->recordedPayloads > 0
                          ? tr("Replay %n recent invoke(s)", nullptr, row->recordedPayloads)
                          : tr("No recent invokes to replay"));

    m_table->setRowCount(int(c->shadow.size()));
    for (int i = 0; i < int(c->shadow.size()); ++i) {
        const ShadowResult& r = c->shadow[std::size_t(i)];
        const QString verdict = !r.done()      ? tr("waiting")
                                : r.diverged() ? tr("diverged")
                                               : tr("same");
        const QStringList cells = {u"%1 (%2)"_s.arg(r.name).arg(r.payloadBytes),
                                   answerText(r.before, r.beforeAnswered),
                                   answerText(r.after, r.afterAnswered), verdict};
        const ItemState state = !r.done()      ? ItemState::Unknown
                                : r.diverged() ? ItemState::Warning
                                               : ItemState::Healthy;
        for (int col = 0; col < cells.size(); ++col) {
            auto* item = new QTableWidgetItem(cells[col]);
            if (const QColor fg = theme::text(state); fg.isValid() && col == 3)
                item->setForeground(fg);
            if (const QColor bg = theme::background(state); bg.isValid())
                item->setBackground(bg);
            m_table->setItem(i, col, item);
        }
    }
    if (!c->shadow.empty())
        m_table->scrollToBottom();
}

} // namespace regscope
