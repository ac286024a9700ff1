#pragma once

#include "ConsentRequest.h"

#include <QDeadlineTimer>
#include <QDialog>
#include <QTimer>

class QLabel;
class QPushButton;

namespace latchkey::tray {

// Asks the person whether an app may use a server's credentials: names the app (executable path and pid)
// and the server, offers Allow once / Always allow / Deny, and counts down to the daemon's timeout.
// No button is the default, so Enter never allows by accident; Esc and closing the window deny.
// Runs out of time: TimedOut, and no answer is sent (the daemon denies this request only).
class ConsentDialog : public QDialog
{
    Q_OBJECT

public:
    enum class Outcome
    {
        AllowOnce,
        AllowAlways,
        Deny,
        TimedOut
    };
    Q_ENUM(Outcome)

    explicit ConsentDialog(const ConsentRequest &request, QWidget *parent = nullptr);

    const ConsentRequest &request() const { return m_request; }
    QPushButton *button(Outcome outcome) const;
    int secondsLeft() const;
    QString countdownText() const;
    // Closes without an outcome: the question ended elsewhere (timed out in the daemon, the daemon went away).
    void dismiss();

Q_SIGNALS:
    // Emitted once.
    void decided(latchkey::tray::ConsentDialog::Outcome outcome);

public Q_SLOTS:
    void reject() override; // Esc, the window's close button

private:
    void finish(Outcome outcome);
    void tick();

    ConsentRequest m_request;
    QDeadlineTimer m_deadline;
    QTimer m_countdown;
    QLabel *m_countdownLabel = nullptr;
    QPushButton *m_once = nullptr;
    QPushButton *m_always = nullptr;
    QPushButton *m_deny = nullptr;
    bool m_finished = false;
};

} // namespace latchkey::tray
