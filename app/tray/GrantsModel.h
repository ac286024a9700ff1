#pragma once

#include <QAbstractTableModel>
#include <QList>

namespace latchkey::tray {

class DaemonConnection;

// The daemon's per-app consent decisions (consent.list) as a table: app, server, decision, since.
// Refreshed on connect and whenever the daemon reports a change; revoke() asks the daemon to forget one.
class GrantsModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column
    {
        App,
        Server,
        Decision,
        Since,
        ColumnCount
    };
    struct Grant
    {
        QString app;
        QString server;
        QString decision; // "always" or "deny"
        QString at;
    };

    explicit GrantsModel(DaemonConnection &connection, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    const QList<Grant> &grants() const { return m_grants; }
    void refresh();
    // Forgets the decision in that row: the app is asked again next time.
    void revoke(int row);

Q_SIGNALS:
    void refreshed();
    // An error from the daemon, for the panel to show; empty on success.
    void revokeFinished(const QString &error);

private:
    DaemonConnection &m_connection;
    QList<Grant> m_grants;
};

} // namespace latchkey::tray
