// Unit tests for ipc::jsonString and ipc::jsonStrings: absent and mistyped members read as empty.
#include "JsonFields.h"

#include <QTest>

using latchkey::ipc::Json;
using latchkey::ipc::jsonString;
using latchkey::ipc::jsonStrings;

class TestJsonFields : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void stringMember()
    {
        const Json doc = {{"issuer", "https://as.example/é"}, {"n", 3}, {"none", nullptr}};
        QCOMPARE(jsonString(doc, "issuer"), QStringLiteral("https://as.example/é"));
        QCOMPARE(jsonString(doc, "n"), QString());
        QCOMPARE(jsonString(doc, "none"), QString());
        QCOMPARE(jsonString(doc, "absent"), QString());
    }
    void stringEntriesOfAnArray()
    {
        const Json doc = {{"scopes", {"a", 1, "b", nullptr}}, {"single", "a"}};
        QCOMPARE(jsonStrings(doc, "scopes"), QStringList({QStringLiteral("a"), QStringLiteral("b")}));
        QCOMPARE(jsonStrings(doc, "single"), QStringList());
        QCOMPARE(jsonStrings(doc, "absent"), QStringList());
    }
};

QTEST_APPLESS_MAIN(TestJsonFields)
#include "TestJsonFields.moc"
