// Self-check of the enterprise (ID-JAG) test servers, with plain HTTP and no Latchkey: the whole grant
// chain and every refusal the e2e test relies on, so a broken server shows up here and not as a puzzling
// daemon failure. ctest runs it as EnterpriseServersSelfCheck (label integration).
//
//   node enterprise-selfcheck.mjs        exit 0 when all checks pass, 1 on the first failure,
//                                        77 when tests/servers has no node_modules (`npm ci` first),
//                                        1 then instead when LATCHKEY_REQUIRE_KEYCHAIN is set (scripts/test.sh:
//                                        every real part must be there, as in the e2e tests)
//
// Starts idp.mjs, two jag-as.mjs (A and B) and one with --no-id-jag (C), each with its mcp-server.mjs;
// signs in at the IdP through the devInteractions pages (code flow, PKCE, nonce), then: token exchange
// → ID-JAG → jwt-bearer → tools/list at the right MCP server only; jti replay, wrong audience, wrong
// client, wrong typ refused; approval removal → invalid_grant "revoked by admin"; the IdP refresh token
// renews the ID token; every misbehave mode of the IdP really breaks what it says; C offers no grant.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
if (!existsSync(join(here, 'node_modules', 'oidc-provider', 'package.json'))) {
    console.error(`${here} has no node_modules: run \`npm ci\` there`);
    process.exit(process.env.LATCHKEY_REQUIRE_KEYCHAIN ? 1 : 77);
}
const { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } = await import('jose');

const ID_JAG = 'urn:ietf:params:oauth:token-type:id-jag';
const ID_TOKEN = 'urn:ietf:params:oauth:token-type:id_token';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const PROFILE = 'urn:ietf:params:oauth:grant-profile:id-jag';
const REDIRECT = 'http://127.0.0.1:54321/callback'; // never listened on: the code is read off the redirect

const children = [];
function stopAll() {
    for (const child of children) {
        child.kill('SIGTERM');
    }
}
process.on('exit', stopAll);

// Starts a server program and resolves with its ready line.
function start(script, args) {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [join(here, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        children.push(child);
        let out = '';
        let err = '';
        const timer = setTimeout(() => reject(new Error(`${script} gave no ready line in 30 s; stderr:\n${err}`)), 30000);
        child.stderr.on('data', (chunk) => {
            err += chunk;
            if (process.env.SELFCHECK_VERBOSE) {
                process.stderr.write(chunk);
            }
        });
        child.stdout.on('data', (chunk) => {
            out += chunk;
            const newline = out.indexOf('\n');
            if (newline >= 0) {
                clearTimeout(timer);
                resolve(JSON.parse(out.slice(0, newline)));
            }
        });
        child.on('exit', (code) => {
            clearTimeout(timer);
            reject(new Error(`${script} exited (${code}) before its ready line; stderr:\n${err}`));
        });
    });
}

async function getJson(url) {
    const response = await fetch(url);
    assert.equal(response.status, 200, `GET ${url}`);
    return response.json();
}

async function postJson(url, body) {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(response.status, 200, `POST ${url}: ${await response.clone().text()}`);
    return response.json();
}

async function tokenRequest(endpoint, params, auth) {
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    const body = new URLSearchParams(params);
    if (auth?.basic) {
        headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(auth.basic.client_id)}:${encodeURIComponent(auth.basic.client_secret)}`).toString('base64')}`;
    } else if (auth?.client_id) {
        body.set('client_id', auth.client_id);
    }
    const response = await fetch(endpoint, { method: 'POST', headers, body });
    return { status: response.status, body: await response.json() };
}

