#pragma once

#include "ConsentDialog.h"
#include "Message.h"

#include <QHash>
#include <QObject>
#include <QPointer>

namespace latchkey::tray {

class DaemonConnection;

// Makes the tray the daemon's consent agent: registers with consent.register on every (re)connection,
// shows a ConsentDialog for each consent.request and sends the person's answer with consent.answer.
// A question that ends in the daemon (timeout, consent.resolved) or a lost connection closes its dialog.
// Never blocks: every call is asynchronous.
class ConsentController : public QObject
{
    Q_OBJECT

public:
    // dialogParent: the dialogs' parent widget, if any (they are top-level windows either way).
    explicit ConsentController(DaemonConnection &connection, QWidget *dialogParent = nullptr,
                               QObject *parent = nullptr);
    ~ConsentController() override;

    bool isRegistered() const { return m_registered; }
    QList<ConsentDialog *> openDialogs() const;

Q_SIGNALS:
    void registeredChanged(bool registered);
    // A dialog was shown (tests, and the tray icon's attention state).
    void dialogOpened(latchkey::tray::ConsentDialog *dialog);
    // The daemon's answer to consent.answer: empty error when it took it.
    void answerSent(qint64 id, const QString &decision, const QString &error);

private:
    void onStateChanged();
    void onEvent(const ipc::Event &event);
    void show(const ConsentRequest &request);
    void setRegistered(bool registered);
    void closeAll();

    DaemonConnection &m_connection;
    QPointer<QWidget> m_dialogParent;
    QHash<qint64, QPointer<ConsentDialog>> m_dialogs;
    bool m_registered = false;
};

} // namespace latchkey::tray
