// Fixes to npm packages, kept as unified diffs in this folder
// (`<package>+<version>.patch`, paths relative to the package, as
// patch-package writes them) and applied by esbuild while it bundles: the
// installed package stays as npm installed it. A patch for another version
// than the installed one, or a hunk that no longer matches, fails the build.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

// "--- a/dist/x.js" ... "@@ -l,n +l,n @@" hunks -> { 'dist/x.js': [{ at, old, new }] }
export function parsePatch(text) {
  const files = {};
  let hunks = null;
  let hunk = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('+++ ')) {
      hunks = files[line.slice(4).trim().replace(/^b\//, '')] = [];
      hunk = null;
    } else if (line.startsWith('--- ')) {
      hunk = null;
    } else if (line.startsWith('@@')) {
      const m = /^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@/.exec(line);
      if (!m || !hunks) throw new Error(`bad hunk header: ${line}`);
      hunk = { at: Number(m[1]) - 1, old: [], new: [] };
      hunks.push(hunk);
    } else if (hunk && line.startsWith('\\')) {
      // "\ No newline at end of file"
    } else if (hunk && line !== '') {
      const body = line.slice(1);
      if (line[0] !== '+') hunk.old.push(body);
      if (line[0] !== '-') hunk.new.push(body);
    }
  }
  return files;
}

function matchesAt(lines, block, at) {
  if (at < 0 || at + block.length > lines.length) return false;
  return block.every((line, i) => lines[at + i] === line);
}

// Applies hunks in order; each must match where it says (or, if the file
// moved lines, at exactly one other place).
export function applyHunks(text, hunks, name) {
  const lines = text.split('\n');
  let shift = 0;
  for (const hunk of hunks) {
    let at = hunk.at + shift;
    if (!matchesAt(lines, hunk.old, at)) {
      const found = [];
      for (let i = 0; i < lines.length && found.length < 2; i += 1) if (matchesAt(lines, hunk.old, i)) found.push(i);
      if (found.length !== 1) throw new Error(`${name}: a hunk at line ${hunk.at + 1} does not apply`);
      at = found[0];
    }
    lines.splice(at, hunk.old.length, ...hunk.new);
    shift = at - hunk.at + hunk.new.length - hunk.old.length;
  }
  return lines.join('\n');
}

function loadPatches(dir) {
  const out = new Map(); // package name -> { version, files }
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.patch'))) {
    const m = /^(.+)\+([^+]+)\.patch$/.exec(file);
    if (!m) throw new Error(`patch ${file}: name it <package>+<version>.patch`);
    const name = m[1].replace('+', '/'); // @scope+name -> @scope/name
    out.set(name, { version: m[2], file, files: parsePatch(readFileSync(join(dir, file), 'utf8')) });
  }
  return out;
}

// The esbuild plugin.
export function patchPackages(dir = here) {
  const patches = loadPatches(dir);
  return {
    name: 'patch-packages',
    setup(build) {
      build.onLoad({ filter: /[\\/]node_modules[\\/]/ }, (args) => {
        const parts = args.path.split(sep);
        const i = parts.lastIndexOf('node_modules');
        const name = parts[i + 1].startsWith('@') ? `${parts[i + 1]}/${parts[i + 2]}` : parts[i + 1];
        const patch = patches.get(name);
        if (!patch) return undefined;
        const root = parts.slice(0, i + 2 + (name.startsWith('@') ? 1 : 0)).join(sep);
        const hunks = patch.files[relative(root, args.path).split(sep).join('/')];
        if (!hunks) return undefined;
        const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
        if (version !== patch.version) {
          throw new Error(`${patch.file} is for ${name} ${patch.version}, but ${version} is installed: update or drop the patch`);
        }
        return { contents: applyHunks(readFileSync(args.path, 'utf8'), hunks, patch.file), loader: 'js' };
      });
    },
  };
}
