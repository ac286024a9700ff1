#pragma once

#include "Message.h"

#include <QSet>
#include <QWizard>

class QLabel;
class QLineEdit;
class QRadioButton;

namespace latchkey::tray {

class DaemonConnection;
class EnvBindingsEditor;
class ServerActions;
class WizardTaskPage;

// Adding a server, two ways:
// - remote: URL → what discovery found (server.discover) → added (server.add) and signed in
//   (server.login, with the daemon's progress shown);
// - local: a command with its environment bound to secrets stored for it (server.add), the values
//   typed in password fields going straight to the keychain (secret.set).
class AddServerWizard : public QWizard
{
    Q_OBJECT

public:
    enum Page
    {
        KindPage,
        UrlPage,
        DiscoveryPage,
        SignInPage,
        StdioPage,
        SavePage,
    };

    AddServerWizard(DaemonConnection *connection, ServerActions *actions, QWidget *parent = nullptr);

    int nextId() const override;
    bool validateCurrentPage() override;

    // The pages' parts, for tests and for setting them up from elsewhere (e.g. an import).
    QRadioButton *remoteChoice() const { return m_remote; }
    QRadioButton *stdioChoice() const { return m_stdio; }
    QLineEdit *urlEdit() const { return m_url; }
    QLineEdit *remoteNameEdit() const { return m_remoteName; }
    QLineEdit *stdioNameEdit() const { return m_stdioName; }
    QLineEdit *commandEdit() const { return m_command; }
    EnvBindingsEditor *environment() const { return m_env; }
    WizardTaskPage *taskPage(Page page) const;

Q_SIGNALS:
    // A server the wizard added (before any sign-in).
    void serverAdded(const QString &name);

private:
    QWizardPage *createKindPage();
    QWizardPage *createUrlPage();
    QWizardPage *createStdioPage();
    void discover(WizardTaskPage *page, quint64 token);
    void addRemote(WizardTaskPage *page, quint64 token);
    void saveStdio(WizardTaskPage *page, quint64 token);
    void storeSecrets(WizardTaskPage *page, quint64 token, const QString &name);

    DaemonConnection *m_connection;
    ServerActions *m_actions;
    QRadioButton *m_remote;
    QRadioButton *m_stdio;
    QLineEdit *m_url;
    QLineEdit *m_remoteName;
    QLineEdit *m_stdioName;
    QLineEdit *m_command;
    QLabel *m_urlProblem;
    QLabel *m_stdioProblem;
    EnvBindingsEditor *m_env;
    WizardTaskPage *m_discovery;
    WizardTaskPage *m_signIn;
    WizardTaskPage *m_save;
    bool m_authRequired = true;
    // Servers this wizard already added, so going back and on again does not trip over them.
    QSet<QString> m_added;
};

} // namespace latchkey::tray
