#include "StatusWindow.h"

#include "DaemonConnection.h"
#include "Icons.h"
#include "ServerListModel.h"
#include "StatusSummary.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QStackedWidget>
#include <QTableView>
#include <QVBoxLayout>

namespace latchkey::tray {

namespace {

QLabel *valueLabel(const QString &objectName, QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setObjectName(objectName);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setTextFormat(Qt::PlainText);
    return label;
}

} // namespace

StatusWindow::StatusWindow(DaemonConnection *connection, ServerListModel *model, QWidget *parent)
    : QWidget(parent), m_connection(connection), m_model(model)
{
    setWindowTitle(tr("Latchkey"));
    setWindowIcon(Icons::application());

    m_icon = new QLabel(this);
    m_icon->setObjectName(QStringLiteral("healthIcon"));
    m_icon->setFixedSize(48, 48);
    m_headline = new QLabel(this);
    m_headline->setObjectName(QStringLiteral("headline"));
    m_headline->setTextFormat(Qt::PlainText);
    QFont headlineFont = m_headline->font();
    headlineFont.setPointSizeF(headlineFont.pointSizeF() * 1.4);
    headlineFont.setBold(true);
    m_headline->setFont(headlineFont);
    m_serversSummary = valueLabel(QStringLiteral("serversSummary"), this);

    auto *titleColumn = new QVBoxLayout;
    titleColumn->setSpacing(2);
    titleColumn->addWidget(m_headline);
    titleColumn->addWidget(m_serversSummary);
    auto *header = new QHBoxLayout;
    header->setSpacing(12);
    header->addWidget(m_icon, 0, Qt::AlignTop);
    header->addLayout(titleColumn, 1);

    m_daemon = valueLabel(QStringLiteral("daemonState"), this);
    m_keychain = valueLabel(QStringLiteral("keychainState"), this);
    m_config = valueLabel(QStringLiteral("configState"), this);
    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(tr("Daemon:"), m_daemon);
    form->addRow(tr("Keychain:"), m_keychain);
    form->addRow(tr("Configuration:"), m_config);

    auto *serversTitle = new QLabel(tr("Servers"), this);
    QFont sectionFont = serversTitle->font();
    sectionFont.setBold(true);
    serversTitle->setFont(sectionFont);

    m_serversView = new QTableView(this);
    m_serversView->setObjectName(QStringLiteral("serversView"));
    m_serversView->setModel(m_model);
    m_serversView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_serversView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_serversView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_serversView->setAlternatingRowColors(true);
    m_serversView->setShowGrid(false);
    m_serversView->setWordWrap(false);
    m_serversView->setTextElideMode(Qt::ElideMiddle);
    m_serversView->verticalHeader()->hide();
    QHeaderView *columns = m_serversView->horizontalHeader();
    columns->setHighlightSections(false);
    columns->setSectionResizeMode(ServerListModel::NameColumn, QHeaderView::ResizeToContents);
    columns->setSectionResizeMode(ServerListModel::KindColumn, QHeaderView::ResizeToContents);
    columns->setSectionResizeMode(ServerListModel::CommandColumn, QHeaderView::Stretch);
    columns->setSectionResizeMode(ServerListModel::SecretsColumn, QHeaderView::ResizeToContents);

    m_emptyServers = new QLabel(this);
    m_emptyServers->setObjectName(QStringLiteral("emptyServers"));
    m_emptyServers->setAlignment(Qt::AlignCenter);
    m_emptyServers->setWordWrap(true);
    m_emptyServers->setTextFormat(Qt::PlainText);
    m_emptyServers->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_emptyServers->setForegroundRole(QPalette::PlaceholderText);

    m_serversStack = new QStackedWidget(this);
    m_serversStack->addWidget(m_serversView);
    m_serversStack->addWidget(m_emptyServers);

    m_refresh = new QPushButton(tr("&Refresh"), this);
    m_refresh->setObjectName(QStringLiteral("refreshButton"));
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    buttons->addButton(m_refresh, QDialogButtonBox::ActionRole);
    connect(buttons, &QDialogButtonBox::rejected, this, &QWidget::close);
    // Start on the buttons, not inside the table (which would outline its first cell).
    buttons->button(QDialogButtonBox::Close)->setFocus();
    connect(m_refresh, &QPushButton::clicked, m_connection, &DaemonConnection::refreshOrReconnect);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(16, 16, 16, 12);
    layout->setSpacing(10);
    layout->addLayout(header);
    layout->addLayout(form);
    layout->addSpacing(4);
    layout->addWidget(serversTitle);
    layout->addWidget(m_serversStack, 1);
    layout->addWidget(buttons);

    connect(m_connection, &DaemonConnection::stateChanged, this, &StatusWindow::updateStatus);
    connect(m_connection, &DaemonConnection::statusChanged, this, &StatusWindow::updateStatus);
    connect(m_connection, &DaemonConnection::serversChanged, this, &StatusWindow::updateStatus);
    connect(m_model, &QAbstractItemModel::modelReset, this, &StatusWindow::updateServers);
    connect(m_model, &QAbstractItemModel::dataChanged, this, &StatusWindow::updateServers);

    resize(760, 420);
    updateStatus();
    updateServers();
}

void StatusWindow::present()
{
    show();
    setWindowState((windowState() & ~Qt::WindowMinimized) | Qt::WindowActive);
    raise();
    activateWindow();
}

void StatusWindow::updateStatus()
{
    const StatusSummary summary = StatusSummary::of(*m_connection);
    m_icon->setPixmap(Icons::forHealth(summary.health).pixmap(48, 48));
    m_headline->setText(summary.headline);
    m_daemon->setText(summary.daemon);
    m_daemon->setToolTip(summary.detail);
    m_keychain->setText(summary.keychain);
    m_config->setText(summary.config);
    m_serversSummary->setText(summary.servers);
    m_refresh->setText(m_connection->state() == DaemonConnection::State::Connected ? tr("&Refresh") : tr("&Reconnect"));
    updateServers();
}

void StatusWindow::updateServers()
{
    const bool empty = m_model->rowCount() == 0;
    if (empty) {
        m_emptyServers->setText(m_connection->state() == DaemonConnection::State::Connected
                                    ? tr("No servers yet.\nAdd one with: latchkey add stdio NAME -- COMMAND")
                                    : tr("The server list appears once the daemon is running."));
    }
    m_serversStack->setCurrentWidget(empty ? static_cast<QWidget *>(m_emptyServers) : m_serversView);
}

} // namespace latchkey::tray
