# app/import (latchkey_import): reading MCP client configurations, planning and carrying out the import.
# Fixtures: tests/data/import/. ImportRunner's test answers the daemon's part with a fake.
foreach(test TestMcpClientKind TestSecretRule TestJsonSpans TestMcpConfigReader TestConfigRewriter TestImportPlan
        TestConfigFile TestImportRunner TestMcpRemoteCommand)
    latchkey_add_test(NAME ${test} SOURCES ${test}.cpp LIBS latchkey_import LABELS unit)
endforeach()
