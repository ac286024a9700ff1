#include "ImportWizard.h"

#include "ImportRunner.h"
#include "McpClientKind.h"
#include "McpConfigReader.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStandardPaths>
#include <QVBoxLayout>

#include <functional>

namespace latchkey::tray {

using import::McpClientKind;

// A wizard page whose "complete" is decided by the wizard.
class ImportWizard::Page : public QWizardPage
{
public:
    std::function<bool()> complete;
    bool isComplete() const override { return complete ? complete() : true; }
    void refresh() { Q_EMIT completeChanged(); }
};

ImportWizard::ImportWizard(Options options, QWidget *parent)
    : QWizard(parent), m_options(std::move(options)), m_daemon(m_options.socketPath)
{
    if (m_options.program.isEmpty()) {
        m_options.program = defaultProgram();
    }
    setWindowTitle(tr("Import MCP servers"));
    setOption(QWizard::NoBackButtonOnLastPage);
    setOption(QWizard::NoCancelButtonOnLastPage);
    buildSourcePage();
    buildPlanPage();
    buildResultPage();
}

QString ImportWizard::defaultProgram()
{
    const QString beside = QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("latchkey"));
    if (QFileInfo(beside).isExecutable()) {
        return beside;
    }
    const QString onPath = QStandardPaths::findExecutable(QStringLiteral("latchkey"));
    return onPath.isEmpty() ? QStringLiteral("latchkey") : onPath;
}

void ImportWizard::buildSourcePage()
{
    auto *page = new Page;
    page->setTitle(tr("Where are your MCP servers configured?"));
    page->setSubTitle(tr("Latchkey moves the secrets it finds there into the keychain and rewrites each entry to "
                         "go through Latchkey. You see every change before anything happens."));
    m_client = new QComboBox(page);
    for (const McpClientKind::Kind kind :
         {McpClientKind::ClaudeDesktop, McpClientKind::VsCode, McpClientKind::Cursor}) {
        m_client->addItem(McpClientKind::displayName(kind), int(kind));
    }
    m_file = new QLineEdit(page);
    auto *browse = new QPushButton(tr("&Browse…"), page);
    auto *fileRow = new QHBoxLayout;
    fileRow->addWidget(m_file, 1);
    fileRow->addWidget(browse);
    m_backup = new QCheckBox(tr("&Keep a backup of the original file (readable by you only; it still holds the "
                                "secrets, delete it once you have checked the result)"),
                             page);
    m_backup->setChecked(true);
    m_sourceError = new QLabel(page);
    m_sourceError->setWordWrap(true);
    m_sourceError->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *form = new QFormLayout(page);
    form->addRow(tr("&Client:"), m_client);
    form->addRow(tr("&File:"), fileRow);
    form->addRow(m_backup);
    form->addRow(m_sourceError);
    connect(m_client, &QComboBox::currentIndexChanged, this, &ImportWizard::onClientChanged);
    connect(browse, &QPushButton::clicked, this, &ImportWizard::browse);
    page->complete = [this] { return !m_file->text().trimmed().isEmpty(); };
    connect(m_file, &QLineEdit::textChanged, page, &Page::refresh);
    setPage(SourcePage, page);
    onClientChanged();
}

void ImportWizard::buildPlanPage()
{
    m_planPage = new Page;
    m_planPage->setTitle(tr("What the import will do"));
    m_planPage->setCommitPage(true);
    m_planPage->setButtonText(QWizard::CommitButton, tr("&Import"));
    m_planText = new QLabel(m_planPage);
    m_planText->setWordWrap(true);
    m_planText->setTextFormat(Qt::PlainText);
    m_planText->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_diff = new QPlainTextEdit(m_planPage);
    m_diff->setReadOnly(true);
    m_diff->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_diff->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_diff->setAccessibleName(tr("Changes to the file"));
    auto *layout = new QVBoxLayout(m_planPage);
    layout->addWidget(m_planText);
    layout->addWidget(m_diff, 1);
    m_planPage->complete = [this] { return planIsImportable() && !m_busy; };
    setPage(PlanPage, m_planPage);
}

void ImportWizard::buildResultPage()
{
    auto *page = new Page;
    page->setTitle(tr("Import"));
    m_resultText = new QLabel(page);
    m_resultText->setWordWrap(true);
    m_resultText->setTextFormat(Qt::PlainText);
    m_resultText->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *layout = new QVBoxLayout(page);
    layout->addWidget(m_resultText);
    layout->addStretch(1);
    setPage(ResultPage, page);
}

void ImportWizard::onClientChanged()
{
    const auto kind = McpClientKind::Kind(m_client->currentData().toInt());
    m_file->setText(QDir::toNativeSeparators(McpClientKind::defaultPath(kind)));
    m_sourceError->clear();
}

void ImportWizard::browse()
{
    const QString file = QFileDialog::getOpenFileName(this, tr("MCP configuration"), m_file->text(),
                                                      tr("JSON files (*.json);;All files (*)"));
    if (!file.isEmpty()) {
        m_file->setText(QDir::toNativeSeparators(file));
    }
}

