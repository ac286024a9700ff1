#include "MainWindow.h"

#include "AddServerWizard.h"
#include "AuditLogView.h"
#include "DaemonConnection.h"
#include "Icons.h"
#include "ServerDetails.h"
#include "ServerListModel.h"
#include "SettingsPanel.h"
#include "StatusHeader.h"

#include <QAction>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollArea>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabBar>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace latchkey::tray {

namespace {

// A push button that mirrors an action: its text (with the mnemonic), enabled state and tooltip.
QPushButton *buttonFor(QAction *action, const QString &objectName, QWidget *parent)
{
    auto *button = new QPushButton(action->text(), parent);
    button->setObjectName(objectName);
    const auto sync = [button, action] {
        button->setText(action->text());
        button->setEnabled(action->isEnabled());
        button->setToolTip(action->toolTip());
        button->setVisible(action->isVisible());
    };
    QObject::connect(action, &QAction::changed, button, sync);
    QObject::connect(button, &QPushButton::clicked, action, &QAction::trigger);
    sync();
    return button;
}

constexpr int kClockMs = 60 * 1000;

} // namespace

MainWindow::MainWindow(DaemonConnection *connection, ServerListModel *model, ServerActions *actions, QWidget *parent)
    : QMainWindow(parent), m_connection(connection), m_model(model), m_actions(actions)
{
    setWindowTitle(tr("Latchkey"));
    setWindowIcon(Icons::application());

    m_add = new QAction(tr("&Add server…"), this);
    m_add->setObjectName(QStringLiteral("addServerAction"));
    m_add->setShortcut(QKeySequence::New);
    m_import = new QAction(tr("&Import from MCP clients…"), this);
    m_import->setObjectName(QStringLiteral("importAction"));
    m_import->setVisible(false); // the import wizard connects and shows it
    m_enterprise = new QAction(tr("&Enterprise sign-in…"), this);
    m_enterprise->setObjectName(QStringLiteral("enterpriseAction"));
    m_signIn = new QAction(tr("Sign &in"), this);
    m_signIn->setObjectName(QStringLiteral("signInAction"));
    m_signOut = new QAction(tr("Sign &out"), this);
    m_signOut->setObjectName(QStringLiteral("signOutAction"));
    m_signOut->setToolTip(tr("Revoke the server's tokens at its authorization server and delete them here"));
    m_revoke = new QAction(tr("Re&voke"), this);
    m_revoke->setObjectName(QStringLiteral("revokeAction"));
    m_revoke->setToolTip(tr("Take the server's credentials away: its tokens (revoked at the authorization "
                            "server) or its stored secrets"));
    m_remove = new QAction(tr("Re&move…"), this);
    m_remove->setObjectName(QStringLiteral("removeAction"));
    m_remove->setShortcut(QKeySequence::Delete);
    m_remove->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_refresh = new QAction(tr("&Refresh"), this);
    m_refresh->setObjectName(QStringLiteral("refreshAction"));
    m_refresh->setShortcut(QKeySequence::Refresh);
    m_find = new QAction(tr("&Find in audit log"), this);
    m_find->setObjectName(QStringLiteral("findAction"));
    m_find->setShortcut(QKeySequence::Find);

    m_header = new StatusHeader(m_connection, this);
    m_banner = new QLabel(this);
    m_banner->setObjectName(QStringLiteral("notificationBanner"));
    m_banner->setWordWrap(true);
    m_banner->setTextFormat(Qt::PlainText);
    m_banner->setFrameShape(QFrame::StyledPanel);
    m_banner->setMargin(6);
    m_banner->hide();

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("tabs"));
    m_serversTab = buildServersTab();
    m_tabs->addTab(m_serversTab, tr("&Servers"));
    m_audit = new AuditLogView(m_connection, this);
    m_tabs->addTab(m_audit, tr("Au&dit log"));
    m_appAccess = new QLabel(tr("Which apps may use which server will be listed here."), this);
    m_appAccess->setObjectName(QStringLiteral("appAccessPlaceholder"));
    static_cast<QLabel *>(m_appAccess)->setAlignment(Qt::AlignCenter);
    static_cast<QLabel *>(m_appAccess)->setWordWrap(true);
    m_tabs->addTab(m_appAccess, tr("App a&ccess"));
    m_settings = new SettingsPanel(m_connection, this);
    m_tabs->addTab(m_settings, tr("Se&ttings"));
    connect(m_tabs, &QTabWidget::currentChanged, this, [this] {
        if (m_tabs->currentWidget() == m_audit) {
            m_audit->reload();
        }
    });

    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(12, 12, 12, 6);
    layout->setSpacing(10);
    layout->addWidget(m_header);
    layout->addWidget(m_banner);
    layout->addWidget(m_tabs, 1);
    setCentralWidget(central);
    buildMenus();
    statusBar()->setObjectName(QStringLiteral("statusBar"));

    m_clock = new QTimer(this);
    m_clock->setInterval(kClockMs);
    connect(m_clock, &QTimer::timeout, this, [this] {
        m_model->refreshTimes();
        updateDetails();
    });

    connect(m_add, &QAction::triggered, this, &MainWindow::openAddServerWizard);
    connect(m_enterprise, &QAction::triggered, m_actions, &ServerActions::enterpriseSignIn);
    connect(m_signIn, &QAction::triggered, this, &MainWindow::signInSelected);
    connect(m_signOut, &QAction::triggered, this, &MainWindow::signOutSelected);
    connect(m_revoke, &QAction::triggered, this, &MainWindow::revokeSelected);
    connect(m_remove, &QAction::triggered, this, &MainWindow::removeSelected);
    connect(m_refresh, &QAction::triggered, this, &MainWindow::refresh);
    connect(m_find, &QAction::triggered, this, [this] {
        showTab(m_audit);
        m_audit->focusFilter();
    });
    connect(m_actions, &ServerActions::finished, this, &MainWindow::onFinished);
    connect(m_actions, &ServerActions::progress, this,
            [this](const QString &server, const QString &stage, const QUrl &url) {
                statusBar()->showMessage(url.isEmpty() ? tr("Signing in to %1: %2").arg(server, stage)
                                                       : tr("Signing in to %1: continue in the browser (%2)")
                                                             .arg(server, url.toString(QUrl::RemoveQuery)));
            });
    connect(m_actions, &ServerActions::enterpriseAvailabilityChanged, this, [this](bool available) {
        m_enterprise->setText(available ? tr("&Enterprise sign-in…") : tr("&Enterprise sign-in (unavailable)"));
        m_enterprise->setEnabled(available);
    });
    connect(m_settings, &SettingsPanel::message, this,
            [this](const QString &text) { statusBar()->showMessage(text, 10000); });
    connect(m_connection, &DaemonConnection::stateChanged, this, &MainWindow::updateServers);
    connect(m_model, &QAbstractItemModel::modelReset, this, &MainWindow::updateServers);
    connect(m_model, &QAbstractItemModel::dataChanged, this, &MainWindow::updateDetails);
    connect(m_serversView->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        const QModelIndexList rows = m_serversView->selectionModel()->selectedRows();
        if (rows.isEmpty() && m_model->rowCount() == 0) {
            return; // the list went away with the daemon; keep what was selected for its return
        }
        m_selected = rows.isEmpty() ? QString() : rows.first().data(ServerListModel::ServerNameRole).toString();
        updateDetails();
    });

    resize(1100, 640);
    updateServers();
}

