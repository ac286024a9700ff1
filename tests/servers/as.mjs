// The authorization server of Latchkey's e2e tests: oidc-provider (a certified OpenID provider) on
// 127.0.0.1, configured the way an MCP authorization server should be.
//
//   node as.mjs [--port 0] [--access-ttl 20]
//
// Prints one JSON line on stdout once it listens: {"issuer":"http://127.0.0.1:PORT","port":PORT,
// "introspection":{"client_id":...,"client_secret":...},"machine":{"client_id":...,"client_secret":...}}.
// Everything else goes to stderr.
//
// - PKCE required for every client, S256 only (oidc-provider supports nothing else).
// - Resource indicators (RFC 8707): any resource on 127.0.0.1 gets JWT access tokens with aud = the
//   resource, lifetime --access-ttl seconds, scopes mcp:tools and mcp:admin.
// - Refresh tokens for every client registered with the refresh_token grant (offline_access is listed
//   and accepted too), rotated on every use by public clients.
// - Dynamic client registration (open), revocation, introspection (a confidential client for the
//   tests, printed in the ready line, may introspect any token).
// - The client credentials grant for a pre-registered machine client (client_secret_basic, printed in
//   the ready line as "machine"): JWT access tokens for the resource, lifetime --access-ttl seconds.
// - devInteractions: the real login and consent pages. RFC 9207 `iss` in every authorization
//   response (oidc-provider always adds it and advertises it).
//
// Test hooks (this server listens on 127.0.0.1 only):
//   GET  /__test/stats               {"refresh_grants":N,"token_grants":{grant_type:N},
//                                    "token_grants_without_resource":{grant_type:N},"registrations":N,
//                                    "token_grant_times":{grant_type:[ms since the epoch of each success]},
//                                    "failed_token_requests":{grant_type:N}}
//   GET  /__test/access-token?token= {"active":bool,...}: is this JWT access token still good
//                                    (signature, exp, and its grant not revoked)? JWT access tokens
//                                    are self-contained, so the real introspection endpoint refuses them.
//   POST /__test/revoke-all          revokes every grant (tokens die, refresh gets invalid_grant)
//   POST /__test/token-endpoint?hold_ms=N&grace_seconds=S
//                                    refresh_token answers are held N ms after the rotation (the window
//                                    in which a client can die holding the only copy of the new refresh
//                                    token); a rotated refresh token presented within S s of its rotation
//                                    counts as its live successor (Okta's rotation grace period, Auth0's
//                                    reuse interval). S = 0 (the default) is oidc-provider's strict rule:
//                                    reuse revokes the grant. /__test/stats then also reports
//                                    token_requests_in_flight, refresh_responses_held, grace_reuses.
//   POST /__test/token-endpoint?fail_status=N
//                                    N > 0: every token request is answered N with error
//                                    temporarily_unavailable, without reaching oidc-provider (an AS in
//                                    trouble), and counted in failed_token_requests; 0 (the default) ends it.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

import { createLocalJWKSet, jwtVerify } from 'jose';
import Provider, { errors } from 'oidc-provider';

import { bump, exitOnSignals, isLoopbackUrl, logProviderErrors, loopbackServer, positiveSeconds, providerBasics, rsaSigningJwk, sendJson as json, serveProviderWithHooks } from './common.mjs';

const { values: args } = parseArgs({
    options: {
        port: { type: 'string', default: '0' },
        'access-ttl': { type: 'string', default: '3600' },
    },
});
const accessTtl = positiveSeconds(args, 'access-ttl');

const RESOURCE_SCOPES = 'mcp:tools mcp:admin';
const introspector = { client_id: 'latchkey-tests-introspector', client_secret: randomBytes(24).toString('base64url') };
const machine = { client_id: 'latchkey-tests-machine', client_secret: randomBytes(24).toString('base64url') };

const { jwk: signingKey, publicJwk } = await rsaSigningJwk('as-test-key');

const { server, port, origin: issuer } = await loopbackServer(args.port);

