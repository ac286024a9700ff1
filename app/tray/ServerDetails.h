#pragma once

#include "ServerInfo.h"

#include <QWidget>

#include <optional>

class QFormLayout;
class QLabel;

namespace latchkey::tray {

// The details pane beside the servers table: everything server.list says about the selected server,
// in words (never a secret: only which secrets are stored).
class ServerDetails : public QWidget
{
    Q_OBJECT

public:
    explicit ServerDetails(QWidget *parent = nullptr);

    // nullopt: nothing selected.
    void setServer(const std::optional<ServerInfo> &server, qint64 now);
    // The value shown for a field (objectName of its label, e.g. "detailIssuer"), for tests.
    QString value(const QString &field) const;

private:
    QLabel *addRow(const QString &label, const QString &objectName);

    QLabel *m_title;
    QFormLayout *m_form;
    QList<QLabel *> m_values;
};

} // namespace latchkey::tray