bool ImportWizard::validateCurrentPage()
{
    if (currentId() == SourcePage) {
        QString why;
        m_config = import::McpConfigReader::read(QDir::fromNativeSeparators(m_file->text().trimmed()),
                                                 McpClientKind::Kind(m_client->currentData().toInt()), &why);
        m_sourceError->setText(m_config ? QString() : why + QLatin1Char('\n') + tr("Nothing was changed."));
        return m_config.has_value();
    }
    if (currentId() == PlanPage && !m_imported) {
        runImport(); // asynchronous; the wizard moves on when it is done
        return false;
    }
    return QWizard::validateCurrentPage();
}

void ImportWizard::initializePage(int id)
{
    if (id == PlanPage) {
        makePlan();
    }
    QWizard::initializePage(id);
}

void ImportWizard::makePlan()
{
    m_plan.reset();
    m_busy = true;
    m_diff->clear();
    m_planText->setText(tr("Asking Latchkey which servers it already has…"));
    m_planPage->refresh();
    const auto list = [this] {
        m_daemon.callAsync("server.list", nlohmann::json::object(), [this](const ipc::Response &response) {
            if (!response.ok()) {
                m_busy = false;
                m_planText->setText(
                    tr("Latchkey's daemon did not answer: %1").arg(QString::fromStdString(response.errorMessage)));
                m_planPage->refresh();
                Q_EMIT planReady();
                return;
            }
            planWith(response.result.value("servers", nlohmann::json::array()));
        });
    };
    if (m_daemon.isConnected()) {
        list();
        return;
    }
    auto once = std::make_shared<QList<QMetaObject::Connection>>();
    const auto disconnectAll = [once] {
        for (const auto &connection : std::as_const(*once)) {
            QObject::disconnect(connection);
        }
    };
    *once << connect(&m_daemon, &ipc::Client::connected, this, [list, disconnectAll] {
        disconnectAll();
        list();
    });
    *once << connect(&m_daemon, &ipc::Client::disconnected, this, [this, disconnectAll] {
        disconnectAll();
        m_busy = false;
        m_planText->setText(tr("Cannot reach Latchkey's daemon at %1: %2. Start it (latchkeyd) and try again.")
                                .arg(m_options.socketPath, m_daemon.lastError()));
        m_planPage->refresh();
        Q_EMIT planReady();
    });
    m_daemon.connectAsync();
}

void ImportWizard::planWith(const nlohmann::json &servers)
{
    m_busy = false;
    m_plan = import::ImportPlan::build(*m_config, servers, m_options.program);
    QStringList lines = m_plan->summary();
    for (const QString &notice : m_plan->notices()) {
        lines << QString() << notice;
    }
    if (!m_plan->conflicts().isEmpty()) {
        lines << QString() << tr("This cannot be imported as it is:") << m_plan->conflicts()
              << tr("Nothing was changed.");
    } else if (m_plan->changeCount() == 0) {
        lines << QString() << tr("Nothing to import.");
    } else {
        lines << QString()
              << tr("Import moves the secrets into the keychain, adds %n server(s) to Latchkey and rewrites the file "
                    "as shown below (secrets masked).",
                    nullptr, m_plan->changeCount());
        m_diff->setPlainText(m_plan->diff());
    }
    m_planText->setText(lines.join(QLatin1Char('\n')));
    m_planPage->refresh();
    Q_EMIT planReady();
}

bool ImportWizard::planIsImportable() const
{
    return m_plan && m_plan->conflicts().isEmpty() && m_plan->changeCount() > 0;
}

void ImportWizard::runImport()
{
    if (m_busy || !planIsImportable()) {
        return;
    }
    m_busy = true;
    m_planPage->refresh();
    m_planText->setText(m_planText->text() + QLatin1Char('\n') + tr("Importing…"));
    import::ImportRunner runner([this](const std::string &method, nlohmann::json params,
                                       std::function<void(const ipc::Response &)> done) {
        m_daemon.callAsync(method, std::move(params), std::move(done));
});
runner.run(*m_plan, {m_backup->isChecked()}, [this](const import::ImportRunner::Result &result) {
    m_busy = false;
    m_imported = true;
    m_succeeded = result.ok;
    QStringList lines{result.message};
    lines << result.leftovers;
    if (result.ok) {
        lines << QString()
              << tr("Restart %1 so it picks up the new entries.")
                     .arg(McpClientKind::displayName(McpClientKind::Kind(m_config->client)));
        if (!result.backupPath.isEmpty()) {
            lines << tr("The original is backed up at %1 (readable by you only). It still holds the secrets "
                        "that were moved: check the result, then delete it.")
                         .arg(QDir::toNativeSeparators(result.backupPath));
        }
    }
    m_resultText->setText(lines.join(QLatin1Char('\n')));
    next();
    Q_EMIT importFinished(result.ok);
});
} // namespace latchkey::tray

} // namespace latchkey::tray