const provider = new Provider(issuer, {
    jwks: { keys: [signingKey] },
    clients: [
        {
            ...introspector,
            grant_types: [],
            response_types: [],
            redirect_uris: [],
            token_endpoint_auth_method: 'client_secret_basic',
        },
        {
            ...machine,
            grant_types: ['client_credentials'],
            response_types: [],
            redirect_uris: [],
            token_endpoint_auth_method: 'client_secret_basic',
        },
    ],
    // Code flow, PKCE (S256) for every client, cookies, grants that outlive the browser session, lifetimes.
    ...providerBasics({ accessTtl, extraTtl: { ClientCredentials: accessTtl } }),
    // Every client authentication oidc-provider knows (its default): dynamic registration may ask for any.
    clientAuthMethods: ['client_secret_basic', 'client_secret_jwt', 'client_secret_post', 'private_key_jwt', 'none'],
    scopes: ['openid', 'offline_access'],
    features: {
        devInteractions: { enabled: true },
        clientCredentials: { enabled: true },
        registration: { enabled: true },
        revocation: { enabled: true },
        introspection: {
            enabled: true,
            allowedPolicy: async (ctx, client, token) =>
                client.clientId === introspector.client_id || token.clientId === client.clientId,
        },
        resourceIndicators: {
            enabled: true,
            defaultResource: async (ctx, client, oneOf) => oneOf,
            // A token request without `resource` gets no JWT for the resource server: RFC 8707 on
            // every token and refresh request is checked here, not papered over by the grant.
            useGrantedResource: async () => false,
            getResourceServerInfo: async (ctx, resourceIndicator) => {
                if (!isLoopbackUrl(resourceIndicator)) {
                    throw new errors.InvalidTarget(`this test AS serves only http://127.0.0.1 resources`);
                }
                return {
                    scope: RESOURCE_SCOPES,
                    audience: resourceIndicator,
                    accessTokenTTL: accessTtl,
                    accessTokenFormat: 'jwt',
                    jwt: { sign: { alg: 'RS256' } },
                };
            },
        },
    },
    // OAuth 2.1 style: a refresh token for every client allowed the refresh_token grant. oidc-provider
    // follows OpenID Connect Core §11 otherwise and drops offline_access from any request without
    // prompt=consent, which MCP clients do not send.
    issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Public clients rotate their refresh token on every use (oidc-provider's default says so too).
    rotateRefreshToken: () => true,
});

// Bookkeeping for the test hooks.
const stats = {
    refresh_grants: 0,
    token_grants: {},
    token_grants_without_resource: {},
    registrations: 0,
    token_grant_times: {},
    failed_token_requests: {},
};
const grantOfAccessToken = new Map(); // jti → grantId
const grantIds = new Set();

function countGrant(ctx) {
    const type = ctx.oidc?.params?.grant_type ?? 'unknown';
    bump(stats.token_grants, type);
    if (!ctx.oidc?.params?.resource) {
        bump(stats.token_grants_without_resource, type);
    }
    if (type === 'refresh_token') {
        stats.refresh_grants += 1;
    }
}
provider.on('grant.success', (ctx) => {
    countGrant(ctx);
    const type = ctx.oidc?.params?.grant_type ?? 'unknown';
    (stats.token_grant_times[type] ??= []).push(Date.now());
});
provider.on('grant.error', (ctx, error) => {
    countGrant(ctx);
    console.error(`as: token request failed: ${error.error ?? error.name}: ${error.error_detail ?? error.error_description ?? error.message}`);
});
provider.on('access_token.issued', (token) => {
    grantOfAccessToken.set(token.jti, token.grantId);
    grantIds.add(token.grantId);
});
provider.on('access_token.saved', (token) => grantIds.add(token.grantId));
provider.on('registration_create.success', () => {
    stats.registrations += 1;
});
logProviderErrors(provider, 'as', ['authorization.error', 'registration_create.error', 'revocation.error', 'server_error']);

// The /__test/token-endpoint knobs, applied around oidc-provider's own token endpoint.
const tokenKnobs = { holdMs: 0, graceSeconds: 0, failStatus: 0 };
const rotatedTo = new Map(); // a rotated refresh token → { successor, at }
Object.assign(stats, { token_requests_in_flight: 0, refresh_responses_held: 0, grace_reuses: 0 });

async function readBody(req) {
    const chunks = [];
    for await (const chunk of req.iterator({ destroyOnReturn: false })) {
        chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
}

provider.use(async (ctx, next) => {
    if (ctx.method !== 'POST' || ctx.path !== '/token') {
        await next();
        return;
    }
    if (tokenKnobs.failStatus > 0) {
        const form = new URLSearchParams(await readBody(ctx.req));
        const type = form.get('grant_type') ?? 'unknown';
        bump(stats.failed_token_requests, type);
        ctx.status = tokenKnobs.failStatus;
        ctx.set('cache-control', 'no-store');
        ctx.body = { error: 'temporarily_unavailable', error_description: 'the test AS fails token requests' };
        return;
    }
    stats.token_requests_in_flight += 1;
    try {
        if (tokenKnobs.graceSeconds > 0 && ctx.is('application/x-www-form-urlencoded')) {
            // oidc-provider takes a body read upstream as it is (it warns once that it did).
            const form = new URLSearchParams(await readBody(ctx.req));
            const rotation = rotatedTo.get(form.get('refresh_token') ?? '');
            if (rotation && Date.now() - rotation.at <= tokenKnobs.graceSeconds * 1000) {
                let live = rotation.successor;
                while (rotatedTo.has(live)) {
                    live = rotatedTo.get(live).successor;
                }
                form.set('refresh_token', live);
                stats.grace_reuses += 1;
            }
            ctx.req.body = form.toString();
        }
        await next();
        if (ctx.oidc?.params?.grant_type === 'refresh_token') {
            const presented = ctx.oidc.params.refresh_token;
            const successor = ctx.body?.refresh_token;
            if (presented && successor && successor !== presented) {
                rotatedTo.set(presented, { successor, at: Date.now() });
            }
            if (tokenKnobs.holdMs > 0) {
                stats.refresh_responses_held += 1;
                await new Promise((resolve) => setTimeout(resolve, tokenKnobs.holdMs));
                stats.refresh_responses_held -= 1;
            }
        }
    } finally {
        stats.token_requests_in_flight -= 1;
    }
});

const localJwks = createLocalJWKSet({ keys: [publicJwk] });

async function accessTokenState(token) {
    let payload;
    try {
        ({ payload } = await jwtVerify(token, localJwks, { issuer }));
    } catch (error) {
        return { active: false, reason: `not a valid token of this AS: ${error.code ?? error.message}` };
    }
    const grantId = grantOfAccessToken.get(payload.jti);
    if (!grantId) {
        return { active: false, reason: 'unknown jti' };
    }
    const grant = await provider.Grant.find(grantId);
    if (!grant) {
        return { active: false, reason: 'grant revoked', aud: payload.aud, exp: payload.exp };
    }
    return { active: true, aud: payload.aud, exp: payload.exp, scope: payload.scope, client_id: payload.client_id };
}

serveProviderWithHooks(server, provider, port, async (req, res, url) => {
    try {
        if (req.method === 'GET' && url.pathname === '/__test/stats') {
            json(res, 200, stats);
        } else if (req.method === 'GET' && url.pathname === '/__test/access-token') {
            json(res, 200, await accessTokenState(url.searchParams.get('token') ?? ''));
        } else if (req.method === 'POST' && url.pathname === '/__test/revoke-all') {
            let revoked = 0;
            for (const grantId of grantIds) {
                const grant = await provider.Grant.find(grantId);
                if (grant) {
                    await grant.destroy();
                    revoked += 1;
                }
            }
            // Refresh tokens outlive a destroyed Grant object only until they are used: the refresh
            // grant checks the grant and answers invalid_grant.
            json(res, 200, { revoked });
        } else if (req.method === 'POST' && url.pathname === '/__test/token-endpoint') {
            for (const [param, knob] of [['hold_ms', 'holdMs'], ['grace_seconds', 'graceSeconds'], ['fail_status', 'failStatus']]) {
                if (url.searchParams.has(param)) {
                    const value = Number(url.searchParams.get(param));
                    if (!Number.isFinite(value) || value < 0) {
                        json(res, 400, { error: `${param} must be a number >= 0` });
                        return;
                    }
                    tokenKnobs[knob] = value;
                }
            }
            json(res, 200, tokenKnobs);
        } else {
            json(res, 404, { error: 'no such test hook' });
        }
    } catch (error) {
        json(res, 500, { error: String(error) });
    }
});

process.stdout.write(`${JSON.stringify({ issuer, port, introspection: introspector, machine })}\n`);

exitOnSignals(server);