QWidget *MainWindow::buildServersTab()
{
    auto *tab = new QWidget(this);
    tab->setObjectName(QStringLiteral("serversTab"));
    m_serversView = new QTableView(tab);
    m_serversView->setObjectName(QStringLiteral("serversView"));
    m_serversView->setModel(m_model);
    m_serversView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_serversView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_serversView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_serversView->setAlternatingRowColors(true);
    m_serversView->setShowGrid(false);
    m_serversView->setWordWrap(false);
    m_serversView->setTextElideMode(Qt::ElideMiddle);
    m_serversView->setTabKeyNavigation(false); // Tab leaves the table, arrows move inside it
    m_serversView->verticalHeader()->hide();
    QHeaderView *columns = m_serversView->horizontalHeader();
    columns->setHighlightSections(false);
    // Every column as wide as what it shows (the table scrolls sideways when they do not fit), except
    // the long URL or command, which is elided in the middle and can be widened by hand.
    columns->setSectionResizeMode(QHeaderView::ResizeToContents);
    columns->setSectionResizeMode(ServerListModel::TargetColumn, QHeaderView::Interactive);
    columns->resizeSection(ServerListModel::TargetColumn,
                           columns->fontMetrics().horizontalAdvance(QLatin1Char('x')) * 32);
    columns->setStretchLastSection(true);

    m_emptyServers = new QLabel(tab);
    m_emptyServers->setObjectName(QStringLiteral("emptyServers"));
    m_emptyServers->setAlignment(Qt::AlignCenter);
    m_emptyServers->setWordWrap(true);
    m_emptyServers->setTextFormat(Qt::PlainText);
    m_emptyServers->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_emptyServers->setForegroundRole(QPalette::PlaceholderText);
    m_serversStack = new QStackedWidget(tab);
    m_serversStack->setObjectName(QStringLiteral("serversStack"));
    m_serversStack->addWidget(m_serversView);
    m_serversStack->addWidget(m_emptyServers);

    m_details = new ServerDetails(tab);
    m_details->setObjectName(QStringLiteral("serverDetails"));
    auto *detailsScroll = new QScrollArea(tab);
    detailsScroll->setWidget(m_details);
    detailsScroll->setWidgetResizable(true);
    detailsScroll->setFocusPolicy(Qt::NoFocus);
    auto *splitter = new QSplitter(Qt::Horizontal, tab);
    splitter->addWidget(m_serversStack);
    splitter->addWidget(detailsScroll);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({700, 380});
    splitter->setChildrenCollapsible(false);

    auto *buttons = new QHBoxLayout;
    QPushButton *add = buttonFor(m_add, QStringLiteral("addButton"), tab);
    QPushButton *signIn = buttonFor(m_signIn, QStringLiteral("signInButton"), tab);
    QPushButton *signOut = buttonFor(m_signOut, QStringLiteral("signOutButton"), tab);
    QPushButton *revoke = buttonFor(m_revoke, QStringLiteral("revokeButton"), tab);
    QPushButton *remove = buttonFor(m_remove, QStringLiteral("removeButton"), tab);
    m_refreshButton = buttonFor(m_refresh, QStringLiteral("refreshButton"), tab);
    for (QPushButton *button : {add, signIn, signOut, revoke, remove}) {
        buttons->addWidget(button);
    }
    buttons->addStretch(1);
    buttons->addWidget(m_refreshButton);

    auto *layout = new QVBoxLayout(tab);
    layout->addWidget(splitter, 1);
    layout->addLayout(buttons);
    // Del removes only while the focus is on this tab (not while editing the audit filter).
    tab->addAction(m_remove);
    setTabOrder(m_serversView, add);
    setTabOrder(add, signIn);
    setTabOrder(signIn, signOut);
    setTabOrder(signOut, revoke);
    setTabOrder(revoke, remove);
    setTabOrder(remove, m_refreshButton);
    return tab;
}

