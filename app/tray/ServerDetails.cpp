#include "ServerDetails.h"

#include "ServerListModel.h"

#include <QDateTime>
#include <QFormLayout>
#include <QLabel>
#include <QLocale>
#include <QVBoxLayout>

namespace latchkey::tray {

ServerDetails::ServerDetails(QWidget *parent) : QWidget(parent)
{
    m_title = new QLabel(this);
    m_title->setObjectName(QStringLiteral("detailTitle"));
    m_title->setTextFormat(Qt::PlainText);
    m_title->setWordWrap(true);
    QFont bold = m_title->font();
    bold.setBold(true);
    bold.setPointSizeF(bold.pointSizeF() * 1.2);
    m_title->setFont(bold);

    m_form = new QFormLayout;
    m_form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_form->setRowWrapPolicy(QFormLayout::WrapLongRows);
    addRow(tr("Rung:"), QStringLiteral("detailRung"));
    addRow(tr("URL or command:"), QStringLiteral("detailTarget"));
    addRow(tr("Resource:"), QStringLiteral("detailResource"));
    addRow(tr("Authorization server:"), QStringLiteral("detailIssuer"));
    addRow(tr("Scopes:"), QStringLiteral("detailScopes"));
    addRow(tr("State:"), QStringLiteral("detailState"));
    addRow(tr("Token expires:"), QStringLiteral("detailExpiry"));
    addRow(tr("Last used:"), QStringLiteral("detailLastUsed"));
    addRow(tr("Environment:"), QStringLiteral("detailEnvironment"));
    addRow(tr("Headers:"), QStringLiteral("detailHeaders"));
    addRow(tr("Apps with access:"), QStringLiteral("detailApps"));

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_title);
    layout->addLayout(m_form);
    layout->addStretch(1);
    setServer(std::nullopt, 0);
}

QLabel *ServerDetails::addRow(const QString &label, const QString &objectName)
{
    auto *value = new QLabel(this);
    value->setObjectName(objectName);
    value->setTextFormat(Qt::PlainText);
    value->setWordWrap(true);
    value->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    m_form->addRow(label, value);
    m_values.append(value);
    return value;
}

QString ServerDetails::value(const QString &field) const
{
    for (QLabel *label : m_values) {
        if (label->objectName() == field) {
            return m_form->isRowVisible(label) ? label->text() : QString();
        }
    }
    return field == m_title->objectName() ? m_title->text() : QString();
}

void ServerDetails::setServer(const std::optional<ServerInfo> &server, qint64 now)
{
    const auto set = [this](const char *field, const QString &text) {
        for (QLabel *label : std::as_const(m_values)) {
            if (label->objectName() == QLatin1String(field)) {
                label->setText(text);
                m_form->setRowVisible(label, !text.isEmpty());
            }
        }
    };
    if (!server) {
        m_title->setText(tr("Select a server to see its details."));
        for (QLabel *label : std::as_const(m_values)) {
            label->clear();
            m_form->setRowVisible(label, false);
        }
        return;
    }
    const ServerInfo &s = *server;
    m_title->setText(s.name);
    set("detailRung", ServerListModel::rungText(s.rung));
    set("detailTarget", ServerListModel::targetText(s));
    set("detailResource", s.isRemote() ? s.resource : QString());
    set("detailIssuer", s.issuer);
    set("detailScopes", s.scopes.join(QLatin1Char(' ')));
    const QString state = ServerListModel::stateText(s);
    set("detailState", s.grantReason.isEmpty() ? state : tr("%1 (%2)").arg(state, s.grantReason));
    const auto moment = [now](qint64 when) {
        return tr("%1 (%2)").arg(ServerListModel::relativeTime(when, now),
                                 QLocale().toString(QDateTime::fromSecsSinceEpoch(when), QLocale::ShortFormat));
    };
    set("detailExpiry", s.expiresAt > 0 ? moment(s.expiresAt) : QString());
    set("detailLastUsed", s.lastUsedAt > 0 ? moment(s.lastUsedAt) : tr("not since the daemon started"));
    QStringList env;
    for (const ServerInfo::EnvBinding &binding : s.env) {
        env.append(binding.present ? tr("%1 ← %2 (%3, stored)").arg(binding.variable, binding.key, binding.source)
                                   : tr("%1 ← %2 (%3, missing)").arg(binding.variable, binding.key, binding.source));
    }
    set("detailEnvironment", env.join(QLatin1Char('\n')));
    QStringList headers;
    for (const ServerInfo::HeaderBinding &binding : s.headers) {
        headers.append(binding.present ? tr("%1 ← %2 (secret, stored)").arg(binding.header, binding.key)
                                       : tr("%1 ← %2 (secret, missing)").arg(binding.header, binding.key));
    }
    set("detailHeaders", headers.join(QLatin1Char('\n')));
    set("detailApps", s.apps.join(QLatin1Char('\n')));
}

} // namespace latchkey::tray
