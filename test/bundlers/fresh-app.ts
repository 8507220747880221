/**
 * Fresh publisher apps outside the repository: the workspace packages a browser app needs are
 * packed with `npm pack` (as they would be published), and each app is made from nothing but
 * `test/bundlers/app/index.js`, an HTML page and its recipe from docs/api.md, run with a default
 * npm configuration (no project `.npmrc`, none of this repository's npm settings).
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Bundler, Recipe } from './recipes.js';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** What `npm install @privads/client` brings: the client and the workspace packages it depends on. */
export const CLIENT_PACKAGES = ['protocol', 'dp', 'secagg', 'model', 'encoder', 'client'] as const;

/**
 * The environment of a publisher's shell: this process's, without the npm settings `npm test`
 * exports to its scripts (`npm_*`) and this repository's install switches. The npm cache is used
 * first (`prefer-offline`); the registry is asked only for what it lacks.
 */
function publisherEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) =>
        !/^npm_/i.test(name) && name !== 'ONNXRUNTIME_NODE_INSTALL' && name !== 'INIT_CWD',
    ),
  );
  return {
    ...env,
    npm_config_prefer_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
}

/**
 * Packs the client's packages (their `prepack` adds the LICENSE; `dist/` must be built).
 * @param into - folder for the tarballs
 * @returns the tarballs' absolute paths
 */
export async function packClient(into: string): Promise<string[]> {
  await mkdir(into, { recursive: true });
  const workspaces = CLIENT_PACKAGES.flatMap((name) => ['-w', `packages/${name}`]);
  await run('npm', ['pack', '--silent', ...workspaces, '--pack-destination', into], {
    cwd: repoRoot,
    env: publisherEnv(),
  });
  return (await readdir(into)).filter((f) => f.endsWith('.tgz')).map((f) => join(into, f));
}

/** The HTML page of each app (the one file a bundler's recipe does not say how to write). */
const PAGES: Record<Bundler, { readonly file: string; readonly script: string }> = {
  vite: { file: 'index.html', script: '<script type="module" src="/src/index.js"></script>' },
  webpack: { file: 'dist/index.html', script: '<script src="/main.js"></script>' },
  esbuild: { file: 'dist/index.html', script: '<script type="module" src="/index.js"></script>' },
};

/** A built app. */
export interface BuiltApp {
  readonly dir: string;
  /** The folder to serve. */
  readonly dist: string;
  /** Each command with its duration in seconds. */
  readonly steps: readonly { readonly command: string; readonly seconds: number }[];
}

/**
 * Creates the app in `parent/<bundler>` and runs its recipe; `npm install @privads/client` installs
 * the packed tarballs (all of them at once, so npm resolves the client's `@privads/*` dependencies
 * to them rather than to the registry).
 * @param recipe - from docs/api.md
 * @param tarballs - from {@link packClient}
 * @param parent - a folder outside the repository
 * @returns the app
 * @throws Error with the command's output when a command fails
 */
export async function buildApp(
  recipe: Recipe,
  tarballs: readonly string[],
  parent: string,
): Promise<BuiltApp> {
  const dir = join(parent, recipe.bundler);
  await mkdir(join(dir, 'src'), { recursive: true });
  await writeFile(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: `privads-${recipe.bundler}-app`, private: true, type: 'module' }, null, 2)}\n`,
  );
  await copyFile(
    fileURLToPath(new URL('./app/index.js', import.meta.url)),
    join(dir, 'src/index.js'),
  );
  for (const [file, content] of recipe.files) await writeFile(join(dir, file), content);
  // Neither webpack nor esbuild empties dist/, so every page can be written before the build.
  const page = PAGES[recipe.bundler];
  await mkdir(join(dir, 'dist'), { recursive: true });
  await writeFile(
    join(dir, page.file),
    `<!doctype html>\n<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>${recipe.bundler} app</title></head>\n<body>${page.script}</body></html>\n`,
  );
  const steps: { command: string; seconds: number }[] = [];
  for (const command of recipe.commands) {
    const shell = command.replace(
      /^npm install @privads\/client$/,
      `npm install ${tarballs.join(' ')}`,
    );
    const started = performance.now();
    try {
      await run('sh', ['-c', shell], { cwd: dir, env: publisherEnv(), maxBuffer: 64 << 20 });
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      throw new Error(`${recipe.bundler}: \`${command}\` failed\n${stdout ?? ''}\n${stderr ?? ''}`);
    }
    steps.push({ command, seconds: (performance.now() - started) / 1000 });
  }
  return { dir, dist: join(dir, 'dist'), steps };
}
