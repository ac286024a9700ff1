#include "ServerListModel.h"

#include "Icons.h"

#include <QRegularExpression>

#include <algorithm>

namespace latchkey::tray {

namespace {

bool sameRow(const ServerInfo &a, const ServerInfo &b)
{
    return a.name == b.name;
}

} // namespace

ServerListModel::ServerListModel(QObject *parent) : QAbstractTableModel(parent) {}

void ServerListModel::setServers(const QList<ServerInfo> &servers)
{
    // Same names in the same order (the usual refresh after a secret changed): update in place.
    const bool sameShape =
        servers.size() == m_servers.size() && std::equal(servers.begin(), servers.end(), m_servers.begin(), sameRow);
    if (sameShape) {
        m_servers = servers;
        if (!m_servers.isEmpty()) {
            Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
        }
        return;
    }
    beginResetModel();
    m_servers = servers;
    endResetModel();
}

void ServerListModel::setServersFromJson(const ipc::Json &result)
{
    setServers(ServerInfo::listFromJson(result));
}

int ServerListModel::rowOf(const QString &name) const
{
    for (qsizetype row = 0; row < m_servers.size(); ++row) {
        if (m_servers.at(row).name == name) {
            return static_cast<int>(row);
        }
    }
    return -1;
}

int ServerListModel::serversMissingSecrets() const
{
    return static_cast<int>(std::count_if(m_servers.begin(), m_servers.end(),
                                          [](const ServerInfo &s) { return !s.missingSecrets().isEmpty(); }));
}

int ServerListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_servers.size());
}

int ServerListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ServerListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const ServerInfo &server = m_servers.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case NameColumn:
            return server.name;
        case KindColumn:
            return kindText(server);
        case CommandColumn:
            return displayCommand(server.command);
        case SecretsColumn:
            return secretsText(server);
        default:
            return {};
        }
    case Qt::ToolTipRole:
        if (index.column() == CommandColumn) {
            return displayCommand(server.command);
        }
        if (index.column() == SecretsColumn) {
            return secretsToolTip(server);
        }
        return {};
    case Qt::DecorationRole:
        if (index.column() == SecretsColumn && !server.missingSecrets().isEmpty()) {
            return Icons::attentionMark();
        }
        return {};
    case MissingSecretsRole:
        return server.missingSecrets();
    case ServerNameRole:
        return server.name;
    default:
        return {};
    }
}

QVariant ServerListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) {
        return QAbstractTableModel::headerData(section, orientation, role);
    }
    switch (section) {
    case NameColumn:
        return tr("Name");
    case KindColumn:
        return tr("Kind");
    case CommandColumn:
        return tr("Command");
    case SecretsColumn:
        return tr("Secrets");
    default:
        return {};
    }
}

QString ServerListModel::kindText(const ServerInfo &server) const
{
    if (server.kind == QStringLiteral("stdio")) {
        return tr("local (stdio)");
    }
    return server.kind;
}

QString ServerListModel::secretsText(const ServerInfo &server) const
{
    const int required = server.requiredSecretCount();
    if (required == 0) {
        return tr("none needed");
    }
    const QStringList missing = server.missingSecrets();
    if (missing.isEmpty()) {
        return tr("%n stored", nullptr, required);
    }
    return tr("missing: %1").arg(missing.join(QStringLiteral(", ")));
}

QString ServerListModel::secretsToolTip(const ServerInfo &server) const
{
    if (server.env.isEmpty()) {
        return tr("This server gets no secrets in its environment.");
    }
    QStringList lines;
    for (const ServerInfo::EnvBinding &binding : server.env) {
        lines.append(binding.present ? tr("%1 ← %2 (stored)").arg(binding.variable, binding.key)
                                     : tr("%1 ← %2 (missing: run latchkey secret set %3 %2)")
                                           .arg(binding.variable, binding.key, server.name));
    }
    return lines.join(QLatin1Char('\n'));
}

QString ServerListModel::displayCommand(const QStringList &command)
{
    static const QRegularExpression needsQuotes(QStringLiteral(R"([\s'"\\$`!*?;&|<>()#~])"));
    QStringList parts;
    parts.reserve(command.size());
    for (const QString &arg : command) {
        if (arg.isEmpty()) {
            parts.append(QStringLiteral("''"));
        } else if (arg.contains(needsQuotes)) {
            QString quoted = arg;
            quoted.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
            parts.append(QLatin1Char('\'') + quoted + QLatin1Char('\''));
        } else {
            parts.append(arg);
        }
    }
    return parts.join(QLatin1Char(' '));
}

} // namespace latchkey::tray
