#include "ConsentDialog.h"

#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace latchkey::tray {

ConsentDialog::ConsentDialog(const ConsentRequest &request, QWidget *parent)
    : QDialog(parent), m_request(request), m_deadline(request.timeoutMs)
{
    setWindowTitle(tr("Allow access to %1?").arg(request.serverName));
    setWindowFlag(Qt::WindowStaysOnTopHint); // an app is waiting on this answer
    // Wide enough that a program path and a server URL read on one or two lines, not word by word.
    setMinimumWidth(fontMetrics().averageCharWidth() * 64);
    const QString app = request.appName.isEmpty() ? request.appExecutable : request.appName;

    auto *layout = new QVBoxLayout(this);
    auto *headline = new QLabel(tr("<b>%1</b> wants to use the credentials of <b>%2</b>.")
                                    .arg(app.toHtmlEscaped(), request.serverName.toHtmlEscaped()),
                                this);
    headline->setWordWrap(true);
    layout->addWidget(headline);

    auto *form = new QFormLayout;
    auto *program = new QLabel(tr("%1 (process %2)").arg(request.appExecutable).arg(request.appPid), this);
    program->setTextFormat(Qt::PlainText);
    program->setTextInteractionFlags(Qt::TextSelectableByMouse);
    program->setWordWrap(true);
    form->addRow(tr("Program:"), program);
    auto *server =
        new QLabel(request.serverUrl.isEmpty() ? request.command.join(QLatin1Char(' ')) : request.serverUrl, this);
    server->setTextFormat(Qt::PlainText);
    server->setTextInteractionFlags(Qt::TextSelectableByMouse);
    server->setWordWrap(true);
    form->addRow(tr("Server %1:").arg(request.serverName), server);
    if (!request.tokensOf.isEmpty()) {
        auto *tokens = new QLabel(request.tokensOf.join(QStringLiteral(", ")), this);
        tokens->setTextFormat(Qt::PlainText);
        form->addRow(tr("Also gets the sign-in of:"), tokens);
    }
    layout->addLayout(form);

    auto *note = new QLabel(tr("Only allow programs you know. You can revoke this later in Latchkey."), this);
    note->setWordWrap(true);
    layout->addWidget(note);
    m_countdownLabel = new QLabel(this);
    layout->addWidget(m_countdownLabel);

    // A plain row, not a QDialogButtonBox: that makes its first accept button the default when shown.
    auto *buttons = new QHBoxLayout;
    buttons->addStretch(1);
    m_deny = new QPushButton(tr("&Deny"), this);
    m_once = new QPushButton(tr("Allow &once"), this);
    m_always = new QPushButton(tr("&Always allow"), this);
    for (QPushButton *button : {m_deny, m_once, m_always}) {
        button->setAutoDefault(false); // Enter must not allow anything
        button->setDefault(false);
        buttons->addWidget(button);
    }
    layout->addLayout(buttons);
    connect(m_once, &QPushButton::clicked, this, [this] { finish(Outcome::AllowOnce); });
    connect(m_always, &QPushButton::clicked, this, [this] { finish(Outcome::AllowAlways); });
    connect(m_deny, &QPushButton::clicked, this, [this] { finish(Outcome::Deny); });
    m_deny->setFocus();

    m_countdown.setInterval(250);
    connect(&m_countdown, &QTimer::timeout, this, &ConsentDialog::tick);
    m_countdown.start();
    tick();
}

QPushButton *ConsentDialog::button(Outcome outcome) const
{
    switch (outcome) {
    case Outcome::AllowOnce:
        return m_once;
    case Outcome::AllowAlways:
        return m_always;
    case Outcome::Deny:
        return m_deny;
    case Outcome::TimedOut:
        break;
    }
    return nullptr;
}

int ConsentDialog::secondsLeft() const
{
    return static_cast<int>((m_deadline.remainingTime() + 999) / 1000);
}

QString ConsentDialog::countdownText() const
{
    return m_countdownLabel->text();
}

void ConsentDialog::tick()
{
    if (m_deadline.hasExpired()) {
        finish(Outcome::TimedOut);
        return;
    }
    m_countdownLabel->setText(tr("Denied in %n second(s) unless you answer.", nullptr, secondsLeft()));
}

void ConsentDialog::reject()
{
    finish(Outcome::Deny);
}

void ConsentDialog::dismiss()
{
    m_finished = true;
    m_countdown.stop();
    QDialog::done(QDialog::Rejected);
}

void ConsentDialog::finish(Outcome outcome)
{
    if (m_finished) {
        return;
    }
    m_finished = true;
    m_countdown.stop();
    Q_EMIT decided(outcome);
    QDialog::done(outcome == Outcome::AllowOnce || outcome == Outcome::AllowAlways ? QDialog::Accepted
                                                                                   : QDialog::Rejected);
}

} // namespace latchkey::tray
