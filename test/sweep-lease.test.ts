// The run-directory lease: one holder at a time, a stale lease taken over once, a lost lease noticed,
// and real processes racing for the same lease (fresh and stale): exactly one wins each time.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Lease, beatPath, leasePath, readLease } from '../src/sweep/lease.ts';
import { sleep, tmp, waitFor } from './sweep-helpers.ts';

/** The files a holder that crashed a while ago leaves: its lease, and a beat that expired. */
function writeStaleLease(dir: string, expiredMsAgo = 1000): void {
  const owner = 'elsewhere:1:0123456789ab';
  writeFileSync(leasePath(dir), JSON.stringify({ owner, host: 'elsewhere', pid: 1, acquired: 0 }));
  writeFileSync(beatPath(dir, owner), JSON.stringify({ heartbeat: 0, expires: Date.now() - expiredMsAgo }));
}

test('one holder at a time: a second acquire is told who holds the lease; release frees it', () => {
  const dir = tmp();
  const a = Lease.acquire(dir, 5000, { envSteps: 0 });
  assert.ok(a.ok);
  const b = Lease.acquire(dir, 5000);
  assert.equal(b.ok, false);
  if (b.ok) return;
  assert.equal(b.holder?.owner, a.lease.info.owner);
  assert.ok(b.retryInMs > 3000 && b.retryInMs <= 5000, String(b.retryInMs));
  assert.ok(a.lease.holds());
  a.lease.release();
  assert.equal(existsSync(leasePath(dir)), false);
  const c = Lease.acquire(dir, 5000);
  assert.ok(c.ok);
});

test('renew pushes the expiry forward and carries a note; a lease taken over is noticed as lost', async () => {
  const dir = tmp();
  const got = Lease.acquire(dir, 300);
  assert.ok(got.ok);
  const lease = got.lease;
  const first = lease.info.expires;
  await sleep(20);
  assert.equal(lease.renew({ envSteps: 120 }), true);
  const read = readLease(dir)!.info!;
  assert.ok(read.expires > first);
  assert.deepEqual(read.note, { envSteps: 120 });
  // the holder stops renewing (frozen): after the time to live another process takes the lease over
  await sleep(350);
  const other = Lease.acquire(dir, 5000);
  assert.ok(other.ok, 'a stale lease is taken over');
  assert.equal(lease.holds(), false);
  assert.equal(lease.renew(), false, 'the old holder learns that it lost the lease');
  lease.release();
  assert.ok(other.ok && other.lease.holds(), 'releasing a lost lease leaves the new holder alone');
});

test('a holder that wakes up after losing the run cannot overwrite the new holder\'s lease', () => {
  const dir = tmp();
  const first = Lease.acquire(dir, 60_000);
  assert.ok(first.ok);
  // the run changes hands behind the first holder's back (as after its expiry while it was frozen)
  const leaseText = readFileSync(leasePath(dir), 'utf8');
  writeFileSync(leasePath(dir) + '.x', leaseText.replace(first.lease.info.owner, 'elsewhere:2:aaaaaaaaaaaa'));
  renameSync(leasePath(dir) + '.x', leasePath(dir));
  assert.equal(first.lease.renew({ envSteps: 1 }), false);
  first.lease.release();
  assert.equal(JSON.parse(readFileSync(leasePath(dir), 'utf8')).owner, 'elsewhere:2:aaaaaaaaaaaa', 'renew and release left the new lease alone');
});

test('a lease file without content counts as fresh until its file time is older than the time to live', () => {
  const dir = tmp();
  writeFileSync(leasePath(dir), '');
  assert.equal(Lease.acquire(dir, 10_000).ok, false, 'a creator between open and write is not robbed');
  const old = (Date.now() - 60_000) / 1000;
  utimesSync(leasePath(dir), old, old);
  assert.ok(Lease.acquire(dir, 10_000).ok);
});

test('a takeover file left by a crashed taker blocks only until it is old', () => {
  const dir = tmp();
  writeStaleLease(dir);
  writeFileSync(leasePath(dir) + '.takeover', 'x');
  assert.equal(Lease.acquire(dir, 1000).ok, false);
  const old = (Date.now() - 60_000) / 1000;
  utimesSync(leasePath(dir) + '.takeover', old, old);
  assert.equal(Lease.acquire(dir, 1000).ok, false, 'the first look removes the leftover');
  assert.ok(Lease.acquire(dir, 1000).ok, 'the next one takes the stale lease');
});

/** Starts n processes that each try to take the lease of dir at the same moment; returns their answers. */
async function race(dir: string, n: number): Promise<string[]> {
  const go = join(dir, 'go');
  const leaseUrl = pathToFileURL(new URL('../src/sweep/lease.ts', import.meta.url).pathname).href;
  const code = `
    import { existsSync } from 'node:fs';
    const { Lease } = await import(${JSON.stringify(leaseUrl)});
    process.stdout.write('ready;');
    while (!existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 1));
    const r = Lease.acquire(${JSON.stringify(dir)}, 60000);
    process.stdout.write(r.ok ? 'won ' + r.lease.info.owner : 'busy');`;
  const outs: string[] = [];
  const procs = Array.from({ length: n }, (_, i) => {
    const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    outs[i] = '';
    p.stdout.on('data', (d) => { outs[i] += d; });
    return new Promise<string>((resolve) => p.on('exit', () => resolve(outs[i].replace('ready;', ''))));
  });
  // every process loaded and polling the barrier, then all go at once
  await waitFor('the racers to be ready', () => outs.every((o) => o.startsWith('ready;')), 30_000, 10);
  writeFileSync(go, '');
  return Promise.all(procs);
}

test('processes racing for a free lease: exactly one wins', async () => {
  for (let round = 0; round < 2; round++) {
    const dir = tmp();
    const answers = await race(dir, 6);
    const winners = answers.filter((a) => a.startsWith('won'));
    assert.equal(winners.length, 1, answers.join(' | '));
    assert.equal(readLease(dir)!.info!.owner, winners[0].slice(4));
  }
});

test('processes racing to take over a stale lease: exactly one wins', async () => {
  for (let round = 0; round < 2; round++) {
    const dir = tmp();
    mkdirSync(dir, { recursive: true });
    writeStaleLease(dir);
    const answers = await race(dir, 6);
    const winners = answers.filter((a) => a.startsWith('won'));
    assert.equal(winners.length, 1, answers.join(' | '));
    await waitFor('the lease to name the winner', () => JSON.parse(readFileSync(leasePath(dir), 'utf8')).owner === winners[0].slice(4), 2000);
    assert.equal(existsSync(leasePath(dir) + '.takeover'), false, 'the takeover file is gone');
    // the crashed holder's beat is cleared away, the losers' beats too: only the winner's remains
    await waitFor('the losers to leave', () => readdirSync(dir).filter((n) => n.endsWith('.beat')).length === 1, 5000);
    assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.beat')), [beatPath(dir, winners[0].slice(4)).split('/').pop()]);
  }
});
