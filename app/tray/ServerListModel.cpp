#include "ServerListModel.h"

#include "Icons.h"

#include <QDateTime>
#include <QFileInfo>
#include <QLocale>
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

const ServerInfo *ServerListModel::serverAt(int row) const
{
    return row >= 0 && row < m_servers.size() ? &m_servers.at(row) : nullptr;
}

void ServerListModel::setNow(qint64 now)
{
    m_now = now;
    refreshTimes();
}

qint64 ServerListModel::now() const
{
    return m_now > 0 ? m_now : QDateTime::currentSecsSinceEpoch();
}

void ServerListModel::refreshTimes()
{
    if (!m_servers.isEmpty()) {
        Q_EMIT dataChanged(index(0, ExpiryColumn), index(rowCount() - 1, LastUsedColumn), {Qt::DisplayRole});
    }
}

QVariant ServerListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const ServerInfo &server = m_servers.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return displayText(server, index.column());
    case Qt::ToolTipRole:
        return toolTip(server, index.column());
    case Qt::DecorationRole:
        if (index.column() == StateColumn && (!server.missingSecrets().isEmpty() || server.needsSignIn())) {
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

QVariant ServerListModel::displayText(const ServerInfo &server, int column) const
{
    switch (column) {
    case NameColumn:
        return server.name;
    case TargetColumn:
        return targetText(server);
    case RungColumn:
        return rungText(server.rung);
    case IssuerColumn:
        return server.issuer;
    case ScopesColumn:
        return server.scopes.join(QLatin1Char(' '));
    case ExpiryColumn:
        if (server.expiresAt > 0) {
            return relativeTime(server.expiresAt, now());
        }
        return server.isSignedIn() ? tr("unknown") : QString();
    case LastUsedColumn:
        return server.lastUsedAt > 0 ? relativeTime(server.lastUsedAt, now()) : tr("not since start");
    case AppsColumn:
        return appsText(server.apps);
    case StateColumn:
        return stateText(server);
    default:
        return {};
    }
}

QVariant ServerListModel::toolTip(const ServerInfo &server, int column) const
{
    const auto moment = [](qint64 when) {
        return when > 0 ? QVariant(QLocale().toString(QDateTime::fromSecsSinceEpoch(when))) : QVariant();
    };
    switch (column) {
    case TargetColumn:
    case ScopesColumn:
    case IssuerColumn:
        return displayText(server, column);
    case AppsColumn:
        return server.apps.join(QLatin1Char('\n'));
    case ExpiryColumn:
        return moment(server.expiresAt);
    case LastUsedColumn:
        return moment(server.lastUsedAt);
    case StateColumn:
        if (server.usesOAuth()) {
            return server.grantReason.isEmpty() ? stateText(server) : server.grantReason;
        }
        return secretsToolTip(server);
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
    case TargetColumn:
        return tr("URL or command");
    case RungColumn:
        return tr("Rung");
    case IssuerColumn:
        return tr("Authorization server");
    case ScopesColumn:
        return tr("Scopes");
    case ExpiryColumn:
        return tr("Expires");
    case LastUsedColumn:
        return tr("Last used");
    case AppsColumn:
        return tr("Apps");
    case StateColumn:
        return tr("State");
    default:
        return {};
    }
}

QString ServerListModel::targetText(const ServerInfo &server)
{
    return server.isRemote() ? server.url : displayCommand(server.command);
}

QString ServerListModel::rungText(const QString &rung)
{
    if (rung == QStringLiteral("api_key")) {
        return tr("API key");
    }
    if (rung == QStringLiteral("oauth")) {
        return tr("OAuth");
    }
    if (rung == QStringLiteral("enterprise")) {
        return tr("Enterprise");
    }
    if (rung == QStringLiteral("none")) {
        return tr("none");
    }
    return rung;
}

QString ServerListModel::appsText(const QStringList &apps)
{
    QStringList names;
    for (const QString &app : apps) {
        const QString file = QFileInfo(app).fileName();
        names.append(file.isEmpty() ? app : file);
    }
    return names.join(QStringLiteral(", "));
}

QString ServerListModel::stateText(const ServerInfo &server)
{
    if (server.usesOAuth()) {
        if (server.signingIn) {
            return tr("signing in…");
        }
        if (server.grantState == QStringLiteral("active")) {
            return tr("signed in");
        }
        if (server.grantState == QStringLiteral("needs_login")) {
            return tr("sign-in needed");
        }
        return server.authRequired ? tr("not signed in") : tr("no sign-in needed");
    }
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

QString ServerListModel::relativeTime(qint64 when, qint64 now)
{
    const qint64 delta = when - now;
    const qint64 magnitude = delta < 0 ? -delta : delta;
    if (magnitude < 60) {
        return delta >= 0 ? tr("in under a minute") : tr("just now");
    }
    QString amount;
    if (magnitude < 3600) {
        amount = tr("%1 min").arg(magnitude / 60);
    } else if (magnitude < 48 * 3600) {
        amount = tr("%1 h").arg(magnitude / 3600);
    } else {
        amount = tr("%1 days").arg(magnitude / 86400);
    }
    return delta >= 0 ? tr("in %1").arg(amount) : tr("%1 ago").arg(amount);
}

QString ServerListModel::secretsToolTip(const ServerInfo &server) const
{
    if (server.env.isEmpty() && server.headers.isEmpty()) {
        return tr("This server gets no secrets in its environment.");
    }
    QStringList lines;
    const auto line = [&lines, &server](const QString &target, const QString &key, bool present) {
        lines.append(present ? tr("%1 ← %2 (stored)").arg(target, key)
                             : tr("%1 ← %2 (missing: run latchkey secret set %3 %2)").arg(target, key, server.name));
    };
    for (const ServerInfo::EnvBinding &binding : server.env) {
        line(binding.variable, binding.key, binding.present);
    }
    for (const ServerInfo::HeaderBinding &binding : server.headers) {
        line(tr("header %1").arg(binding.header), binding.key, binding.present);
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
