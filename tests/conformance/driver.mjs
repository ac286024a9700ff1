// The client under test for `npx conformance client --command "node driver.mjs"`: the suite appends
// the mock MCP server's URL. Runs `latchkey connect URL --yes` (the CLI starts latchkeyd on demand) in a
// throwaway home, with a browser that only follows loopback redirects, and speaks MCP through it:
// initialize → notifications/initialized → tools/list → tools/call test-tool (2025 revisions), or
// tools/list → tools/call with per-request _meta (the stateless 2026-07-28 revision).
// Scenario inputs come from MCP_CONFORMANCE_CONTEXT; secrets in it go to the keychain through
// `latchkey client secret|key set ISSUER` on stdin, never into a file or an argument.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const binDir = process.env.LATCHKEY_BIN_DIR;
const url = process.argv[process.argv.length - 1];
const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '';
const context = process.env.MCP_CONFORMANCE_CONTEXT ? JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT) : {};
const protocolVersion = process.env.MCP_CONFORMANCE_PROTOCOL_VERSION ?? '2025-11-25';
const stateless = protocolVersion >= '2026';
const kStepTimeoutMs = 20000;

// The client_id URL the suite's CIMD scenarios expect (Latchkey's would be its published document).
const kClientMetadataDocument = 'https://conformance-test.local/client-metadata.json';

function log(text) {
    process.stderr.write(`driver[${scenario}]: ${text}\n`);
}

if (!binDir || !url.startsWith('http')) {
    log('usage: LATCHKEY_BIN_DIR=… node driver.mjs SERVER_URL');
    process.exit(2);
}

// A home of its own: config, state, socket. The Secret Service is the session's (shared, unlocked).
const root = mkdtempSync(join(tmpdir(), 'lk-conf-'));
const dirs = {
    HOME: join(root, 'home'),
    XDG_CONFIG_HOME: join(root, 'config'),
    XDG_STATE_HOME: join(root, 'state'),
    XDG_DATA_HOME: join(root, 'data'),
    XDG_CACHE_HOME: join(root, 'cache'),
    XDG_RUNTIME_DIR: join(root, 'run'),
};
for (const dir of Object.values(dirs)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
}
chmodSync(dirs.XDG_RUNTIME_DIR, 0o700);
const env = { ...process.env, ...dirs, LATCHKEY_BROWSER: join(here, 'browser.sh') };
delete env.LATCHKEY_SOCKET;
const latchkey = join(binDir, 'latchkey');

function cli(args, input, extraEnv = {}) {
    const result = spawnSync(latchkey, args, {
        env: { ...env, ...extraEnv },
        input: input ?? '',
        encoding: 'utf8',
        timeout: 30000,
    });
    if (result.status !== 0) {
        log(`latchkey ${args.join(' ')} → ${result.status}: ${(result.stderr ?? '').trim()}`);
    }
    return result;
}

function writeOAuthSettings(clients) {
    mkdirSync(join(dirs.XDG_CONFIG_HOME, 'latchkey'), { recursive: true, mode: 0o700 });
    writeFileSync(
        join(dirs.XDG_CONFIG_HOME, 'latchkey', 'oauth.json'),
        JSON.stringify({ clients, client_id_metadata_document: kClientMetadataDocument }, null, 2),
        { mode: 0o600 },
    );
}

function daemonPid() {
    const status = cli(['status', '--json'], '', { LATCHKEY_NO_AUTOSTART: '1' });
    try {
        return JSON.parse(status.stdout).pid;
    } catch {
        return undefined;
    }
}

// Gone, or a zombie nobody has reaped yet (latchkeyd detaches; its parent here may not reap).
function alive(pid) {
    try {
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
        return false;
    }
}

// SIGTERM, then wait (up to 5 s) until it is gone, so that the next command starts a fresh one.
function stopDaemon() {
    const pid = daemonPid();
    if (!pid) return;
    try {
        process.kill(pid, 'SIGTERM');
    } catch {
        return;
    }
    const deadline = Date.now() + 5000;
    while (alive(pid) && Date.now() < deadline) {
        spawnSync('sleep', ['0.05']);
    }
}

// Pre-registered clients (MCP_CONFORMANCE_CONTEXT client_id[, client_secret | private_key_pem]) are configured per
// authorization server issuer, which discovery tells: add the server first, then configure its issuer's
// client and restart the daemon so it reads oauth.json again.
function configurePreRegisteredClient() {
    if (!context.client_id) {
        return true;
    }
    const added = cli(['add', url, '--name', 'conformance']);
    if (added.status !== 0) {
        return false;
    }
    const servers = JSON.parse(cli(['servers', '--json']).stdout || '[]');
    const issuer = servers.find((s) => s.name === 'conformance')?.issuer;
    if (!issuer) {
        log('discovery named no authorization server');
        return false;
    }
    // The person who configures a machine client knows it is one: the client-credentials scenarios.
    const client = { issuer, client_id: context.client_id };
    if (scenario.startsWith('auth/client-credentials-')) client.grant_type = 'client_credentials';
    if (context.signing_algorithm) client.signing_algorithm = context.signing_algorithm;
    writeOAuthSettings([client]);
    stopDaemon();
    if (context.client_secret && cli(['client', 'secret', 'set', issuer], context.client_secret).status !== 0) {
        return false;
    }
    if (context.private_key_pem && cli(['client', 'key', 'set', issuer], context.private_key_pem).status !== 0) {
        return false;
    }
    return true;
}

