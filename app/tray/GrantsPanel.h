#pragma once

#include <QWidget>

class QLabel;
class QPushButton;
class QTableView;

namespace latchkey::tray {

class GrantsModel;

// Which apps may use which servers, and a Revoke button: the consent decisions people made, undone in one
// click (the app is asked again next time).
class GrantsPanel : public QWidget
{
    Q_OBJECT

public:
    explicit GrantsPanel(GrantsModel &model, QWidget *parent = nullptr);

    QTableView *view() const { return m_view; }
    QPushButton *revokeButton() const { return m_revoke; }

private:
    void updateButtons();

    GrantsModel &m_model;
    QTableView *m_view = nullptr;
    QPushButton *m_revoke = nullptr;
    QLabel *m_message = nullptr;
};

} // namespace latchkey::tray
