#pragma once

#include "ServerInfo.h"

#include <QAbstractTableModel>
#include <QList>

namespace latchkey::tray {

// The servers the daemon knows, one row each: name, kind, command, and whether the secrets its
// environment needs are stored. Filled from `server.list`; never holds a secret value.
class ServerListModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column
    {
        NameColumn,
        KindColumn,
        CommandColumn,
        SecretsColumn,
        ColumnCount
    };
    enum Role
    {
        // The keys of secrets the server needs but the keychain lacks (QStringList).
        MissingSecretsRole = Qt::UserRole + 1,
        ServerNameRole,
    };

    explicit ServerListModel(QObject *parent = nullptr);

    // Replaces the rows. Rows whose server is still there are updated in place, so a view keeps
    // its selection and scroll position across the refresh that follows every event.
    void setServers(const QList<ServerInfo> &servers);
    // The result object of server.list ({"servers":[...]}).
    void setServersFromJson(const ipc::Json &result);

    const QList<ServerInfo> &servers() const { return m_servers; }
    // The row of the server with this name, or -1.
    int rowOf(const QString &name) const;
    // How many servers lack at least one secret.
    int serversMissingSecrets() const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // A command line as a person would type it: arguments with spaces or quotes are quoted.
    static QString displayCommand(const QStringList &command);

private:
    QString secretsText(const ServerInfo &server) const;
    QString secretsToolTip(const ServerInfo &server) const;
    QString kindText(const ServerInfo &server) const;

    QList<ServerInfo> m_servers;
};

} // namespace latchkey::tray
