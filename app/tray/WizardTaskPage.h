#pragma once

#include <QWizardPage>

#include <functional>

class QLabel;
class QProgressBar;

namespace latchkey::tray {

// A wizard page that runs an asynchronous job when it is entered (discover, add, sign in, store
// secrets), shows what happens line by line, and lets the wizard go on once the job has succeeded.
// The job reports through append() and finish(); a finish from a job the person left (Back) is ignored.
class WizardTaskPage : public QWizardPage
{
    Q_OBJECT

public:
    // The job; it gets a token it passes back to append()/finish().
    using Job = std::function<void(WizardTaskPage *page, quint64 token)>;

    explicit WizardTaskPage(QWidget *parent = nullptr);

    void setJob(Job job) { m_job = std::move(job); }
    void append(quint64 token, const QString &line);
    void finish(quint64 token, bool ok);

    bool isRunning() const { return m_running; }
    bool succeeded() const { return m_done && m_ok; }
    QString log() const;

    void initializePage() override;
    void cleanupPage() override;
    bool isComplete() const override;
    // Not past this page until the job succeeded (QWizard::next() does not look at isComplete()).
    bool validatePage() override;

Q_SIGNALS:
    void jobFinished(bool ok);

private:
    Job m_job;
    QLabel *m_log;
    QProgressBar *m_busy;
    QStringList m_lines;
    quint64 m_token = 0;
    bool m_running = false;
    bool m_done = false;
    bool m_ok = false;
};

} // namespace latchkey::tray