// The person at the devInteractions pages, by HTTP: follows redirects by hand with a cookie jar,
// submits the login form (any password) and the consent form, stops at the redirect URI.
async function signIn(authorizationUrl, login) {
    const jar = new Map();
    let url = authorizationUrl;
    let method = 'GET';
    let body;
    for (let step = 0; step < 12; step += 1) {
        const response = await fetch(url, {
            method,
            redirect: 'manual',
            headers: {
                cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; '),
                ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
            },
            body,
        });
        for (const cookie of response.headers.getSetCookie()) {
            const [pair] = cookie.split(';');
            const eq = pair.indexOf('=');
            jar.set(pair.slice(0, eq), pair.slice(eq + 1));
        }
        method = 'GET';
        body = undefined;
        const location = response.headers.get('location');
        if (location) {
            const next = new URL(location, url);
            if (next.href.startsWith(REDIRECT)) {
                return next;
            }
            url = next.href;
            continue;
        }
        const html = await response.text();
        assert.equal(response.status, 200, `sign-in page ${url}: ${html.slice(0, 300)}`);
        const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
        const prompt = /name="prompt" value="([a-z]+)"/.exec(html)?.[1];
        assert.ok(action && prompt, `a form on ${url}`);
        url = new URL(action.replaceAll('&amp;', '&'), url).href;
        method = 'POST';
        body = new URLSearchParams(prompt === 'login' ? { prompt, login, password: 'any-password' } : { prompt }).toString();
    }
    throw new Error('no redirect back after 12 steps');
}

