#pragma once

#include "ServerInfo.h"

#include <QAbstractTableModel>
#include <QList>

namespace latchkey::tray {

// The servers the daemon knows, one row each: name, URL or command, rung, authorization server,
// scopes, time to expiry, last use, apps with access, and the state of its credential (secrets
// stored or missing, signed in or sign-in needed). Filled from `server.list`; never holds a secret.
class ServerListModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column
    {
        NameColumn,
        StateColumn,  // what it needs, first: the column people look for
        TargetColumn, // the URL of a remote server, the command of a local one
        RungColumn,
        IssuerColumn,
        ScopesColumn,
        ExpiryColumn,
        LastUsedColumn,
        AppsColumn,
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
    // The server in this row, or nullptr.
    const ServerInfo *serverAt(int row) const;

    // The clock the relative columns (expiry, last used) are worked out against, in seconds since the
    // epoch; 0 (the default) means the real clock. Tests pin it.
    void setNow(qint64 now);
    qint64 now() const;
    // Re-evaluates the relative columns (the window calls this every minute while shown).
    void refreshTimes();

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // A command line as a person would type it: arguments with spaces or quotes are quoted.
    static QString displayCommand(const QStringList &command);
    // "in 5 min", "in 2 h", "expired", "3 min ago", … for a moment relative to now.
    static QString relativeTime(qint64 when, qint64 now);
    static QString rungText(const QString &rung);
    // The apps' executable names, without their directories.
    static QString appsText(const QStringList &apps);
    // What the state column says: secrets stored or missing, or the state of the sign-in.
    static QString stateText(const ServerInfo &server);
    static QString targetText(const ServerInfo &server);

private:
    QString secretsToolTip(const ServerInfo &server) const;
    QVariant displayText(const ServerInfo &server, int column) const;
    QVariant toolTip(const ServerInfo &server, int column) const;

    QList<ServerInfo> m_servers;
    qint64 m_now = 0;
};

} // namespace latchkey::tray
