// The version of this code, for config.json and `commons --version`: the package's version and, when
// known, the git commit it was built from (embedded by scripts/build-bundles.mjs) or, running from the
// sources, the commit checked out. Node only; never reaches the network.

import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

declare const __COMMONS_BUILD__: { version: string; commit: string | null; dirty: boolean } | undefined;

export interface CodeVersion {
  /** package.json's version. */
  package: string;
  /** The git commit (40 hex digits), or null outside a git checkout. */
  commit: string | null;
  /** Whether the working tree had uncommitted changes (null when unknown). */
  dirty: boolean | null;
}

let cached: CodeVersion | undefined;

/** The package root: the nearest folder above this module with a package.json named commons. */
function packageRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      try {
        if (JSON.parse(readFileSync(p, 'utf8')).name === 'commons') return dir;
      } catch { /* not ours */ }
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

function git(root: string, ...args: string[]): string | null {
  const r = spawnSync('git', ['-C', root, ...args], { encoding: 'utf8', timeout: 5000 });
  return r.status === 0 ? r.stdout.trim() : null;
}

export function codeVersion(): CodeVersion {
  if (cached) return cached;
  if (typeof __COMMONS_BUILD__ !== 'undefined') {
    cached = { package: __COMMONS_BUILD__.version, commit: __COMMONS_BUILD__.commit, dirty: __COMMONS_BUILD__.commit ? __COMMONS_BUILD__.dirty : null };
    return cached;
  }
  const root = packageRoot();
  let version = '0.0.0';
  if (root) version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  const commit = root ? git(root, 'rev-parse', 'HEAD') : null;
  const status = commit && root ? git(root, 'status', '--porcelain', '--untracked-files=no') : null;
  cached = { package: version, commit, dirty: commit ? status !== null && status !== '' : null };
  return cached;
}

/** "0.1.0 (commit 1a2b3c4d5e6f, with uncommitted changes)". */
export function versionLine(v = codeVersion()): string {
  if (!v.commit) return v.package;
  return `${v.package} (commit ${v.commit.slice(0, 12)}${v.dirty ? ', with uncommitted changes' : ''})`;
}
