#include "StatusHeader.h"

#include "DaemonConnection.h"
#include "Icons.h"
#include "StatusSummary.h"

#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
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

StatusHeader::StatusHeader(DaemonConnection *connection, QWidget *parent) : QWidget(parent), m_connection(connection)
{
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
    m_enterprise = valueLabel(QStringLiteral("enterpriseState"), this);
    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(tr("Daemon:"), m_daemon);
    form->addRow(tr("Keychain:"), m_keychain);
    form->addRow(tr("Configuration:"), m_config);
    form->addRow(tr("Enterprise:"), m_enterprise);
    m_form = form;

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(10);
    layout->addLayout(header);
    layout->addLayout(form);

    connect(m_connection, &DaemonConnection::stateChanged, this, &StatusHeader::refresh);
    connect(m_connection, &DaemonConnection::statusChanged, this, &StatusHeader::refresh);
    connect(m_connection, &DaemonConnection::serversChanged, this, &StatusHeader::refresh);
    refresh();
}

void StatusHeader::refresh()
{
    const StatusSummary summary = StatusSummary::of(*m_connection);
    m_icon->setPixmap(Icons::forHealth(summary.health).pixmap(48, 48));
    m_headline->setText(summary.headline);
    m_daemon->setText(summary.daemon);
    m_daemon->setToolTip(summary.detail);
    m_keychain->setText(summary.keychain);
    m_config->setText(summary.config);
    m_enterprise->setText(summary.enterprise);
    m_form->setRowVisible(m_enterprise, !summary.enterprise.isEmpty()); // only where a policy is deployed
    m_serversSummary->setText(summary.servers);
}

} // namespace latchkey::tray