void MainWindow::buildMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(m_add);
    file->addAction(m_import);
    file->addAction(m_enterprise);
    file->addSeparator();
    QAction *close = file->addAction(tr("&Close window"), this, &QWidget::close);
    close->setShortcut(QKeySequence::Close);
    QAction *quit = file->addAction(tr("&Quit Latchkey"), this, &MainWindow::quitRequested);
    quit->setShortcut(QKeySequence::Quit);
    QMenu *server = menuBar()->addMenu(tr("S&erver"));
    server->addAction(m_signIn);
    server->addAction(m_signOut);
    server->addAction(m_revoke);
    server->addAction(m_remove);
    server->addSeparator();
    server->addAction(m_refresh);
    server->addAction(m_find);
    // The window-wide shortcuts work from any tab.
    addAction(m_refresh);
    addAction(m_find);
    addAction(m_add);
}

void MainWindow::present()
{
    show();
    setWindowState((windowState() & ~Qt::WindowMinimized) | Qt::WindowActive);
    raise();
    activateWindow();
}

void MainWindow::showEvent(QShowEvent *event)
{
    QMainWindow::showEvent(event);
    m_model->refreshTimes();
    m_clock->start(); // relative times tick only while someone can see them
}

void MainWindow::hideEvent(QHideEvent *event)
{
    QMainWindow::hideEvent(event);
    m_clock->stop();
}

