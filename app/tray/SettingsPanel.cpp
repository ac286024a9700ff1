#include "SettingsPanel.h"

#include "AutostartEntry.h"
#include "DaemonConnection.h"
#include "JsonFields.h"
#include "Protocol.h"

#include <QCheckBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QPushButton>
#include <QVBoxLayout>

namespace latchkey::tray {

namespace {

QString browserNote(bool available)
{
    return available ? SettingsPanel::tr("The daemon opens this program with the sign-in address as its only "
                                         "argument (no shell). $LATCHKEY_BROWSER, when the daemon has it, wins.")
                     : SettingsPanel::tr("This daemon has no browser setting; it uses $LATCHKEY_BROWSER or the "
                                         "desktop's default.");
}

} // namespace

SettingsPanel::SettingsPanel(DaemonConnection *connection, QWidget *parent) : QWidget(parent), m_connection(connection)
{
    m_autostart = new QCheckBox(tr("Start Latchkey when I &log in"), this);
    m_autostart->setObjectName(QStringLiteral("autostartCheck"));
    m_autostart->setChecked(AutostartEntry::isEnabled());
    m_autostart->setToolTip(tr("Writes or removes %1").arg(AutostartEntry::path()));
    connect(m_autostart, &QCheckBox::toggled, this, &SettingsPanel::setAutostart);

    m_browser = new QLineEdit(this);
    m_browser->setObjectName(QStringLiteral("browserEdit"));
    m_browser->setPlaceholderText(tr("the desktop's default (xdg-open)"));
    m_applyBrowser = new QPushButton(tr("A&pply"), this);
    m_applyBrowser->setObjectName(QStringLiteral("applyBrowser"));
    connect(m_applyBrowser, &QPushButton::clicked, this, &SettingsPanel::applyBrowser);
    connect(m_browser, &QLineEdit::returnPressed, this, &SettingsPanel::applyBrowser);
    m_browserNote = new QLabel(this);
    m_browserNote->setObjectName(QStringLiteral("browserNote"));
    m_browserNote->setWordWrap(true);
    m_browserNote->setTextFormat(Qt::PlainText);
    m_browserNote->setText(browserNote(true));

    m_browserStatus = new QLabel(this);
    m_browserStatus->setObjectName(QStringLiteral("browserStatus"));
    m_browserStatus->setWordWrap(true);
    m_browserStatus->setTextFormat(Qt::PlainText);
    m_browserStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_browserStatus->hide();

    auto *browserRow = new QHBoxLayout;
    browserRow->addWidget(m_browser, 1);
    browserRow->addWidget(m_applyBrowser);
    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->setRowWrapPolicy(QFormLayout::WrapLongRows);
    form->addRow(m_autostart);
    auto *browserLabel = new QLabel(tr("Sign-in &browser:"), this);
    browserLabel->setBuddy(m_browser);
    form->addRow(browserLabel, browserRow);
    form->addRow(QString(), m_browserStatus);
    form->addRow(QString(), m_browserNote);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addStretch(1);

    connect(m_connection, &DaemonConnection::stateChanged, this, [this](DaemonConnection::State state) {
        if (state == DaemonConnection::State::Connected) {
            reload();
        }
    });
}

void SettingsPanel::setAutostart(bool enabled)
{
    QString error;
    if (!AutostartEntry::setEnabled(enabled, &error)) {
        const QSignalBlocker block(m_autostart);
        m_autostart->setChecked(!enabled);
        Q_EMIT message(tr("Start at login: %1").arg(error));
        return;
    }
    Q_EMIT message(enabled ? tr("Latchkey starts at login (%1)").arg(AutostartEntry::path())
                           : tr("Latchkey no longer starts at login"));
}

void SettingsPanel::showBrowserStatus(const QString &text)
{
    m_browserStatus->setText(text);
    m_browserStatus->show();
    Q_EMIT message(text);
}

QString SettingsPanel::browserStatus() const
{
    return m_browserStatus->isVisibleTo(this) ? m_browserStatus->text() : QString();
}

void SettingsPanel::reload()
{
    QPointer<SettingsPanel> self(this);
    m_connection->call("settings.get", ipc::Json::object(), [self](const ipc::Response &response) {
        if (!self) {
            return;
        }
        const bool available = response.ok() || response.errorCode != ipc::error::UnknownMethod;
        self->m_browser->setEnabled(available);
        self->m_applyBrowser->setEnabled(available);
        // (Said again each time: the daemon that answers may be a newer one after a restart.)
        self->m_browserNote->setText(browserNote(available));
        if (response.ok() && !self->m_browser->isModified()) {
            self->m_browser->setText(JsonFields::string(response.result, "browser"));
        }
    });
}

void SettingsPanel::applyBrowser()
{
    QPointer<SettingsPanel> self(this);
    const QString browser = m_browser->text().trimmed();
    m_connection->call(
        "settings.set", {{"browser", browser.toStdString()}}, [self, browser](const ipc::Response &response) {
            if (!self) {
                return;
            }
            if (!response.ok()) {
                // What was typed stays in the field, to be corrected.
                self->showBrowserStatus(
                    tr("Browser not changed: %1").arg(QString::fromStdString(response.errorMessage)));
                return;
            }
            // The value as the daemon keeps it (trimmed).
            self->m_browser->setText(
                response.result.contains("browser") ? JsonFields::string(response.result, "browser") : browser);
            self->m_browser->setModified(false);
            self->showBrowserStatus(browser.isEmpty() ? tr("Sign-ins open the desktop's default browser")
                                                      : tr("Sign-ins open %1").arg(browser));
        });
}

} // namespace latchkey::tray
