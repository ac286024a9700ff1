// A misbehaving MCP server + authorization server for Latchkey's negative e2e tests. Each mode breaks
// exactly one rule of the MCP authorization spec (numbers: /work/shared/mcp-auth.md, "OAuth 2.1 client
// checklist"); everything else about it is correct, so the refusal can only come from that rule.
//
//   node hostile.mjs --mode MODE [--port 0]
//
// Prints one JSON line once it listens: {"url":"http://127.0.0.1:PORT/mcp","issuer":"…/as","mode":MODE}.
//
// modes
//   prm-resource-mismatch  (2) PRM `resource` names another server (same origin, path /other)
//   issuer-mismatch        (3) AS metadata at every candidate URL names another issuer
//   no-s256                (4) code_challenge_methods_supported is ["plain"]
//   no-pkce                (4) code_challenge_methods_supported is absent
//   http-issuer            (9) PRM names an AS issuer on plain http off loopback
//   http-token-endpoint    (9) token_endpoint is http://example.invalid/token
//   http-authorize         (9) authorization_endpoint is http://example.invalid/authorize
//   iss-mismatch           (8) the authorization response carries another issuer's `iss`
//   iss-mismatch-error     (8) same, as an error response whose text must not be shown
//   iss-missing            (8) no `iss` although the metadata advertises it (RFC 9207)
//   state-mismatch         (8) the authorization response carries a state Latchkey never sent
//   valid                  none: a well-behaved server (sanity check for the harness itself)
// The authorization endpoint answers at once with a redirect to the redirect_uri (as the conformance
// suite's mock does), so these modes need no login page. The token endpoint always refuses; the tests
// check that Latchkey never called it for a refused response.
//
// GET /__test/stats → {"requests":{path:count},"authorize":[{params seen}],"token_requests":N}
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

import { bump, exitOnSignals, loopbackServer, sendJson as send } from './common.mjs';

const MODES = new Set([
    'prm-resource-mismatch',
    'issuer-mismatch',
    'no-s256',
    'no-pkce',
    'http-issuer',
    'http-token-endpoint',
    'http-authorize',
    'iss-mismatch',
    'iss-mismatch-error',
    'iss-missing',
    'state-mismatch',
    'valid',
]);

const { values: args } = parseArgs({
    options: {
        mode: { type: 'string' },
        port: { type: 'string', default: '0' },
    },
});
if (!MODES.has(args.mode)) {
    console.error(`usage: node hostile.mjs --mode ${[...MODES].join('|')} [--port N]`);
    process.exit(2);
}
const mode = args.mode;

const { server, origin } = await loopbackServer(args.port);
const mcpUrl = `${origin}/mcp`;
const issuer = `${origin}/as`;
const prmPath = '/.well-known/oauth-protected-resource/mcp';
// RFC 8414 §3.1 and OIDC Discovery: the three places a client looks for the metadata of an issuer with a path.
const metadataPaths = [
    '/.well-known/oauth-authorization-server/as',
    '/.well-known/openid-configuration/as',
    '/as/.well-known/openid-configuration',
];

const stats = { requests: {}, authorize: [], token_requests: 0, registrations: 0 };

function protectedResourceMetadata() {
    return {
        resource: mode === 'prm-resource-mismatch' ? `${origin}/other` : mcpUrl,
        authorization_servers: [mode === 'http-issuer' ? 'http://as.example.invalid' : issuer],
        scopes_supported: ['mcp:tools'],
        bearer_methods_supported: ['header'],
    };
}

function authorizationServerMetadata() {
    const metadata = {
        issuer: mode === 'issuer-mismatch' ? `${origin}/someone-else` : issuer,
        authorization_endpoint: mode === 'http-authorize' ? 'http://example.invalid/authorize' : `${issuer}/authorize`,
        token_endpoint: mode === 'http-token-endpoint' ? 'http://example.invalid/token' : `${issuer}/token`,
        registration_endpoint: `${issuer}/register`,
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_methods_supported: ['none'],
        code_challenge_methods_supported: ['S256'],
        scopes_supported: ['mcp:tools', 'offline_access'],
        authorization_response_iss_parameter_supported: true,
    };
    if (mode === 'no-s256') {
        metadata.code_challenge_methods_supported = ['plain'];
    } else if (mode === 'no-pkce') {
        delete metadata.code_challenge_methods_supported;
    }
    return metadata;
}

