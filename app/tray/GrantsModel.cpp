#include "GrantsModel.h"

#include "DaemonConnection.h"
#include "JsonFields.h"

#include <QDateTime>
#include <QFileInfo>

namespace latchkey::tray {

GrantsModel::GrantsModel(DaemonConnection &connection, QObject *parent)
    : QAbstractTableModel(parent), m_connection(connection)
{
    connect(&m_connection, &DaemonConnection::stateChanged, this, [this](DaemonConnection::State state) {
        if (state == DaemonConnection::State::Connected) {
            refresh();
        }
    });
    connect(&m_connection, &DaemonConnection::daemonEvent, this, [this](const ipc::Event &event) {
        if (event.name == "server.changed") {
            refresh();
        }
    });
    refresh();
}

void GrantsModel::refresh()
{
    m_connection.call("consent.list", ipc::Json::object(), [this](const ipc::Response &response) {
        if (!response.ok()) {
            return; // disconnected: the list is refreshed on the next connection
        }
        QList<Grant> grants;
        for (const auto &item : JsonFields::array(response.result, "grants")) {
            grants.append({JsonFields::string(item, "app"), JsonFields::string(item, "server"),
                           JsonFields::string(item, "decision"), JsonFields::string(item, "at")});
        }
        beginResetModel();
        m_grants = std::move(grants);
        endResetModel();
        Q_EMIT refreshed();
    });
}

void GrantsModel::revoke(int row)
{
    if (row < 0 || row >= m_grants.size()) {
        return;
    }
    const Grant grant = m_grants.at(row);
    m_connection.call("consent.revoke", {{"app", grant.app.toStdString()}, {"server", grant.server.toStdString()}},
                      [this](const ipc::Response &response) {
                          Q_EMIT revokeFinished(QString::fromStdString(response.errorMessage));
                          refresh();
                      });
}

int GrantsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_grants.size());
}

int GrantsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant GrantsModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_grants.size()) {
        return {};
    }
    const Grant &grant = m_grants.at(index.row());
    if (role == Qt::ToolTipRole && index.column() == App) {
        return grant.app;
    }
    if (role != Qt::DisplayRole) {
        return {};
    }
    switch (index.column()) {
    case App:
        return QFileInfo(grant.app).fileName().isEmpty() ? grant.app : QFileInfo(grant.app).fileName();
    case Server:
        return grant.server;
    case Decision:
        return grant.decision == QStringLiteral("always") ? tr("Always allowed") : tr("Denied");
    case Since:
        return QLocale().toString(QDateTime::fromString(grant.at, Qt::ISODateWithMs).toLocalTime(),
                                  QLocale::ShortFormat);
    default:
        return {};
    }
}

QVariant GrantsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) {
        return {};
    }
    switch (section) {
    case App:
        return tr("App");
    case Server:
        return tr("Server");
    case Decision:
        return tr("Decision");
    case Since:
        return tr("Since");
    default:
        return {};
    }
}

} // namespace latchkey::tray
