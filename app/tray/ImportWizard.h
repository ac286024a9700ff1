#pragma once

#include "Client.h"
#include "ImportPlan.h"

#include <QWizard>

#include <optional>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;

namespace latchkey::tray {

// "Import MCP servers…": pick a client and its file, see the plan and the diff (secrets masked), confirm,
// see the result. The same app/import classes as `latchkey import`; a pure IPC client with its own
// connection to the daemon, and every call asynchronous, so the UI never waits on the socket.
class ImportWizard : public QWizard
{
    Q_OBJECT

public:
    enum PageId
    {
        SourcePage,
        PlanPage,
        ResultPage,
    };

    struct Options
    {
        QString socketPath;
        QString program; // what rewritten entries launch; defaultProgram() when empty
    };

    explicit ImportWizard(Options options, QWidget *parent = nullptr);

    // The `latchkey` next to this program, else the one on PATH, else plain "latchkey".
    static QString defaultProgram();

    // For tests and for people: the widgets that matter.
    QComboBox *clientBox() const { return m_client; }
    QLineEdit *fileEdit() const { return m_file; }
    QCheckBox *backupBox() const { return m_backup; }
    QPlainTextEdit *diffView() const { return m_diff; }
    QLabel *planLabel() const { return m_planText; }
    QLabel *resultLabel() const { return m_resultText; }
    bool isPlanReady() const { return m_plan.has_value() && !m_busy; }
    bool succeeded() const { return m_succeeded; }

Q_SIGNALS:
    // The plan page has its plan (or its error); the import finished (either way).
    void planReady();
    void importFinished(bool ok);

protected:
    bool validateCurrentPage() override;
    void initializePage(int id) override;

private:
    class Page;
    void buildSourcePage();
    void buildPlanPage();
    void buildResultPage();
    void onClientChanged();
    void browse();
    void makePlan();
    void planWith(const nlohmann::json &servers);
    void runImport();
    bool planIsImportable() const;

    Options m_options;
    ipc::Client m_daemon;
    QComboBox *m_client = nullptr;
    QLineEdit *m_file = nullptr;
    QCheckBox *m_backup = nullptr;
    QLabel *m_sourceError = nullptr;
    QLabel *m_planText = nullptr;
    QPlainTextEdit *m_diff = nullptr;
    QLabel *m_resultText = nullptr;
    Page *m_planPage = nullptr;
    std::optional<import::McpConfig> m_config;
    std::optional<import::ImportPlan> m_plan;
    bool m_busy = false;
    bool m_imported = false;
    bool m_succeeded = false;
};

} // namespace latchkey::tray
