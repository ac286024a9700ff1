#include "AddServerWizard.h"

#include "DaemonConnection.h"
#include "EnvBindingsEditor.h"
#include "JsonFields.h"
#include "Protocol.h"
#include "ServerActions.h"
#include "WizardTaskPage.h"

#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QProcess>
#include <QRadioButton>
#include <QUrl>
#include <QVBoxLayout>

#include <memory>

namespace latchkey::tray {

namespace {

QString errorText(const ipc::Response &response)
{
    return QString::fromStdString(response.errorMessage);
}

// A name for a remote server from its URL: the host without "www." and "mcp." and the domain.
QString suggestedName(const QString &url)
{
    QString host = QUrl::fromUserInput(url).host();
    for (const QString &prefix : {QStringLiteral("www."), QStringLiteral("mcp."), QStringLiteral("api.")}) {
        if (host.startsWith(prefix)) {
            host = host.mid(prefix.size());
        }
    }
    return host.section(QLatin1Char('.'), 0, 0);
}

QLabel *problemLabel(QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setWordWrap(true);
    label->setTextFormat(Qt::PlainText);
    label->setForegroundRole(QPalette::Highlight);
    return label;
}

} // namespace

AddServerWizard::AddServerWizard(DaemonConnection *connection, ServerActions *actions, QWidget *parent)
    : QWizard(parent), m_connection(connection), m_actions(actions)
{
    setObjectName(QStringLiteral("addServerWizard"));
    setWindowTitle(tr("Add a server"));
    setWizardStyle(QWizard::ClassicStyle);
    setOption(QWizard::NoBackButtonOnStartPage);

    setPage(KindPage, createKindPage());
    setPage(UrlPage, createUrlPage());
    m_discovery = new WizardTaskPage(this);
    m_discovery->setTitle(tr("What the server says"));
    m_discovery->setSubTitle(tr("Latchkey asks the server how it is protected (discovery)."));
    m_discovery->setJob([this](WizardTaskPage *page, quint64 token) { discover(page, token); });
    setPage(DiscoveryPage, m_discovery);
    m_signIn = new WizardTaskPage(this);
    m_signIn->setTitle(tr("Adding and signing in"));
    m_signIn->setSubTitle(tr("Sign in in the browser window Latchkey opens."));
    m_signIn->setJob([this](WizardTaskPage *page, quint64 token) { addRemote(page, token); });
    m_signIn->setFinalPage(true);
    setPage(SignInPage, m_signIn);
    setPage(StdioPage, createStdioPage());
    m_save = new WizardTaskPage(this);
    m_save->setTitle(tr("Adding the server"));
    m_save->setSubTitle(tr("The secrets go to the keychain; servers.json only names them."));
    m_save->setJob([this](WizardTaskPage *page, quint64 token) { saveStdio(page, token); });
    m_save->setFinalPage(true);
    setPage(SavePage, m_save);
    setStartId(KindPage);
    resize(720, 520);
}

WizardTaskPage *AddServerWizard::taskPage(Page page) const
{
    switch (page) {
    case DiscoveryPage:
        return m_discovery;
    case SignInPage:
        return m_signIn;
    case SavePage:
        return m_save;
    default:
        return nullptr;
    }
}

QWizardPage *AddServerWizard::createKindPage()
{
    auto *page = new QWizardPage(this);
    page->setTitle(tr("What kind of server?"));
    m_remote = new QRadioButton(tr("A &remote server, reached by URL (OAuth sign-in)"), page);
    m_remote->setObjectName(QStringLiteral("kindRemote"));
    m_stdio = new QRadioButton(tr("A &local command (STDIO) that needs API keys"), page);
    m_stdio->setObjectName(QStringLiteral("kindStdio"));
    m_remote->setChecked(true);
    auto *layout = new QVBoxLayout(page);
    layout->addWidget(m_remote);
    layout->addWidget(m_stdio);
    layout->addStretch(1);
    return page;
}

QWizardPage *AddServerWizard::createUrlPage()
{
    auto *page = new QWizardPage(this);
    page->setTitle(tr("The server's address"));
    m_url = new QLineEdit(page);
    m_url->setObjectName(QStringLiteral("urlEdit"));
    m_url->setPlaceholderText(QStringLiteral("https://mcp.example.com/mcp"));
    m_remoteName = new QLineEdit(page);
    m_remoteName->setObjectName(QStringLiteral("remoteNameEdit"));
    connect(m_url, &QLineEdit::textEdited, this, [this](const QString &url) {
        if (!m_remoteName->isModified()) {
            m_remoteName->setText(suggestedName(url));
        }
    });
    auto *form = new QFormLayout(page);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    auto *urlLabel = new QLabel(tr("&URL:"), page);
    urlLabel->setBuddy(m_url);
    auto *nameLabel = new QLabel(tr("&Name:"), page);
    nameLabel->setBuddy(m_remoteName);
    form->addRow(urlLabel, m_url);
    form->addRow(nameLabel, m_remoteName);
    m_urlProblem = problemLabel(page);
    form->addRow(m_urlProblem);
    return page;
}

QWizardPage *AddServerWizard::createStdioPage()
{
    auto *page = new QWizardPage(this);
    page->setTitle(tr("The command and its secrets"));
    page->setSubTitle(tr("Latchkey starts the command with these variables set from the keychain "
                         "(latchkey run NAME)."));
    m_stdioName = new QLineEdit(page);
    m_stdioName->setObjectName(QStringLiteral("stdioNameEdit"));
    m_command = new QLineEdit(page);
    m_command->setObjectName(QStringLiteral("commandEdit"));
    m_command->setPlaceholderText(QStringLiteral("npx -y @modelcontextprotocol/server-github"));
    // QProcess::splitCommand's rules: no shell runs it, so only double quotes group words.
    m_command->setToolTip(tr("Program and arguments, run without a shell; put an argument with spaces in double "
                             "quotes: \"two words\""));
    m_env = new EnvBindingsEditor(page);
    m_env->setObjectName(QStringLiteral("envEditor"));
    m_stdioProblem = problemLabel(page);
    m_stdioProblem->setObjectName(QStringLiteral("stdioProblem"));
    connect(m_env, &EnvBindingsEditor::changed, m_stdioProblem, &QLabel::clear);
    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    auto *nameLabel = new QLabel(tr("&Name:"), page);
    nameLabel->setBuddy(m_stdioName);
    auto *commandLabel = new QLabel(tr("&Command:"), page);
    commandLabel->setBuddy(m_command);
    form->addRow(nameLabel, m_stdioName);
    form->addRow(commandLabel, m_command);
    auto *layout = new QVBoxLayout(page);
    layout->addLayout(form);
    layout->addWidget(new QLabel(tr("Environment:"), page));
    layout->addWidget(m_env);
    layout->addWidget(m_stdioProblem);
    layout->addStretch(1);
    return page;
}

int AddServerWizard::nextId() const
{
    switch (currentId()) {
    case KindPage:
        return m_stdio->isChecked() ? StdioPage : UrlPage;
    case UrlPage:
        return DiscoveryPage;
    case DiscoveryPage:
        return SignInPage;
    case StdioPage:
        return SavePage;
    default:
        return -1;
    }
}

bool AddServerWizard::validateCurrentPage()
{
    // What the daemon would refuse anyway is said here, before anything is sent; the daemon's own
    // checks (names, URL rules) answer on the next page.
    if (currentId() == UrlPage) {
        const QString problem = m_url->text().trimmed().isEmpty()          ? tr("Enter the server's URL.")
                                : m_remoteName->text().trimmed().isEmpty() ? tr("Enter a name for the server.")
                                                                           : QString();
        m_urlProblem->setText(problem);
        if (!problem.isEmpty()) {
            return false;
        }
    }
    if (currentId() == StdioPage) {
        QString problem;
        if (m_stdioName->text().trimmed().isEmpty()) {
            problem = tr("Enter a name for the server.");
        } else if (QProcess::splitCommand(m_command->text()).isEmpty()) {
            problem = tr("Enter the command that starts the server.");
        } else {
            problem = m_env->problem();
        }
        m_stdioProblem->setText(problem);
        if (!problem.isEmpty()) {
            return false;
        }
    }
    return QWizard::validateCurrentPage();
}

void AddServerWizard::discover(WizardTaskPage *page, quint64 token)
{
    const QString url = m_url->text().trimmed();
    page->append(token, tr("Asking %1…").arg(url));
    QPointer<WizardTaskPage> guard(page);
    QPointer<AddServerWizard> self(this);
    m_connection->call("server.discover", {{"url", url.toStdString()}}, [self, guard, token](const ipc::Response &r) {
        if (!self || !guard) {
            return;
        }
        if (!r.ok()) {
            guard->append(token, tr("Discovery failed: %1").arg(errorText(r)));
            guard->append(token, tr("Go back to correct the address."));
            guard->finish(token, false);
            return;
        }
        const ipc::Json d = JsonFields::object(r.result, "discovery");
        self->m_authRequired = JsonFields::boolean(d, "auth_required", true);
        guard->append(token, tr("Resource: %1").arg(JsonFields::string(d, "resource")));
        if (!self->m_authRequired) {
            guard->append(token, tr("The server needs no sign-in."));
        } else {
            guard->append(token, tr("Authorization server: %1").arg(JsonFields::string(d, "issuer")));
            const QStringList scopes = JsonFields::strings(d, "scopes");
            guard->append(
                token,
                tr("Scopes: %1").arg(scopes.isEmpty() ? tr("(none advertised)") : scopes.join(QLatin1Char(' '))));
            const QString registration = JsonFields::string(d, "registration");
            if (!registration.isEmpty()) {
                guard->append(token, tr("Client registration: %1").arg(registration));
            }
            if (JsonFields::boolean(d, "legacy")) {
                guard->append(token, tr("An older (2025-03-26) server without resource metadata."));
            }
        }
        guard->append(token, tr("Next adds the server%1.").arg(self->m_authRequired ? tr(" and signs in") : QString()));
        guard->finish(token, true);
    });
}

void AddServerWizard::addRemote(WizardTaskPage *page, quint64 token)
{
    const QString name = m_remoteName->text().trimmed();
    const QString url = m_url->text().trimmed();
    QPointer<WizardTaskPage> guard(page);
    QPointer<AddServerWizard> self(this);
    const auto signIn = [self, guard, token, name] {
        if (!self->m_authRequired) {
            guard->finish(token, true);
            return;
        }
        guard->append(token, tr("Signing in to %1: a browser window opens…").arg(name));
        auto progress = std::make_shared<QMetaObject::Connection>();
        *progress = connect(self->m_actions, &ServerActions::progress, guard,
                            [guard, token, name](const QString &server, const QString &stage, const QUrl &link) {
                                if (server != name) {
                                    return;
                                }
                                guard->append(
                                    token, link.isEmpty()
                                               ? tr("… %1").arg(stage)
                                               : tr("… %1: if no browser opened, open %2").arg(stage, link.toString()));
                            });
        auto done = std::make_shared<QMetaObject::Connection>();
        *done = connect(self->m_actions, &ServerActions::finished, guard,
                        [guard, token, name, progress, done](ServerActions::Action action, const QString &server,
                                                             bool ok, const QString &message) {
                            if (action != ServerActions::Action::SignIn || server != name) {
                                return;
                            }
                            disconnect(*progress);
                            disconnect(*done);
                            guard->append(token, ok ? tr("Signed in.")
                                                    : tr("Sign-in failed: %1. The server is added; sign in later "
                                                         "from the window.")
                                                          .arg(message));
                            guard->finish(token, true); // the server is there either way
                        });
        self->m_actions->signIn(name);
    };
    if (m_added.contains(name)) {
        signIn();
        return;
    }
    page->append(token, tr("Adding %1…").arg(name));
    const ipc::Json server = {{"name", name.toStdString()}, {"kind", "remote"}, {"url", url.toStdString()}};
    m_connection->call("server.add", {{"server", server}}, [self, guard, token, name, signIn](const ipc::Response &r) {
        if (!self || !guard) {
            return;
        }
        if (!r.ok()) {
            guard->append(token, tr("Not added: %1").arg(errorText(r)));
            guard->finish(token, false);
            return;
        }
        self->m_added.insert(name);
        Q_EMIT self->serverAdded(name);
        guard->append(token, tr("Added %1.").arg(name));
        signIn();
    });
}

void AddServerWizard::saveStdio(WizardTaskPage *page, quint64 token)
{
    const QString name = m_stdioName->text().trimmed();
    if (m_added.contains(name)) {
        storeSecrets(page, token, name);
        return;
    }
    ipc::Json command = ipc::Json::array();
    for (const QString &arg : QProcess::splitCommand(m_command->text())) {
        command.push_back(arg.toStdString());
    }
    ipc::Json env = ipc::Json::array();
    for (const EnvBindingsEditor::Binding &binding : m_env->bindings()) {
        env.push_back(
            {{"var", binding.variable.toStdString()}, {"source", "secret"}, {"key", binding.key.toStdString()}});
    }
    const ipc::Json server = {{"name", name.toStdString()}, {"kind", "stdio"}, {"command", command}, {"env", env}};
    page->append(token, tr("Adding %1…").arg(name));
    QPointer<WizardTaskPage> guard(page);
    QPointer<AddServerWizard> self(this);
    m_connection->call("server.add", {{"server", server}}, [self, guard, token, name](const ipc::Response &r) {
        if (!self || !guard) {
            return;
        }
        if (!r.ok()) {
            guard->append(token, tr("Not added: %1").arg(errorText(r)));
            guard->append(token, tr("Go back to correct it."));
            guard->finish(token, false);
            return;
        }
        self->m_added.insert(name);
        Q_EMIT self->serverAdded(name);
        guard->append(token, tr("Added %1.").arg(name));
        self->storeSecrets(guard, token, name);
    });
}

void AddServerWizard::storeSecrets(WizardTaskPage *page, quint64 token, const QString &name)
{
    QList<EnvBindingsEditor::Binding> values;
    for (const EnvBindingsEditor::Binding &binding : m_env->bindings()) {
        if (!binding.value.isEmpty()) {
            values.append(binding);
        }
    }
    if (values.isEmpty()) {
        page->finish(token, true);
        return;
    }
    struct Pending
    {
        qsizetype outstanding = 0;
        bool failed = false;
    };
    auto pending = std::make_shared<Pending>();
    pending->outstanding = values.size();
    QPointer<WizardTaskPage> guard(page);
    for (const EnvBindingsEditor::Binding &binding : values) {
        const ipc::Json params = {
            {"server", name.toStdString()}, {"key", binding.key.toStdString()}, {"value", binding.value.toStdString()}};
        m_connection->call("secret.set", params, [guard, token, pending, key = binding.key](const ipc::Response &r) {
            if (!guard) {
                return;
            }
            if (r.ok()) {
                guard->append(token, tr("Stored %1 in the keychain.").arg(key));
            } else {
                pending->failed = true;
                guard->append(token, tr("%1 not stored: %2").arg(key, errorText(r)));
            }
            if (--pending->outstanding == 0) {
                if (pending->failed) {
                    guard->append(token,
                                  tr("Go back and try again, or store it later: latchkey secret set SERVER KEY"));
                }
                guard->finish(token, !pending->failed);
            }
        });
    }
}

} // namespace latchkey::tray
