#include "EnvBindingsEditor.h"

#include <QGridLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QVBoxLayout>

namespace latchkey::tray {

EnvBindingsEditor::EnvBindingsEditor(QWidget *parent) : QWidget(parent)
{
    m_grid = new QGridLayout;
    m_grid->addWidget(new QLabel(tr("Variable"), this), 0, 0);
    m_grid->addWidget(new QLabel(tr("Secret name"), this), 0, 1);
    m_grid->addWidget(new QLabel(tr("Value (stored in the keychain)"), this), 0, 2);
    m_grid->setColumnStretch(0, 2);
    m_grid->setColumnStretch(1, 2);
    m_grid->setColumnStretch(2, 3);
    m_add = new QPushButton(tr("Add &variable"), this);
    m_add->setObjectName(QStringLiteral("addVariable"));
    connect(m_add, &QPushButton::clicked, this, [this] { m_rows.at(addRow()).variable->setFocus(); });
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(m_grid);
    layout->addWidget(m_add, 0, Qt::AlignLeft);
}

int EnvBindingsEditor::addRow(const QString &variable, const QString &key, const QString &value)
{
    Row row;
    row.variable = new QLineEdit(variable, this);
    row.variable->setPlaceholderText(QStringLiteral("GITHUB_TOKEN"));
    row.variable->setAccessibleName(tr("Variable"));
    row.key = new QLineEdit(key, this);
    row.key->setPlaceholderText(tr("same as the variable"));
    row.key->setAccessibleName(tr("Secret name"));
    row.value = new QLineEdit(value, this);
    row.value->setEchoMode(QLineEdit::Password);
    row.value->setPlaceholderText(tr("leave empty to store it later"));
    row.value->setAccessibleName(tr("Secret value"));
    row.remove = new QPushButton(tr("Remove"), this);
    for (QLineEdit *edit : {row.variable, row.key, row.value}) {
        connect(edit, &QLineEdit::textChanged, this, &EnvBindingsEditor::changed);
    }
    connect(row.remove, &QPushButton::clicked, this, [this, button = row.remove] {
        for (int i = 0; i < m_rows.size(); ++i) {
            if (m_rows.at(i).remove == button) {
                removeRow(i);
                return;
            }
        }
    });
    m_rows.append(row);
    relayout();
    Q_EMIT changed();
    return static_cast<int>(m_rows.size()) - 1;
}

void EnvBindingsEditor::removeRow(int index)
{
    if (index < 0 || index >= m_rows.size()) {
        return;
    }
    const Row row = m_rows.takeAt(index);
    for (QWidget *widget : {static_cast<QWidget *>(row.variable), static_cast<QWidget *>(row.key),
                            static_cast<QWidget *>(row.value), static_cast<QWidget *>(row.remove)}) {
        widget->deleteLater();
    }
    relayout();
    Q_EMIT changed();
}

void EnvBindingsEditor::relayout()
{
    // Rows in order, and the tab order with them: variable, name, value, remove, next row, add.
    QWidget *previous = nullptr;
    for (int i = 0; i < m_rows.size(); ++i) {
        const Row &row = m_rows.at(i);
        m_grid->addWidget(row.variable, i + 1, 0);
        m_grid->addWidget(row.key, i + 1, 1);
        m_grid->addWidget(row.value, i + 1, 2);
        m_grid->addWidget(row.remove, i + 1, 3);
        for (QWidget *widget : {static_cast<QWidget *>(row.variable), static_cast<QWidget *>(row.key),
                                static_cast<QWidget *>(row.value), static_cast<QWidget *>(row.remove)}) {
            if (previous) {
                setTabOrder(previous, widget);
            }
            previous = widget;
        }
    }
    if (previous) {
        setTabOrder(previous, m_add);
    }
}

QList<EnvBindingsEditor::Binding> EnvBindingsEditor::bindings() const
{
    QList<Binding> list;
    for (const Row &row : m_rows) {
        const QString variable = row.variable->text().trimmed();
        if (variable.isEmpty()) {
            continue;
        }
        QString key = row.key->text().trimmed();
        if (key.isEmpty()) {
            key = variable.toLower().replace(QLatin1Char('_'), QLatin1Char('-'));
        }
        list.append({variable, key, row.value->text()});
    }
    return list;
}

QString EnvBindingsEditor::problem() const
{
    static const QRegularExpression envName(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]*$"));
    QStringList seen;
    for (const Binding &binding : bindings()) {
        if (!envName.match(binding.variable).hasMatch()) {
            return tr("%1 is not a variable name (letters, digits and _, not starting with a digit)")
                .arg(binding.variable);
        }
        if (seen.contains(binding.variable)) {
            return tr("%1 is bound twice").arg(binding.variable);
        }
        seen.append(binding.variable);
    }
    return {};
}

} // namespace latchkey::tray
