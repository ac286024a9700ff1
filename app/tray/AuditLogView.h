#pragma once

#include <QWidget>

class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QStandardItemModel;
class QTableView;

namespace latchkey::tray {

class DaemonConnection;

// The daemon's audit log (audit.list), newest first, with a text filter over every column. Loaded
// when asked (shown, F5), never polled.
class AuditLogView : public QWidget
{
    Q_OBJECT

public:
    enum Column
    {
        TimeColumn,
        EventColumn,
        ServerColumn,
        DetailsColumn,
        ColumnCount
    };

    explicit AuditLogView(DaemonConnection *connection, QWidget *parent = nullptr);

    void reload();
    // Puts the cursor in the filter (Ctrl+F).
    void focusFilter();
    QLineEdit *filterEdit() const { return m_filter; }
    // Rows shown after filtering, and all rows loaded.
    int visibleRows() const;
    int loadedRows() const;

Q_SIGNALS:
    void loaded();

private:
    DaemonConnection *m_connection;
    QLineEdit *m_filter;
    QLabel *m_count;
    QStandardItemModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QTableView *m_view;
    quint64 m_request = 0;
};

} // namespace latchkey::tray
