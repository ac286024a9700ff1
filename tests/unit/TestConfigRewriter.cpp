// Unit tests for ConfigRewriter: in-place edits that keep the rest of the file, and the unified diff.
#include "ConfigRewriter.h"

#include <QTest>

using latchkey::import::ConfigRewriter;
using latchkey::import::JsonSpans;
using Ordered = nlohmann::ordered_json;

class TestConfigRewriter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void replacesOnlyTheValue();
    void followsIndentAndLineEndings();
    void diffHunks();
    void diffMasksSecrets();
    void diffOfSameTextIsEmpty();
};

namespace {

JsonSpans::Span spanOf(const QByteArray &text, const std::string &outer, const std::string &inner)
{
    const auto top = JsonSpans::members(text);
    for (const auto &member : *top) {
        if (member.name == outer) {
            const auto entries = JsonSpans::members(text, member.value.begin);
            for (const auto &entry : *entries) {
                if (entry.name == inner) {
                    return entry.value;
                }
            }
        }
    }
    return {};
}

} // namespace

void TestConfigRewriter::replacesOnlyTheValue()
{
    const QByteArray text = "{\n  // keep me\n  \"s\": {\n    \"a\": {\"command\": \"x\"},\n    \"b\": 1\n  },\n  "
                            "\"z\": true\n}\n";
    const QByteArray out = ConfigRewriter::apply(
        text, {{spanOf(text, "s", "a"), Ordered{{"command", "latchkey"}, {"args", {"run", "a"}}}}});
    QCOMPARE(out, QByteArray("{\n  // keep me\n  \"s\": {\n    \"a\": {\n      \"command\": \"latchkey\",\n      "
                             "\"args\": [\n        \"run\",\n        \"a\"\n      ]\n    },\n    \"b\": 1\n  },\n  "
                             "\"z\": true\n}\n"));
}

void TestConfigRewriter::followsIndentAndLineEndings()
{
    const QByteArray text = "{\r\n\t\"s\": {\r\n\t\t\"a\": {}\r\n\t}\r\n}";
    const QByteArray out = ConfigRewriter::apply(text, {{spanOf(text, "s", "a"), Ordered{{"k", "v"}}}});
    QCOMPARE(out, QByteArray("{\r\n\t\"s\": {\r\n\t\t\"a\": {\r\n\t\t\t\"k\": \"v\"\r\n\t\t}\r\n\t}\r\n}"));
}

void TestConfigRewriter::diffHunks()
{
    QByteArray before;
    for (int i = 1; i <= 20; ++i) {
        before += "line " + QByteArray::number(i) + '\n';
    }
    QByteArray after = before;
    after.replace("line 2\n", "line two\n");
    after.replace("line 18\n", "");
    const QString diff = ConfigRewriter::unifiedDiff(before, after, QStringLiteral("f.json"));
    QCOMPARE(diff, QStringLiteral("--- a/f.json\n+++ b/f.json\n"
                                  "@@ -1,5 +1,5 @@\n line 1\n-line 2\n+line two\n line 3\n line 4\n line 5\n"
                                  "@@ -15,6 +15,5 @@\n line 15\n line 16\n line 17\n-line 18\n line 19\n line 20\n"));
}

void TestConfigRewriter::diffMasksSecrets()
{
    const QString diff = ConfigRewriter::unifiedDiff("{\"k\": \"se\\\"cret\"}\n", "{}\n", QStringLiteral("f"),
                                                     {QStringLiteral("se\"cret")});
    QVERIFY2(diff.contains(QStringLiteral("-{\"k\": \"********\"}")), qPrintable(diff));
    QVERIFY(!diff.contains(QStringLiteral("cret")));
}

void TestConfigRewriter::diffOfSameTextIsEmpty()
{
    QCOMPARE(ConfigRewriter::unifiedDiff("a\nb\n", "a\nb\n", QStringLiteral("f")),
             QStringLiteral("--- a/f\n+++ b/f\n"));
}

QTEST_GUILESS_MAIN(TestConfigRewriter)
#include "TestConfigRewriter.moc"
