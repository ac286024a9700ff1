# Unit tests for the OAuth building blocks in daemon/oauth/.
latchkey_add_test(NAME TestWwwAuthenticate SOURCES TestWwwAuthenticate.cpp LIBS latchkey_core LABELS unit)
latchkey_add_test(NAME TestResourceUri SOURCES TestResourceUri.cpp LIBS latchkey_core LABELS unit)
latchkey_add_test(NAME TestWellKnown SOURCES TestWellKnown.cpp LIBS latchkey_core LABELS unit)
latchkey_add_test(NAME TestScopeSet SOURCES TestScopeSet.cpp LIBS latchkey_core LABELS unit)
latchkey_add_test(NAME TestEndpointPolicy SOURCES TestEndpointPolicy.cpp LIBS latchkey_core LABELS unit)
# Enterprise-Managed Authorization (EnterpriseSession and its parts).
latchkey_add_test(NAME TestManagedPolicy SOURCES TestManagedPolicy.cpp LIBS latchkey_core LABELS unit)
latchkey_add_test(NAME TestIdTokenValidator SOURCES TestIdTokenValidator.cpp
    LIBS latchkey_core latchkey_fake_http OpenSSL::Crypto LABELS unit)
latchkey_add_test(NAME TestEnterpriseSession SOURCES TestEnterpriseSession.cpp
    LIBS latchkey_core latchkey_fake_http OpenSSL::Crypto LABELS unit)