QString MainWindow::selectedServer() const
{
    return m_selected;
}

bool MainWindow::selectServer(const QString &name)
{
    const int row = m_model->rowOf(name);
    if (row < 0) {
        return false;
    }
    m_serversView->selectRow(row);
    return m_selected == name;
}

const ServerInfo *MainWindow::selectedInfo() const
{
    return m_selected.isEmpty() ? nullptr : m_model->serverAt(m_model->rowOf(m_selected));
}

void MainWindow::setAppAccessWidget(QWidget *widget)
{
    const int index = m_tabs->indexOf(m_appAccess);
    const QString label = m_tabs->tabText(index);
    m_tabs->removeTab(index);
    m_appAccess->deleteLater();
    m_appAccess = widget;
    m_tabs->insertTab(index, widget, label);
}

void MainWindow::showTab(QWidget *tab)
{
    m_tabs->setCurrentWidget(tab);
}

void MainWindow::showBanner(const QString &title, const QString &message)
{
    m_banner->setText(tr("%1 — %2").arg(title, message));
    m_banner->show();
}

AddServerWizard *MainWindow::openAddServerWizard()
{
    if (!m_wizard) {
        m_wizard = new AddServerWizard(m_connection, m_actions, this);
        m_wizard->setAttribute(Qt::WA_DeleteOnClose);
    }
    m_wizard->show();
    m_wizard->raise();
    m_wizard->activateWindow();
    return m_wizard;
}

AddServerWizard *MainWindow::addServerWizard() const
{
    return m_wizard;
}

void MainWindow::updateServers()
{
    const bool connected = m_connection->state() == DaemonConnection::State::Connected;
    const bool empty = m_model->rowCount() == 0;
    if (empty) {
        m_emptyServers->setText(connected ? tr("No servers yet.\nAdd one with “Add server…” (Ctrl+N).")
                                          : tr("The server list appears once the daemon is running."));
    }
    const bool appearing = !empty && m_serversStack->currentWidget() != m_serversView;
    m_serversStack->setCurrentWidget(empty ? static_cast<QWidget *>(m_emptyServers) : m_serversView);
    // When the list appears on the Servers tab and the focus is where Qt put it at start (the tab bar) or
    // nowhere, the list takes it: arrows and type-ahead (typing a server's name selects it) work at once.
    QWidget *focus = focusWidget();
    if (appearing && m_tabs->currentWidget() == m_serversTab &&
        (!focus || focus == m_tabs->tabBar() || focus == m_emptyServers)) {
        m_serversView->setFocus(Qt::OtherFocusReason);
    }
    m_refresh->setText(connected ? tr("&Refresh") : tr("&Reconnect"));
    m_add->setEnabled(connected);
    m_enterprise->setEnabled(m_actions->isAvailable(ServerActions::Action::EnterpriseSignIn, nullptr));
    // After a reset (servers added or removed) keep the same server selected where it still exists;
    // while the daemon is away (or reconnecting) the list is empty, and the selection waits for it.
    if (!m_selected.isEmpty() && !selectServer(m_selected) && !empty) {
        m_selected.clear();
    }
    updateDetails();
}

