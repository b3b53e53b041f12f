// The platform-neutral checkpoint format: the pure-TypeScript SHA-256 agrees with node:crypto, checkpoints
// encode and decode to the same tensors, the tar archives are ones the system tar reads and writes, bad
// archives and file sets are refused with the source named, and an archive exported from a saved checkpoint
// loads like the directory it came from.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex } from '../src/util/sha256.ts';
import {
  encodeCheckpoint, decodeCheckpoint, packArchive, unpackArchive, readCheckpointFiles, checkpointId,
  type CheckpointData,
} from '../src/learn/checkpoint-format.ts';
import { saveCheckpoint, loadCheckpoint, exportCheckpointArchive, listCheckpoints } from '../src/hosting/checkpoint.ts';
import { InputError } from '../src/util/errors.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'commons-ckfmt-'));
const nodeSha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const bytesOf = (s: string) => new TextEncoder().encode(s);

/** A checkpoint's worth of data: a few tensors of awkward sizes, an env blob, and the manifest fields. */
function sample(envSteps = 1000): CheckpointData {
  let x = 1;
  const rand = () => ((x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
  const tensor = (name: string, shape: number[]) => ({ name, shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, rand) });
  return {
    manifest: {
      game: 'harvest', version: '0.1.0', model: 'a2c', algo: 'a2c', agents: 2, envs: 4, shareParams: false,
      envSteps, agentSteps: envSteps * 2, updates: envSteps / 10,
      trainer: { rng: [1, 2, 3, 4], note: 'ünïcødé' }, config: { lr: 0.001 },
    },
    tensors: [tensor('agent0/dense/kernel', [13, 7]), tensor('agent0/dense/bias', [7]), tensor('h', [3]), tensor('empty', [0])],
    env: Uint8Array.from({ length: 777 }, (_, i) => (i * 31) & 255),
  };
}

const sameTensors = (a: { name: string; data: Float32Array; shape: number[] }[], b: typeof a) => {
  assert.deepEqual(a.map((t) => [t.name, t.shape]), b.map((t) => [t.name, t.shape]));
  a.forEach((t, k) => assert.deepEqual(Array.from(t.data), Array.from(b[k].data), t.name));
};

const errorLike = (re: RegExp) => (e: unknown) => e instanceof InputError && re.test(e.message);

describe('sha256Hex', () => {
  test('matches node:crypto on random buffers of every length around the block and padding edges', () => {
    const lengths = [0, 1, 2, 3, 31, 32, 55, 56, 57, 63, 64, 65, 111, 119, 120, 127, 128, 129, 1000, 4096, 65537, 1e6];
    for (const n of lengths) {
      const b = randomBytes(n);
      assert.equal(sha256Hex(b), nodeSha(b), `length ${n}`);
    }
    for (let n = 0; n < 300; n++) {
      const b = randomBytes(n);
      assert.equal(sha256Hex(b), nodeSha(b), `length ${n}`);
    }
  });

  test('known vectors, and views into a larger buffer hash only their own bytes', () => {
    assert.equal(sha256Hex(new Uint8Array(0)), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    assert.equal(sha256Hex(bytesOf('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(sha256Hex(bytesOf('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')),
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
    const big = randomBytes(5000);
    const view = big.subarray(123, 123 + 3001);
    assert.equal(sha256Hex(view), nodeSha(Buffer.from(view)));
  });

  test('hashes 20 MB in well under a few seconds', () => {
    const b = randomBytes(20e6);
    const t = performance.now();
    assert.equal(sha256Hex(b), nodeSha(b));
    assert.ok(performance.now() - t < 5000, `took ${performance.now() - t} ms`);
  });
});

describe('encode / decode', () => {
  test('a checkpoint round-trips, with the digests node:crypto computes and the id of its step', () => {
    const data = sample();
    const { id, files, manifest } = encodeCheckpoint(data);
    assert.equal(id, 'step-000000001000');
    assert.equal(id, checkpointId(1000));
    assert.deepEqual(Object.keys(files), ['manifest.json', 'tensors.bin', 'env.bin']);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(files['manifest.json'])), manifest);
    assert.equal(manifest.files['tensors.bin'].sha256, nodeSha(files['tensors.bin']));
    assert.equal(manifest.files['env.bin'].sha256, nodeSha(files['env.bin']));
    assert.equal(files['tensors.bin'].length, 4 * (91 + 7 + 3));
    const back = decodeCheckpoint(files, 'somewhere');
    assert.equal(back.dir, 'somewhere');
    assert.deepEqual(back.manifest, manifest);
    assert.equal(back.manifest.trainer.note, 'ünïcødé');
    sameTensors(back.tensors, data.tensors);
    assert.deepEqual(back.env, data.env);
  });

  test('missing, truncated, corrupt and foreign files are refused with the file named', () => {
    const { files } = encodeCheckpoint(sample());
    const without = (name: string) => Object.fromEntries(Object.entries(files).filter(([n]) => n !== name));
    assert.throws(() => decodeCheckpoint(without('manifest.json'), 'up'), errorLike(/^checkpoint: up\/manifest\.json is missing$/));
    assert.throws(() => decodeCheckpoint(without('env.bin'), 'up'), errorLike(/^checkpoint: up\/env\.bin is missing$/));
    assert.throws(() => decodeCheckpoint({ ...files, 'env.bin': files['env.bin'].subarray(0, 100) }, 'up'),
      errorLike(/up\/env\.bin is truncated or corrupt: 100 bytes, expected 777/));
    const flipped = files['tensors.bin'].slice();
    flipped[10] ^= 1;
    assert.throws(() => decodeCheckpoint({ ...files, 'tensors.bin': flipped }, 'up'), errorLike(/up\/tensors\.bin is corrupt: its SHA-256 does not match the manifest/));
    assert.throws(() => decodeCheckpoint({ ...files, 'manifest.json': files['manifest.json'].subarray(0, 50) }, 'up'),
      errorLike(/up\/manifest\.json is corrupt or truncated/));
    assert.throws(() => decodeCheckpoint({ ...files, 'manifest.json': bytesOf('{"format":"other","formatVersion":1}') }, 'up'),
      errorLike(/up\/manifest\.json is not a commons-checkpoint manifest/));
    assert.throws(() => decodeCheckpoint({ ...files, 'manifest.json': bytesOf('[1,2]') }, 'up'), errorLike(/is not a commons-checkpoint manifest/));
    const m = JSON.parse(new TextDecoder().decode(files['manifest.json']));
    assert.throws(() => decodeCheckpoint({ ...files, 'manifest.json': bytesOf(JSON.stringify({ ...m, formatVersion: 7 })) }, 'up'),
      errorLike(/up\/manifest\.json has format version 7; this commons reads versions 1, 2, 3/));
    const withManifest = (o: object) => ({ ...files, 'manifest.json': bytesOf(JSON.stringify({ ...m, ...o })) });
    assert.throws(() => decodeCheckpoint(withManifest({ files: null }), 'up'), errorLike(/not a valid commons-checkpoint manifest: 'files' is not an object/));
    assert.throws(() => decodeCheckpoint(withManifest({ files: { 'env.bin': m.files['env.bin'] } }), 'up'), errorLike(/'files' does not list tensors\.bin/));
    assert.throws(() => decodeCheckpoint(withManifest({ tensors: 3 }), 'up'), errorLike(/'tensors' is not a list/));
    assert.throws(() => decodeCheckpoint(withManifest({ tensors: [{ name: 'x', shape: [1], offset: 100, length: 2 }] }), 'up'),
      errorLike(/tensor entry 0 \(x\) is malformed or lies outside tensors\.bin \(101 values\)/));
  });
});

describe('tar archives', () => {
  const files = () => ({
    'manifest.json': bytesOf('{"a": 1}'),
    'tensors.bin': randomBytes(512 * 3),
    'env.bin': randomBytes(1001),
    'empty': new Uint8Array(0),
    [`deep/${'d'.repeat(90)}/${'f'.repeat(90)}.bin`]: randomBytes(5), // over 100 bytes: split over prefix and name
  });

  test('pack then unpack gives the same files, in order, and the layout is 512-byte blocks', () => {
    const f = files();
    const tar = packArchive(f);
    assert.equal(tar.length % 512, 0);
    assert.deepEqual(tar.subarray(tar.length - 1024), new Uint8Array(1024));
    const back = unpackArchive(tar, 'x.tar');
    assert.deepEqual(Object.keys(back), Object.keys(f));
    for (const [n, b] of Object.entries(f)) assert.deepEqual(Buffer.from(back[n]), Buffer.from(b), n);
    assert.deepEqual(packArchive(f), tar, 'the same files give the same archive');
  });

  test('the system tar lists and extracts it byte for byte, and its own archives unpack', () => {
    const dir = tmp();
    const f = files();
    writeFileSync(join(dir, 'a.tar'), packArchive(f, 1_700_000_000));
    const listed = execFileSync('tar', ['-tf', join(dir, 'a.tar')], { encoding: 'utf8' }).trim().split('\n');
    assert.deepEqual(listed, Object.keys(f));
    const out = join(dir, 'out');
    mkdirSync(out);
    execFileSync('tar', ['-xf', join(dir, 'a.tar'), '-C', out]);
    for (const [n, b] of Object.entries(f)) assert.deepEqual(readFileSync(join(out, n)), Buffer.from(b), n);
    const verbose = execFileSync('tar', ['-tvf', join(dir, 'a.tar')], { encoding: 'utf8' });
    assert.match(verbose, /^-rw-r--r-- .* 2023-11-1\d /m);

    // And the other way: archives made by tar (with a directory entry, './' names, GNU or pax format).
    for (const format of ['gnu', 'pax', 'ustar']) {
      const made = join(dir, `${format}.tar`);
      execFileSync('tar', ['-cf', made, `--format=${format}`, '-C', out, '.']);
      const back = unpackArchive(readFileSync(made), made);
      assert.deepEqual(Object.keys(back).sort(), Object.keys(f).sort(), format);
      for (const [n, b] of Object.entries(f)) assert.deepEqual(Buffer.from(back[n]), Buffer.from(b), `${format} ${n}`);
    }
    // A name no ustar header can hold: GNU tar writes an 'L' entry before it, pax a 'path' record.
    const long = join(dir, 'long');
    mkdirSync(long);
    const name = `${'n'.repeat(130)}.bin`;
    writeFileSync(join(long, name), 'long');
    for (const format of ['gnu', 'pax']) {
      const made = join(dir, `long-${format}.tar`);
      execFileSync('tar', ['-cf', made, `--format=${format}`, '-C', long, name]);
      assert.deepEqual(Object.keys(unpackArchive(readFileSync(made), made)), [name], format);
    }
  });

  test('non-tar input, bad checksums and truncation are refused with the archive named', () => {
    const tar = packArchive(files());
    assert.throws(() => unpackArchive(new Uint8Array(0), 'in.tar'), errorLike(/^archive: in\.tar is empty, not a tar archive$/));
    assert.throws(() => unpackArchive(bytesOf('{"not": "a tar"}'), 'in.tar'), errorLike(/in\.tar is not a tar archive \(16 bytes/));
    assert.throws(() => unpackArchive(randomBytes(4096), 'in.tar'), errorLike(/in\.tar is not a tar archive \(its first 512 bytes/));
    const first = tar.slice();
    first[3] ^= 0x20;
    assert.throws(() => unpackArchive(first, 'in.tar'), errorLike(/in\.tar is not a tar archive/));
    const second = tar.slice();
    second[1024 + 5] ^= 1; // inside the header of the second file (the first has one block of data)
    assert.throws(() => unpackArchive(second, 'in.tar'), errorLike(/in\.tar is corrupt: the tar header at byte 1024 has a bad checksum/));
    assert.throws(() => unpackArchive(tar.subarray(0, 1024 + 512 + 700), 'in.tar'), errorLike(/in\.tar is truncated: an entry at byte 1024 needs 1536 bytes of data, 700 are there/));
    assert.throws(() => unpackArchive(tar.subarray(0, tar.length - 1024), 'in.tar'), errorLike(/in\.tar is truncated: it ends after \d+ bytes without the end-of-archive blocks/));
  });
});

describe('readCheckpointFiles', () => {
  const { files } = encodeCheckpoint(sample());
  const loose = (prefix = '') => Object.entries(files).map(([name, bytes]) => ({ name: prefix + name, bytes }));

  test('loose files, with or without a directory prefix', () => {
    const a = readCheckpointFiles(loose(), 'upload');
    assert.equal(a.dir, 'upload');
    sameTensors(a.tensors, sample().tensors);
    const b = readCheckpointFiles(loose('step-000000001000/').reverse(), 'upload');
    assert.equal(b.dir, 'upload/step-000000001000');
    assert.deepEqual(b.env, files['env.bin']);
  });

  test('one archive, by name or by content, flat or holding the checkpoint directory', () => {
    const flat = readCheckpointFiles([{ name: 'ck.tar', bytes: packArchive(files) }], 'upload');
    assert.equal(flat.dir, 'upload/ck.tar');
    sameTensors(flat.tensors, sample().tensors);
    const nested = packArchive(Object.fromEntries(Object.entries(files).map(([n, b]) => [`step-000000001000/${n}`, b])));
    const b = readCheckpointFiles([{ name: 'download', bytes: nested }], 'upload');
    assert.equal(b.dir, 'upload/download/step-000000001000');
    assert.deepEqual(b.manifest.id, 'step-000000001000');
    // Errors inside an archive name the archive and the file in it.
    const bad = { ...files, 'env.bin': files['env.bin'].slice(0, 9) };
    assert.throws(() => readCheckpointFiles([{ name: 'ck.tar', bytes: packArchive(bad) }], 'upload'),
      errorLike(/^checkpoint: upload\/ck\.tar\/env\.bin is truncated or corrupt: 9 bytes, expected 777$/));
  });

  test('a wrong file handed to a worker (the web app\'s "load a checkpoint") is named once, without a doubled prefix', async () => {
    const { ShardService } = await import('../src/parallel/service.ts');
    const service = new ShardService(() => {});
    await assert.rejects(service.loadPlayer([{ name: 'notes.txt', bytes: bytesOf('hi') }], {}), (e: Error) => {
      assert.match(e.message, /^checkpoint: given notes\.txt; need one \.tar checkpoint archive.*\(notes\.txt is neither\)$/);
      assert.doesNotMatch(e.message, /checkpoint: checkpoint:/);
      return true;
    });
    await assert.rejects(service.loadPlayer([{ name: 'ck.tar', bytes: bytesOf('hello') }], {}), /^Error: archive: ck\.tar is not a tar archive|archive: ck\.tar is not a tar archive/);
  });

  test('anything else is refused, saying what was given and what is needed', () => {
    const need = /need one \.tar checkpoint archive, or the files manifest\.json, tensors\.bin, env\.bin of one checkpoint directory/;
    assert.throws(() => readCheckpointFiles([], 'upload'), errorLike(/upload: given nothing; need/));
    assert.throws(() => readCheckpointFiles([...loose(), { name: 'notes.txt', bytes: bytesOf('hi') }], 'upload'),
      (e) => errorLike(need)(e) && errorLike(/given manifest\.json, tensors\.bin, env\.bin, notes\.txt; .*\(notes\.txt is neither\)/)(e));
    assert.throws(() => readCheckpointFiles(loose().slice(0, 2), 'upload'),
      errorLike(/upload: given manifest\.json, tensors\.bin; a checkpoint needs manifest\.json, tensors\.bin, env\.bin \(no env\.bin\)/));
    assert.throws(() => readCheckpointFiles(loose().slice(1), 'upload'), errorLike(/\(no manifest\.json\)/));
    assert.throws(() => readCheckpointFiles([{ name: 'ck.tar', bytes: packArchive(files) }, ...loose()], 'upload'), errorLike(/not an archive together with other files/));
    assert.throws(() => readCheckpointFiles([...loose('a/'), { name: 'b/env.bin', bytes: files['env.bin'] }], 'upload'),
      errorLike(/b\/env\.bin is not in the folder of a\/manifest\.json/));
    assert.throws(() => readCheckpointFiles([{ name: 'ck.tar', bytes: bytesOf('hello') }], 'upload'), errorLike(/archive: upload\/ck\.tar is not a tar archive/));
    const two = packArchive({ ...Object.fromEntries(loose('a/').map((f) => [f.name, f.bytes])), ...Object.fromEntries(loose('b/').map((f) => [f.name, f.bytes])) });
    assert.throws(() => readCheckpointFiles([{ name: 'run.tar', bytes: two }], 'upload'), errorLike(/holds 2 manifest\.json files \(a\/manifest\.json, b\/manifest\.json\); give one checkpoint at a time/));
    assert.throws(() => readCheckpointFiles([{ name: 'x.tar', bytes: packArchive({ 'readme': bytesOf('x') }) }], 'upload'),
      errorLike(/upload\/x\.tar: it holds readme; a checkpoint needs manifest\.json, tensors\.bin, env\.bin \(no manifest\.json\)/));
  });
});

describe('checkpoints on disk and archives', () => {
  test('an exported archive holds the stored files, untars into the directory, and loads to the same checkpoint', () => {
    const run = tmp();
    const data = sample(400);
    const id = saveCheckpoint(run, data);
    saveCheckpoint(run, sample(800));
    assert.deepEqual(listCheckpoints(run), ['step-000000000400', 'step-000000000800']);
    const stored = loadCheckpoint(run, id);
    const tar = exportCheckpointArchive(run, id);
    assert.deepEqual(exportCheckpointArchive(run, id), tar, 'exports are reproducible');
    const members = unpackArchive(tar, 'export');
    assert.deepEqual(Object.keys(members), ['manifest.json', 'tensors.bin', 'env.bin']);
    const dir = join(run, 'checkpoints', id);
    for (const n of Object.keys(members)) assert.deepEqual(Buffer.from(members[n]), readFileSync(join(dir, n)), n);

    const out = tmp();
    writeFileSync(join(out, 'ck.tar'), tar);
    execFileSync('tar', ['-xf', join(out, 'ck.tar'), '-C', out]);
    assert.deepEqual(readdirSync(out).sort(), ['ck.tar', 'env.bin', 'manifest.json', 'tensors.bin']);
    for (const n of Object.keys(members)) assert.deepEqual(readFileSync(join(out, n)), readFileSync(join(dir, n)), n);

    const loaded = readCheckpointFiles([{ name: 'ck.tar', bytes: tar }], 'browser');
    assert.deepEqual(loaded.manifest, stored.manifest);
    sameTensors(loaded.tensors, stored.tensors);
    sameTensors(loaded.tensors, data.tensors);
    assert.deepEqual(loaded.env, stored.env);
    assert.equal(exportCheckpointArchive(run).length > 0, true);
    assert.equal(unpackArchive(exportCheckpointArchive(run), 'latest')['manifest.json'].length > 0, true);
    assert.equal(JSON.parse(new TextDecoder().decode(unpackArchive(exportCheckpointArchive(run), 'latest')['manifest.json'])).id, 'step-000000000800');

    // A corrupt stored checkpoint is not exported.
    const t = readFileSync(join(dir, 'tensors.bin'));
    t[0] ^= 1;
    writeFileSync(join(dir, 'tensors.bin'), t);
    assert.throws(() => exportCheckpointArchive(run, id), errorLike(/tensors\.bin is corrupt: its SHA-256 does not match/));
  });

  test('the directory written is byte for byte what encodeCheckpoint gives (bar the creation time)', () => {
    const run = tmp();
    const data = sample(1000);
    const id = saveCheckpoint(run, data);
    const dir = join(run, 'checkpoints', id);
    const enc = encodeCheckpoint(data);
    const onDisk = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    assert.deepEqual({ ...onDisk, createdAt: '' }, { ...enc.manifest, createdAt: '' });
    assert.deepEqual(readFileSync(join(dir, 'tensors.bin')), Buffer.from(enc.files['tensors.bin']));
    assert.deepEqual(readFileSync(join(dir, 'env.bin')), Buffer.from(enc.files['env.bin']));
    assert.deepEqual(JSON.parse(readFileSync(join(run, 'checkpoints', 'latest.json'), 'utf8')), { id });
  });
});