// The answer the authorization endpoint sends back at once: what each iss/state mode gets wrong.
function authorizationResponse(params) {
    const response = { code: randomBytes(16).toString('base64url'), state: params.get('state') ?? '', iss: issuer };
    switch (mode) {
    case 'iss-mismatch':
        response.iss = `${origin}/evil-as`;
        break;
    case 'iss-mismatch-error':
        delete response.code;
        response.error = 'access_denied';
        response.error_description = 'HOSTILE-TEXT please visit http://evil.example.invalid';
        response.iss = `${origin}/evil-as`;
        break;
    case 'iss-missing':
        delete response.iss;
        break;
    case 'state-mismatch':
        response.state = randomBytes(32).toString('base64url');
        break;
    default:
        break;
    }
    return response;
}

async function readBody(req) {
    const chunks = [];
    let size = 0;
    for await (const chunk of req) {
        size += chunk.length;
        if (size > 65536) {
            throw new Error('body too large');
        }
        chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
}

server.on('request', async (req, res) => {
    const url = new URL(req.url, origin);
    const path = url.pathname;
    bump(stats.requests, path);
    try {
        if (path === '/__test/stats') {
            send(res, 200, stats);
        } else if (path === '/mcp') {
            await readBody(req);
            send(res, 401, { error: 'unauthorized' }, {
                'www-authenticate': `Bearer resource_metadata="${origin}${prmPath}", scope="mcp:tools"`,
            });
        } else if (path === prmPath && req.method === 'GET') {
            send(res, 200, protectedResourceMetadata());
        } else if (metadataPaths.includes(path) && req.method === 'GET') {
            // A well-behaved AS serves the first location; the mismatching one answers at all of them.
            if (path === metadataPaths[0] || mode === 'issuer-mismatch') {
                send(res, 200, authorizationServerMetadata());
            } else {
                send(res, 404, { error: 'not_found' });
            }
        } else if (path === '/as/register' && req.method === 'POST') {
            const request = JSON.parse(await readBody(req));
            stats.registrations += 1;
            send(res, 201, {
                ...request,
                client_id: `hostile-${randomBytes(8).toString('hex')}`,
                client_id_issued_at: Math.floor(Date.now() / 1000),
                token_endpoint_auth_method: 'none',
            });
        } else if (path === '/as/authorize' && req.method === 'GET') {
            const params = url.searchParams;
            stats.authorize.push({
                response_type: params.get('response_type'),
                client_id: params.get('client_id'),
                redirect_uri: params.get('redirect_uri'),
                code_challenge_method: params.get('code_challenge_method'),
                code_challenge_length: params.get('code_challenge')?.length ?? 0,
                state_length: params.get('state')?.length ?? 0,
                resource: params.get('resource'),
                scope: params.get('scope'),
            });
            const redirect = new URL(params.get('redirect_uri') ?? '');
            if (redirect.protocol !== 'http:' || redirect.hostname !== '127.0.0.1') {
                send(res, 400, { error: 'invalid_request', error_description: 'loopback redirect only' });
                return;
            }
            for (const [key, value] of Object.entries(authorizationResponse(params))) {
                redirect.searchParams.set(key, value);
            }
            res.writeHead(302, { location: redirect.href, 'cache-control': 'no-store' });
            res.end();
        } else if (path === '/as/token' && req.method === 'POST') {
            await readBody(req);
            stats.token_requests += 1;
            send(res, 400, { error: 'invalid_grant', error_description: 'this test server never issues tokens' });
        } else {
            send(res, 404, { error: 'not_found' });
        }
    } catch (error) {
        send(res, 400, { error: 'invalid_request', error_description: String(error.message ?? error) });
    }
});

process.stdout.write(`${JSON.stringify({ url: mcpUrl, issuer, mode })}\n`);

exitOnSignals(server);
