// Reads the conformance results run.sh collected and prints scenario → PASS / FAIL / WARNING.
//   node summarize.mjs OUT_DIR KNOWN_GAPS_FILE [ALPHA_SCENARIO...]
// Exit 1 when a 0.1.16 scenario fails or warns without a known-gaps entry, or when an entry names a
// scenario that now passes (a stale entry hides the next regression). Alpha results never fail the run.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const [outDir, gapsFile, ...alphaScenarios] = process.argv.slice(2);

function knownGaps(file) {
    const gaps = new Map();
    for (const raw of readFileSync(file, 'utf8').split('\n')) {
        const line = raw.replace(/#.*$/, '').trim();
        if (line) {
            const [scenario, ...reason] = line.split(/\s+/);
            gaps.set(scenario, reason.join(' '));
        }
    }
    return gaps;
}

function checksFiles(dir) {
    const found = [];
    if (!existsSync(dir)) return found;
    for (const entry of readdirSync(dir)) {
        const path = join(dir, entry);
        if (statSync(path).isDirectory()) found.push(...checksFiles(path));
        else if (entry === 'checks.json') found.push(path);
    }
    return found;
}

// <dir>/<scenario>-<timestamp>/checks.json → scenario
function scenarioOf(base, file) {
    return relative(base, join(file, '..')).replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, '');
}

function verdict(checks) {
    const bad = checks.find((c) => c.status === 'FAILURE') ?? checks.find((c) => c.status === 'WARNING');
    const result = !bad ? 'PASS' : bad.status === 'FAILURE' ? 'FAIL' : 'WARNING';
    const note = bad ? `${bad.id}: ${bad.errorMessage ?? bad.description}`.replace(/\s+/g, ' ').slice(0, 110) : '';
    return { result, note };
}

function collect(base, expected) {
    const results = new Map();
    for (const file of checksFiles(base)) {
        results.set(scenarioOf(base, file), verdict(JSON.parse(readFileSync(file, 'utf8'))));
    }
    for (const scenario of expected) {
        if (!results.has(scenario)) results.set(scenario, { result: 'FAIL', note: 'no results (see the suite log)' });
    }
    return results;
}

// Scenarios a suite ran, from its log ("✓ auth/x: …" / "✗ auth/x: …"), so that one without results shows.
function suiteScenarios(log) {
    if (!existsSync(log)) return [];
    return [...readFileSync(log, 'utf8').matchAll(/^[✓✗] (\S+): /gm)].map((m) => m[1]);
}

const gaps = knownGaps(gapsFile);
const rows = [];
let fatal = 0;
for (const suite of ['auth', 'backcompat', 'draft', 'extensions']) {
    const results = collect(join(outDir, '0.1.16', suite), suiteScenarios(join(outDir, `0.1.16-${suite}.log`)));
    if (results.size === 0) {
        rows.push(['0.1.16', suite, '(nothing ran)', 'FAIL', `see ${join(outDir, `0.1.16-${suite}.log`)}`]);
        fatal++;
    }
    for (const [scenario, { result, note }] of [...results].sort()) {
        let shown = result;
        let why = note;
        if (result !== 'PASS' && gaps.has(scenario)) {
            shown = `${result} (known gap)`;
            why = gaps.get(scenario);
        } else if (result !== 'PASS') {
            fatal++;
        } else if (gaps.has(scenario)) {
            shown = 'PASS (stale known-gaps entry)';
            fatal++;
        }
        rows.push(['0.1.16', suite, scenario, shown, why]);
    }
}
for (const [scenario, { result, note }] of [...collect(join(outDir, 'alpha'), alphaScenarios)].sort()) {
    rows.push(['0.2.0-alpha', 'auth', scenario, result, note]);
}

const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length), 8));
const line = (r) => r.map((cell, i) => (i < 4 ? cell.padEnd(widths[i]) : cell)).join('  ').trimEnd();
console.log(line(['version', 'suite', 'scenario', 'result', 'note']));
for (const row of rows) console.log(line(row));
const counted = (v) => rows.filter((r) => r[0] === v);
for (const v of ['0.1.16', '0.2.0-alpha']) {
    const all = counted(v);
    console.log(`${v}: ${all.filter((r) => r[3] === 'PASS').length}/${all.length} pass`);
}
if (fatal > 0) {
    console.log(`${fatal} 0.1.16 scenario(s) failed or warned outside known-gaps.txt (or the list is stale)`);
}
process.exit(fatal > 0 ? 1 : 0);
