#include "ConsentController.h"

#include "DaemonConnection.h"
#include "JsonFields.h"
#include "TrayLogging.h"

namespace latchkey::tray {

ConsentController::ConsentController(DaemonConnection &connection, QWidget *dialogParent, QObject *parent)
    : QObject(parent), m_connection(connection), m_dialogParent(dialogParent)
{
    connect(&m_connection, &DaemonConnection::stateChanged, this, &ConsentController::onStateChanged);
    connect(&m_connection, &DaemonConnection::daemonEvent, this, &ConsentController::onEvent);
    onStateChanged(); // already connected: register now
}

ConsentController::~ConsentController()
{
    closeAll();
}

QList<ConsentDialog *> ConsentController::openDialogs() const
{
    QList<ConsentDialog *> dialogs;
    for (const auto &dialog : m_dialogs) {
        if (dialog) {
            dialogs.append(dialog);
        }
    }
    return dialogs;
}

void ConsentController::onStateChanged()
{
    if (m_connection.state() != DaemonConnection::State::Connected) {
        // The daemon denied what it asked when this connection went; nothing left to answer.
        closeAll();
        setRegistered(false);
        return;
    }
    m_connection.call("consent.register", ipc::Json::object(), [this](const ipc::Response &response) {
        if (!response.ok()) {
            qCWarning(lcTray) << "consent.register failed:" << QString::fromStdString(response.errorMessage);
            return;
        }
        setRegistered(true);
    });
}

void ConsentController::setRegistered(bool registered)
{
    if (m_registered != registered) {
        m_registered = registered;
        Q_EMIT registeredChanged(registered);
    }
}

void ConsentController::onEvent(const ipc::Event &event)
{
    if (event.name == "consent.request") {
        const ConsentRequest request = ConsentRequest::fromJson(event.data);
        if (request.isValid()) {
            show(request);
        }
        return;
    }
    if (event.name == "consent.resolved") {
        if (const auto dialog = m_dialogs.take(JsonFields::integer(event.data, "id", -1)); dialog) {
            dialog->dismiss();
        }
    }
}

void ConsentController::show(const ConsentRequest &request)
{
    if (const auto existing = m_dialogs.value(request.id); existing) {
        existing->raise(); // asked again after a reconnect: the dialog is already up
        return;
    }
    auto *dialog = new ConsentDialog(request, m_dialogParent);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    m_dialogs.insert(request.id, dialog);
    connect(dialog, &ConsentDialog::decided, this, [this, id = request.id](ConsentDialog::Outcome outcome) {
        m_dialogs.remove(id);
        const char *decision = nullptr;
        switch (outcome) {
        case ConsentDialog::Outcome::AllowOnce:
            decision = "once";
            break;
        case ConsentDialog::Outcome::AllowAlways:
            decision = "always";
            break;
        case ConsentDialog::Outcome::Deny:
            decision = "deny";
            break;
        case ConsentDialog::Outcome::TimedOut:
            return; // the daemon denies this request itself; nothing is stored
        }
        m_connection.call("consent.answer", {{"id", id}, {"decision", decision}},
                          [this, id, decision](const ipc::Response &response) {
                              Q_EMIT answerSent(id, QString::fromLatin1(decision),
                                                QString::fromStdString(response.errorMessage));
                          });
    });
    dialog->show();
    dialog->raise();
    dialog->activateWindow();
    Q_EMIT dialogOpened(dialog);
}

void ConsentController::closeAll()
{
    const auto dialogs = std::exchange(m_dialogs, {});
    for (const auto &dialog : dialogs) {
        if (dialog) {
            dialog->dismiss();
        }
    }
}

} // namespace latchkey::tray