void MainWindow::updateDetails()
{
    const ServerInfo *info = selectedInfo();
    m_details->setServer(info ? std::optional<ServerInfo>(*info) : std::nullopt, m_model->now());
    updateActions();
}

void MainWindow::updateActions()
{
    const ServerInfo *info = selectedInfo();
    m_signIn->setEnabled(m_actions->isAvailable(ServerActions::Action::SignIn, info));
    m_signOut->setEnabled(m_actions->isAvailable(ServerActions::Action::SignOut, info));
    m_revoke->setEnabled(m_actions->isAvailable(ServerActions::Action::Revoke, info));
    m_remove->setEnabled(m_actions->isAvailable(ServerActions::Action::Remove, info));
}

void MainWindow::refresh()
{
    m_connection->refreshOrReconnect();
    if (m_tabs->currentWidget() == m_audit) {
        m_audit->reload();
    }
}

void MainWindow::confirm(const QString &title, const QString &text, const QString &yes, std::function<void()> then)
{
    auto *box = new QMessageBox(QMessageBox::Warning, title, text, QMessageBox::Cancel, this);
    box->setObjectName(QStringLiteral("confirmDialog"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    QPushButton *accept = box->addButton(yes, QMessageBox::DestructiveRole);
    accept->setObjectName(QStringLiteral("confirmButton"));
    box->setDefaultButton(QMessageBox::Cancel);
    connect(box, &QMessageBox::buttonClicked, this, [accept, then = std::move(then)](QAbstractButton *button) {
        if (button == accept) {
            then();
        }
    });
    box->open();
}

void MainWindow::signInSelected()
{
    if (const ServerInfo *info = selectedInfo()) {
        statusBar()->showMessage(tr("Signing in to %1…").arg(info->name));
        m_actions->signIn(info->name);
        updateActions();
    }
}

void MainWindow::signOutSelected()
{
    if (const ServerInfo *info = selectedInfo()) {
        m_actions->signOut(info->name);
    }
}

void MainWindow::revokeSelected()
{
    const ServerInfo *info = selectedInfo();
    if (!info) {
        return;
    }
    const ServerInfo server = *info; // the model may change while the question is open
    const QString name = server.name;
    confirm(tr("Revoke %1?").arg(name),
            server.usesOAuth()
                ? tr("%1's tokens are revoked at its authorization server and deleted here. Apps lose access "
                     "until you sign in again.")
                      .arg(name)
                : tr("%1's stored secrets (%2) are deleted from the keychain. Apps lose access until you "
                     "store them again.")
                      .arg(name, server.secrets.join(QStringLiteral(", "))),
            tr("Re&voke"), [this, server] { m_actions->revoke(server); });
}

void MainWindow::removeSelected()
{
    const ServerInfo *info = selectedInfo();
    if (!info) {
        return;
    }
    const QString name = info->name;
    confirm(tr("Remove %1?").arg(name),
            tr("%1 is removed from Latchkey, with its stored secrets or tokens (revoked where the authorization "
               "server allows).")
                .arg(name),
            tr("Re&move"), [this, name] { m_actions->remove(name); });
}

void MainWindow::onFinished(ServerActions::Action action, const QString &server, bool ok, const QString &message)
{
    QString what;
    switch (action) {
    case ServerActions::Action::SignIn:
        what = tr("Sign-in to %1").arg(server);
        break;
    case ServerActions::Action::SignOut:
        what = tr("Sign-out of %1").arg(server);
        break;
    case ServerActions::Action::Revoke:
        what = tr("Revoking %1").arg(server);
        break;
    case ServerActions::Action::Remove:
        what = tr("Removing %1").arg(server);
        break;
    case ServerActions::Action::EnterpriseSignIn:
        what = tr("Enterprise sign-in");
        break;
    }
    statusBar()->showMessage(ok ? tr("%1: done (%2)").arg(what, message) : tr("%1 failed: %2").arg(what, message));
    updateActions();
}

} // namespace latchkey::tray