async function mcpToolsList(url, token) {
    const response = await fetch(url, {
        method: 'POST',
        headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            authorization: `Bearer ${token}`,
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    return { status: response.status, body: await response.text() };
}

let checks = 0;
async function check(name, body) {
    await body();
    checks += 1;
    console.log(`ok ${checks} - ${name}`);
}

try {
    const idp = await start('idp.mjs', ['--id-token-ttl', '120']);
    const idpMeta = await getJson(`${idp.issuer}/.well-known/openid-configuration`);
    const idpJwks = createLocalJWKSet(await getJson(idpMeta.jwks_uri));

    const servers = {};
    for (const [name, extra] of [['A', []], ['B', []], ['C', ['--no-id-jag']]]) {
        const as = await start('jag-as.mjs', ['--idp', idp.issuer, ...extra]);
        const mcp = await start('mcp-server.mjs', ['--issuer', as.issuer]);
        await postJson(`${as.issuer}/__test/resource?url=${encodeURIComponent(mcp.url)}`, {});
        servers[name] = { as, mcp, meta: await getJson(`${as.issuer}/.well-known/oauth-authorization-server`) };
        await postJson(`${idp.admin}/admin/clients`, { audience: as.issuer, client_id: as.client_id });
    }
    const { A, B, C } = servers;
    for (const server of [A, B, C]) {
        await postJson(`${idp.admin}/admin/approvals`, { sub: idp.user, resource: server.mcp.url, approved: true });
    }

    await check('discovery: IdP lists id-jag; A and B list the profile and jwt-bearer; C neither', async () => {
        assert.deepEqual(idpMeta.identity_chaining_requested_token_types_supported, [ID_JAG]);
        assert.ok(idpMeta.grant_types_supported.includes(TOKEN_EXCHANGE));
        assert.ok(idpMeta.code_challenge_methods_supported.includes('S256'));
        for (const server of [A, B]) {
            assert.deepEqual(server.meta.authorization_grant_profiles_supported, [PROFILE]);
            assert.ok(server.meta.grant_types_supported.includes(JWT_BEARER));
        }
        assert.equal(C.meta.authorization_grant_profiles_supported, undefined);
        assert.ok(!C.meta.grant_types_supported.includes(JWT_BEARER));
    });

    // The one sign-in: code flow with PKCE and a nonce.
    const verifier = randomBytes(32).toString('base64url');
    const nonce = randomBytes(16).toString('base64url');
    const state = randomBytes(16).toString('base64url');
    const authorizeFor = (clientId) => {
        const url = new URL(idpMeta.authorization_endpoint);
        for (const [key, value] of Object.entries({
            response_type: 'code',
            client_id: clientId,
            redirect_uri: REDIRECT,
            scope: 'openid offline_access',
            prompt: 'consent',
            state,
            nonce,
            code_challenge: createHash('sha256').update(verifier).digest('base64url'),
            code_challenge_method: 'S256',
        })) {
            url.searchParams.set(key, value);
        }
        return url;
    };
    const authorize = authorizeFor(idp.client_id);
    const publicClient = { client_id: idp.client_id };
    const confidentialClient = { basic: idp.confidential };
    let tokens;
    // Through the pages to the redirect, then the code for tokens.
    const signInAndRedeem = async (clientAuth = publicClient) => {
        const back = await signIn(authorizeFor(clientAuth.basic?.client_id ?? clientAuth.client_id).href, idp.user);
        assert.equal(back.searchParams.get('state'), state);
        assert.equal(back.searchParams.get('iss'), idp.issuer);
        const answer = await tokenRequest(idpMeta.token_endpoint, {
            grant_type: 'authorization_code',
            code: back.searchParams.get('code'),
            redirect_uri: REDIRECT,
            code_verifier: verifier,
        }, clientAuth);
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        return answer.body;
    };
    await check('IdP: a request without PKCE is refused', async () => {
        const noPkce = new URL(authorize);
        noPkce.searchParams.delete('code_challenge');
        noPkce.searchParams.delete('code_challenge_method');
        const response = await fetch(noPkce, { redirect: 'manual' });
        const back = new URL(response.headers.get('location'));
        assert.equal(back.searchParams.get('error'), 'invalid_request');
    });
    await check('IdP: sign-in (login + consent pages), code → ID token with nonce, refresh token', async () => {
        tokens = await signInAndRedeem();
        assert.ok(tokens.refresh_token, 'a refresh token');
        const { payload } = await jwtVerify(tokens.id_token, idpJwks, { issuer: idp.issuer, audience: idp.client_id });
        assert.equal(payload.nonce, nonce);
        assert.equal(payload.sub, idp.user);
        const stats = await getJson(`${idp.admin}/admin/stats`);
        assert.equal(stats.logins, 1);
        assert.equal(stats.codes_issued, 1);
    });

    const exchange = (server, subjectToken = tokens.id_token, clientAuth = publicClient) => tokenRequest(idpMeta.token_endpoint, {
        grant_type: TOKEN_EXCHANGE,
        requested_token_type: ID_JAG,
        audience: server.as.issuer,
        resource: server.mcp.url,
        scope: 'mcp:tools',
        subject_token: subjectToken,
        subject_token_type: ID_TOKEN,
    }, clientAuth);
    const jwtBearer = (server, assertion, client = server.as) => tokenRequest(server.meta.token_endpoint, {
        grant_type: JWT_BEARER,
        assertion,
        resource: server.mcp.url,
    }, { basic: client });

    const accessTokens = {};
    for (const name of ['A', 'B']) {
        const server = servers[name];
        await check(`${name}: token exchange → ID-JAG → jwt-bearer → token accepted by ${name}'s MCP server`, async () => {
            const answer = await exchange(server);
            assert.equal(answer.status, 200, JSON.stringify(answer.body));
            assert.equal(answer.body.issued_token_type, ID_JAG);
            assert.equal(answer.body.token_type, 'N_A');
            const jag = answer.body.access_token;
            assert.equal(decodeProtectedHeader(jag).typ, 'oauth-id-jag+jwt');
            const { payload } = await jwtVerify(jag, idpJwks, { issuer: idp.issuer, audience: server.as.issuer, typ: 'oauth-id-jag+jwt' });
            assert.equal(payload.sub, idp.user);
            assert.equal(payload.resource, server.mcp.url);
            assert.equal(payload.client_id, server.as.client_id);
            assert.equal(payload.scope, 'mcp:tools');
            assert.ok(payload.jti && payload.exp - payload.iat <= 300);
            const granted = await jwtBearer(server, jag);
            assert.equal(granted.status, 200, JSON.stringify(granted.body));
            assert.equal(granted.body.token_type, 'Bearer');
            assert.equal(granted.body.refresh_token, undefined);
            assert.equal(decodeJwt(granted.body.access_token).aud, server.mcp.url);
            accessTokens[name] = granted.body.access_token;
            const listed = await mcpToolsList(server.mcp.url, granted.body.access_token);
            assert.equal(listed.status, 200, listed.body);
            assert.ok(listed.body.includes('test-tool'));
            server.jag = jag;
        });
    }

    await check("A's token is refused by B's MCP server, B's by A's", async () => {
        assert.equal((await mcpToolsList(B.mcp.url, accessTokens.A)).status, 401);
        assert.equal((await mcpToolsList(A.mcp.url, accessTokens.B)).status, 401);
    });

    await check('AS: the same ID-JAG twice is refused (jti replay)', async () => {
        const again = await jwtBearer(A, A.jag);
        assert.equal(again.status, 400);
        assert.equal(again.body.error, 'invalid_grant');
        assert.match(again.body.error_description, /jti/);
    });

    await check("AS: A's ID-JAG at B is refused (aud)", async () => {
        const fresh = await exchange(A);
        const wrong = await jwtBearer(B, fresh.body.access_token);
        assert.equal(wrong.body.error, 'invalid_grant');
        assert.match(wrong.body.error_description, /aud/);
    });

    await check('AS: an ID-JAG for another client is refused (client_id)', async () => {
        await postJson(`${idp.admin}/admin/clients`, { audience: A.as.issuer, client_id: 'someone-else' });
        const fresh = await exchange(A);
        await postJson(`${idp.admin}/admin/clients`, { audience: A.as.issuer, client_id: A.as.client_id });
        const wrong = await jwtBearer(A, fresh.body.access_token);
        assert.equal(wrong.body.error, 'invalid_grant');
        assert.match(wrong.body.error_description, /client/);
    });

    await check('AS: a JWT that is not an ID-JAG (the ID token) is refused (typ)', async () => {
        const wrong = await jwtBearer(A, tokens.id_token);
        assert.equal(wrong.body.error, 'invalid_grant');
        assert.match(wrong.body.error_description, /typ/);
    });

    await check('AS: a wrong client secret is refused', async () => {
        const fresh = await exchange(A);
        const wrong = await jwtBearer(A, fresh.body.access_token, { client_id: A.as.client_id, client_secret: 'wrong' });
        assert.equal(wrong.body.error, 'invalid_client');
    });

    await check('IdP: an ID token from elsewhere is refused as subject_token', async () => {
        const wrong = await exchange(A, accessTokens.A);
        assert.equal(wrong.body.error, 'invalid_grant');
    });

    await check('IdP: the confidential client (client_secret_basic) signs in and exchanges its own ID token only', async () => {
        const own = await signInAndRedeem(confidentialClient);
        const { payload } = await jwtVerify(own.id_token, idpJwks, { issuer: idp.issuer, audience: idp.confidential.client_id });
        assert.equal(payload.nonce, nonce);
        const answer = await exchange(A, own.id_token, confidentialClient);
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        assert.equal(answer.body.issued_token_type, ID_JAG);
        // Each client exchanges only ID tokens issued to it; a wrong secret is no client at all.
        assert.equal((await exchange(A, own.id_token)).body.error, 'invalid_grant');
        assert.equal((await exchange(A, tokens.id_token, confidentialClient)).body.error, 'invalid_grant');
        const wrongSecret = { basic: { ...idp.confidential, client_secret: 'wrong' } };
        assert.equal((await exchange(A, own.id_token, wrongSecret)).body.error, 'invalid_client');
    });

    await check('C (no id-jag): jwt-bearer unsupported, no authorize request anywhere so far', async () => {
        const fresh = await exchange(C);
        assert.equal(fresh.status, 200); // the IdP would issue one, but C's AS has no such grant
        const refused = await jwtBearer(C, fresh.body.access_token);
        assert.equal(refused.body.error, 'unsupported_grant_type');
        for (const server of [A, B, C]) {
            assert.equal((await getJson(`${server.as.issuer}/__test/stats`)).authorization_requests, 0);
        }
    });

    await check('IdP: approval for B removed → invalid_grant "access to … revoked by admin"; A still works', async () => {
        await postJson(`${idp.admin}/admin/approvals`, { sub: idp.user, resource: B.mcp.url, approved: false });
        const refused = await exchange(B);
        assert.equal(refused.status, 400);
        assert.equal(refused.body.error, 'invalid_grant');
        assert.equal(refused.body.error_description, `access to ${B.mcp.url} revoked by admin`);
        assert.equal((await exchange(A)).status, 200);
        const stats = await getJson(`${idp.admin}/admin/stats`);
        assert.equal(stats.exchange_refusals[B.mcp.url], 1);
        assert.ok(stats.exchanges[A.mcp.url] >= 4);
    });

    const refresh = async () => {
        const answer = await tokenRequest(idpMeta.token_endpoint, {
            grant_type: 'refresh_token',
            refresh_token: tokens.refresh_token,
        }, { client_id: idp.client_id });
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        tokens = { ...tokens, ...answer.body };
        return answer.body;
    };
    await check('IdP: the refresh token renews the ID token (rotated), which exchanges again', async () => {
        const before = tokens.refresh_token;
        const renewed = await refresh();
        assert.notEqual(renewed.refresh_token, before);
        await jwtVerify(renewed.id_token, idpJwks, { issuer: idp.issuer, audience: idp.client_id });
        assert.equal((await exchange(A)).status, 200);
    });

    for (const [mode, expected] of [
        ['bad_signature', 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'],
        ['wrong_aud', 'ERR_JWT_CLAIM_VALIDATION_FAILED'],
        ['expired', 'ERR_JWT_EXPIRED'],
    ]) {
        await check(`IdP misbehaves (${mode}): the ID token fails validation`, async () => {
            await postJson(`${idp.admin}/admin/misbehave`, { id_token: mode });
            const { id_token: broken } = await refresh();
            await assert.rejects(jwtVerify(broken, idpJwks, { issuer: idp.issuer, audience: idp.client_id }), { code: expected });
            assert.equal((await exchange(A, broken)).body.error, 'invalid_grant');
        });
    }
    await check('IdP misbehaves (wrong_nonce): an otherwise valid ID token with another nonce', async () => {
        await postJson(`${idp.admin}/admin/misbehave`, { id_token: 'wrong_nonce' });
        const answer = await signInAndRedeem();
        const { payload } = await jwtVerify(answer.id_token, idpJwks, { issuer: idp.issuer, audience: idp.client_id });
        assert.ok(payload.nonce && payload.nonce !== nonce);
    });
    await check('IdP misbehaves (issued_token_type wrong): the exchange answers access_token type', async () => {
        await postJson(`${idp.admin}/admin/misbehave`, { id_token: 'none', issued_token_type: 'wrong' });
        await refresh();
        const answer = await exchange(A);
        assert.equal(answer.status, 200);
        assert.equal(answer.body.issued_token_type, 'urn:ietf:params:oauth:token-type:access_token');
        await postJson(`${idp.admin}/admin/misbehave`, { issued_token_type: 'correct' });
    });
    await check('IdP misbehaves (jwks unavailable): GET /jwks answers 503, the exchange still verifies', async () => {
        await postJson(`${idp.admin}/admin/misbehave`, { jwks: 'unavailable' });
        assert.equal((await fetch(`${idp.issuer}/jwks`)).status, 503);
        const { id_token: idToken } = await refresh();
        assert.equal((await exchange(A, idToken)).status, 200);
        await postJson(`${idp.admin}/admin/misbehave`, { jwks: 'served' });
        assert.equal((await fetch(`${idp.issuer}/jwks`)).status, 200);
    });
    await check('IdP admin: bad input gets 400 and a clear error', async () => {
        const response = await fetch(`${idp.admin}/admin/misbehave`, { method: 'POST', body: '{"id_token":"nonsense"}' });
        assert.equal(response.status, 400);
        assert.match((await response.json()).error, /id_token/);
    });
    console.log(`all ${checks} checks passed`);
    stopAll();
    process.exit(0);
} catch (error) {
    console.error(`FAILED after ${checks} checks: ${error.stack ?? error}`);
    stopAll();
    process.exit(1);
}
