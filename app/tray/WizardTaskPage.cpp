#include "WizardTaskPage.h"

#include <QLabel>
#include <QProgressBar>
#include <QVBoxLayout>

namespace latchkey::tray {

WizardTaskPage::WizardTaskPage(QWidget *parent) : QWizardPage(parent)
{
    m_log = new QLabel(this);
    m_log->setObjectName(QStringLiteral("taskLog"));
    m_log->setTextFormat(Qt::PlainText);
    m_log->setWordWrap(true);
    m_log->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    m_log->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_busy = new QProgressBar(this);
    m_busy->setRange(0, 0);
    m_busy->setTextVisible(false);
    m_busy->hide();
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_log, 1);
    layout->addWidget(m_busy);
}

QString WizardTaskPage::log() const
{
    return m_lines.join(QLatin1Char('\n'));
}

void WizardTaskPage::append(quint64 token, const QString &line)
{
    if (token != m_token) {
        return;
    }
    m_lines.append(line);
    m_log->setText(log());
}

void WizardTaskPage::finish(quint64 token, bool ok)
{
    if (token != m_token || !m_running) {
        return;
    }
    m_running = false;
    m_done = true;
    m_ok = ok;
    m_busy->hide();
    Q_EMIT completeChanged();
    Q_EMIT jobFinished(ok);
}

void WizardTaskPage::initializePage()
{
    const quint64 token = ++m_token;
    m_lines.clear();
    m_log->clear();
    m_running = true;
    m_done = false;
    m_ok = false;
    m_busy->show();
    Q_EMIT completeChanged();
    if (m_job) {
        m_job(this, token);
    }
}

void WizardTaskPage::cleanupPage()
{
    ++m_token; // whatever is still under way no longer reports here
    m_running = false;
    m_busy->hide();
}

bool WizardTaskPage::isComplete() const
{
    return m_done && m_ok;
}

bool WizardTaskPage::validatePage()
{
    return isComplete();
}

} // namespace latchkey::tray
