#pragma once

#include <QList>
#include <QWidget>

class QGridLayout;
class QLineEdit;
class QPushButton;

namespace latchkey::tray {

// The environment of a local (STDIO) server: one row per variable, each bound to a secret stored for
// the server. A value typed here (in a password field) is stored in the keychain with secret.set; an
// empty value binds a secret that is stored later.
class EnvBindingsEditor : public QWidget
{
    Q_OBJECT

public:
    struct Binding
    {
        QString variable;
        QString key;
        QString value; // empty: bind only
    };

    explicit EnvBindingsEditor(QWidget *parent = nullptr);

    // Adds a row (empty, or filled: for tests and for the first row); returns its index.
    int addRow(const QString &variable = {}, const QString &key = {}, const QString &value = {});
    void removeRow(int index);
    int rowCount() const { return static_cast<int>(m_rows.size()); }
    // Rows with a variable name; the key defaults to the variable's name in lower case.
    QList<Binding> bindings() const;
    // Empty when every row is usable, else what is wrong with the first bad one.
    QString problem() const;

Q_SIGNALS:
    void changed();

private:
    struct Row
    {
        QLineEdit *variable;
        QLineEdit *key;
        QLineEdit *value;
        QPushButton *remove;
    };

    void relayout();

    QGridLayout *m_grid;
    QPushButton *m_add;
    QList<Row> m_rows;
};

} // namespace latchkey::tray
