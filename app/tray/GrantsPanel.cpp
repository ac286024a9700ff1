#include "GrantsPanel.h"

#include "GrantsModel.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

namespace latchkey::tray {

GrantsPanel::GrantsPanel(GrantsModel &model, QWidget *parent) : QWidget(parent), m_model(model)
{
    setWindowTitle(tr("Apps and their access"));
    auto *layout = new QVBoxLayout(this);
    auto *intro = new QLabel(tr("Apps you allowed or denied. Revoke a decision and the app is asked again."), this);
    intro->setWordWrap(true);
    layout->addWidget(intro);
    m_view = new QTableView(this);
    m_view->setModel(&m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->verticalHeader()->hide();
    layout->addWidget(m_view);
    auto *row = new QHBoxLayout;
    m_message = new QLabel(this);
    m_message->setWordWrap(true);
    row->addWidget(m_message, 1);
    m_revoke = new QPushButton(tr("&Revoke"), this);
    row->addWidget(m_revoke);
    layout->addLayout(row);

    connect(m_revoke, &QPushButton::clicked, this, [this] {
        const QModelIndexList rows = m_view->selectionModel()->selectedRows();
        if (!rows.isEmpty()) {
            m_revoke->setEnabled(false);
            m_model.revoke(rows.first().row());
        }
    });
    connect(&m_model, &GrantsModel::revokeFinished, this, [this](const QString &error) {
        m_message->setText(error.isEmpty() ? QString() : tr("Could not revoke: %1").arg(error));
    });
    connect(&m_model, &QAbstractItemModel::modelReset, this, &GrantsPanel::updateButtons);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &GrantsPanel::updateButtons);
    updateButtons();
}

void GrantsPanel::updateButtons()
{
    m_revoke->setEnabled(m_view->selectionModel()->hasSelection());
}

} // namespace latchkey::tray