// Enterprise-Managed Authorization (auth/cross-app-access-complete-flow, auth/enterprise-managed-authorization):
// the suite hands over an ID token from its IdP instead of a sign-in. Everything goes the supported way:
// a throwaway managed policy (LATCHKEY_POLICY) naming the IdP and approving the server with Latchkey's
// client at its AS, the ID token through `latchkey enterprise login --id-token-stdin` (the SSO-broker path;
// with --allow-unverified-id-token, because the suite's IdP answers its jwks_uri with 404, so the token's
// signature cannot be checked here: the daemon accepts it on its claims alone, audited, only so asked),
// the AS client secret through `latchkey client secret set ISSUER` on stdin once the login's zero-touch
// has discovered the issuer. The bridge's token.get then completes the jwt-bearer grant.
function configureEnterprise() {
    const policyPath = join(root, 'policy.json');
    const server = { name: 'conformance', url };
    if (context.client_id) {
        server.client_id = context.client_id;
        server.client_auth = context.client_secret ? 'client_secret_basic' : 'none';
    }
    writeFileSync(
        policyPath,
        JSON.stringify({
            schema: 1,
            idp: { issuer: context.idp_issuer, client_id: context.idp_client_id, client_auth: 'none' },
            servers: [server],
        }),
        { mode: 0o600 },
    );
    env.LATCHKEY_POLICY = policyPath;
    const login = cli(['enterprise', 'login', '--id-token-stdin', '--allow-unverified-id-token'], context.idp_id_token);
    if (login.status !== 0) {
        return false;
    }
    const status = JSON.parse(cli(['enterprise', 'status', '--json']).stdout || '{}');
    const issuer = (status.servers ?? []).find((s) => s.name === 'conformance')?.issuer;
    if (!issuer) {
        log(`zero-touch found no authorization server: ${JSON.stringify(status.servers ?? [])}`);
        return false;
    }
    if (context.client_secret && cli(['client', 'secret', 'set', issuer], context.client_secret).status !== 0) {
        return false;
    }
    return true;
}

function meta() {
    return {
        'io.modelcontextprotocol/protocolVersion': protocolVersion,
        'io.modelcontextprotocol/clientInfo': { name: 'latchkey-conformance-driver', version: '0.0.0' },
        'io.modelcontextprotocol/clientCapabilities': {},
    };
}

async function speak() {
    const bridge = spawn(latchkey, ['connect', url, '--yes'], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    const pending = new Map();
    let buffer = '';
    bridge.stdout.setEncoding('utf8');
    bridge.stdout.on('data', (chunk) => {
        buffer += chunk;
        let newline;
        while ((newline = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, newline).trim();
            buffer = buffer.slice(newline + 1);
            if (!line) continue;
            let message;
            try {
                message = JSON.parse(line);
            } catch {
                log(`not JSON from the bridge: ${line.slice(0, 200)}`);
                continue;
            }
            const waiter = message.id !== undefined ? pending.get(message.id) : undefined;
            if (waiter) {
                pending.delete(message.id);
                waiter(message);
            }
        }
    });
    const exited = new Promise((resolve) =>
        bridge.on('exit', (code, signal) => {
            // Whatever is still waiting will get no answer now.
            for (const [id, waiter] of pending) {
                pending.delete(id);
                waiter({ error: { message: `the bridge exited (${code ?? signal}) before answering` } });
            }
            resolve(code ?? signal);
        }),
    );
    bridge.stdin.on('error', () => {});

    let nextId = 1;
    const request = (method, params) =>
        new Promise((resolve) => {
            const id = nextId++;
            const timer = setTimeout(() => {
                pending.delete(id);
                resolve({ error: { message: `no answer to ${method} within ${kStepTimeoutMs} ms` } });
            }, kStepTimeoutMs);
            pending.set(id, (message) => {
                clearTimeout(timer);
                resolve(message);
            });
            bridge.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
        });
    const notify = (method, params) => bridge.stdin.write(JSON.stringify({ jsonrpc: '2.0', method, params }) + '\n');

    let ok = true;
    const step = async (method, params) => {
        if (!ok) return;
        const answer = await request(method, params);
        if (answer.error) {
            log(`${method} failed: ${JSON.stringify(answer.error)}`);
            ok = false;
        }
    };
    if (stateless) {
        await step('tools/list', { _meta: meta() });
        await step('tools/call', { name: 'test-tool', arguments: {}, _meta: meta() });
    } else {
        await step('initialize', {
            protocolVersion,
            capabilities: {},
            clientInfo: { name: 'latchkey-conformance-driver', version: '0.0.0' },
        });
        if (ok) notify('notifications/initialized');
        await step('tools/list', {});
        await step('tools/call', { name: 'test-tool', arguments: {} });
    }
    bridge.stdin.end();
    const timeout = new Promise((resolve) => setTimeout(() => resolve('timeout'), 10000));
    const code = await Promise.race([exited, timeout]);
    if (code === 'timeout') {
        log('the bridge did not exit after stdin closed');
        bridge.kill('SIGTERM');
        ok = false;
    } else if (code !== 0) {
        log(`the bridge exited with ${code}`);
        ok = false;
    }
    return ok;
}

let ok = false;
try {
    writeOAuthSettings([]);
    const configured = context.idp_id_token ? configureEnterprise() : configurePreRegisteredClient();
    ok = configured && (await speak());
} catch (error) {
    log(`driver error: ${error?.stack ?? error}`);
} finally {
    stopDaemon();
    rmSync(root, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
