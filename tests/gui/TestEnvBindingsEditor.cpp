#include "EnvBindingsEditor.h"

#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

using latchkey::tray::EnvBindingsEditor;

class TestEnvBindingsEditor : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void rowsBecomeBindings()
    {
        EnvBindingsEditor editor;
        QSignalSpy changed(&editor, &EnvBindingsEditor::changed);
        QCOMPARE(editor.rowCount(), 0);
        QVERIFY(editor.bindings().isEmpty());
        QCOMPARE(editor.problem(), QString());

        editor.addRow(QStringLiteral("GITHUB_TOKEN"), QString(), QStringLiteral("v1"));
        editor.addRow(QStringLiteral("API_KEY"), QStringLiteral("search-key"));
        editor.addRow(); // an empty row is ignored
        QCOMPARE(editor.rowCount(), 3);
        QCOMPARE(changed.size(), 3);
        const auto bindings = editor.bindings();
        QCOMPARE(bindings.size(), 2);
        // The secret's name defaults to the variable's, lower case with dashes.
        QCOMPARE(bindings.at(0).key, QStringLiteral("github-token"));
        QCOMPARE(bindings.at(0).value, QStringLiteral("v1"));
        QCOMPARE(bindings.at(1).key, QStringLiteral("search-key"));
        QVERIFY(bindings.at(1).value.isEmpty());
        // Values are typed into password fields.
        const auto edits = editor.findChildren<QLineEdit *>();
        QCOMPARE(edits.at(2)->echoMode(), QLineEdit::Password);
        QCOMPARE(edits.at(5)->echoMode(), QLineEdit::Password);

        editor.removeRow(0);
        QCOMPARE(editor.rowCount(), 2);
        QCOMPARE(editor.bindings().size(), 1);
        QCOMPARE(editor.bindings().at(0).variable, QStringLiteral("API_KEY"));

        QTest::mouseClick(editor.findChild<QPushButton *>(QStringLiteral("addVariable")), Qt::LeftButton);
        QCOMPARE(editor.rowCount(), 3);
    }

    void problemsAreNamed()
    {
        EnvBindingsEditor editor;
        editor.addRow(QStringLiteral("9LIVES"));
        QVERIFY(editor.problem().contains(QStringLiteral("9LIVES")));
        editor.removeRow(0);
        editor.addRow(QStringLiteral("TOKEN"));
        editor.addRow(QStringLiteral("TOKEN"), QStringLiteral("other"));
        QCOMPARE(editor.problem(), QStringLiteral("TOKEN is bound twice"));
        editor.removeRow(1);
        QCOMPARE(editor.problem(), QString());
        editor.removeRow(7); // out of range: nothing happens
        QCOMPARE(editor.rowCount(), 1);
    }
};

QTEST_MAIN(TestEnvBindingsEditor)
#include "TestEnvBindingsEditor.moc"
