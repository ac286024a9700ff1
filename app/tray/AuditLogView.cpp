#include "AuditLogView.h"

#include "DaemonConnection.h"
#include "JsonFields.h"

#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPointer>
#include <QSortFilterProxyModel>
#include <QStandardItemModel>
#include <QTableView>
#include <QVBoxLayout>

namespace latchkey::tray {

namespace {

constexpr int kEntries = 2000;

// The fields other than time, event and server, as "key=value" (values are never secrets: the daemon
// hashes ids before it writes them).
QString details(const ipc::Json &entry)
{
    QStringList parts;
    for (auto it = entry.begin(); it != entry.end(); ++it) {
        if (it.key() == "ts" || it.key() == "event" || it.key() == "server") {
            continue;
        }
        const QString value =
            it->is_string() ? QString::fromStdString(it->get<std::string>()) : QString::fromStdString(it->dump());
        parts.append(QStringLiteral("%1=%2").arg(QString::fromStdString(it.key()), value));
    }
    return parts.join(QStringLiteral("  "));
}

} // namespace

AuditLogView::AuditLogView(DaemonConnection *connection, QWidget *parent) : QWidget(parent), m_connection(connection)
{
    m_filter = new QLineEdit(this);
    m_filter->setObjectName(QStringLiteral("auditFilter"));
    m_filter->setPlaceholderText(tr("Filter: server, event, app…"));
    m_filter->setClearButtonEnabled(true);
    auto *filterLabel = new QLabel(tr("&Filter:"), this);
    filterLabel->setBuddy(m_filter);
    m_count = new QLabel(this);
    m_count->setObjectName(QStringLiteral("auditCount"));

    m_model = new QStandardItemModel(0, ColumnCount, this);
    m_model->setHorizontalHeaderLabels({tr("Time"), tr("Event"), tr("Server"), tr("Details")});
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_model);
    m_proxy->setFilterKeyColumn(-1);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);

    m_view = new QTableView(this);
    m_view->setObjectName(QStringLiteral("auditView"));
    m_view->setModel(m_proxy);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setAlternatingRowColors(true);
    m_view->setShowGrid(false);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_view->horizontalHeader()->setStretchLastSection(true);

    connect(m_filter, &QLineEdit::textChanged, this, [this](const QString &text) {
        m_proxy->setFilterFixedString(text);
        m_count->setText(tr("%1 of %2 entries").arg(visibleRows()).arg(loadedRows()));
    });

    auto *top = new QHBoxLayout;
    top->addWidget(filterLabel);
    top->addWidget(m_filter, 1);
    top->addWidget(m_count);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_view, 1);
    setFocusProxy(m_filter);
}

int AuditLogView::visibleRows() const
{
    return m_proxy->rowCount();
}

int AuditLogView::loadedRows() const
{
    return m_model->rowCount();
}

void AuditLogView::focusFilter()
{
    m_filter->setFocus(Qt::ShortcutFocusReason);
    m_filter->selectAll();
}

void AuditLogView::reload()
{
    const quint64 request = ++m_request;
    QPointer<AuditLogView> self(this);
    m_connection->call("audit.list", {{"limit", kEntries}}, [self, request](const ipc::Response &response) {
        if (!self || request != self->m_request) {
            return; // a newer reload is on its way
        }
        if (!response.ok()) {
            self->m_count->setText(
                tr("cannot read the audit log: %1").arg(QString::fromStdString(response.errorMessage)));
            Q_EMIT self->loaded();
            return;
        }
        const ipc::Json entries = JsonFields::array(response.result, "entries");
        self->m_model->removeRows(0, self->m_model->rowCount());
        // Newest first.
        for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
            if (!it->is_object()) {
                continue; // lenient, as every reader of the daemon's replies: skip what is not a record
            }
            const QDateTime when = QDateTime::fromString(JsonFields::string(*it, "ts"), Qt::ISODateWithMs);
            QList<QStandardItem *> row{
                new QStandardItem(when.isValid()
                                      ? QLocale().toString(when.toLocalTime(), QStringLiteral("yyyy-MM-dd HH:mm:ss"))
                                      : JsonFields::string(*it, "ts")),
                new QStandardItem(JsonFields::string(*it, "event")),
                new QStandardItem(JsonFields::string(*it, "server")),
                new QStandardItem(details(*it)),
            };
            self->m_model->appendRow(row);
        }
        self->m_count->setText(tr("%1 of %2 entries").arg(self->visibleRows()).arg(self->loadedRows()));
        Q_EMIT self->loaded();
    });
}

} // namespace latchkey::tray
