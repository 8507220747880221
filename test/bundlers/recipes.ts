/**
 * The bundler recipes, read from docs/api.md ("Bundling and serving the assets") so that the suite
 * runs exactly what the documentation tells publishers: between `<!-- bundler-recipe: NAME -->`
 * and `<!-- /bundler-recipe -->`, each `sh` block is a list of commands and each `js` block whose
 * first line is `// FILE` is a file of the app.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The bundlers a recipe is documented (and tested) for. */
export const BUNDLERS = ['vite', 'webpack', 'esbuild'] as const;
export type Bundler = (typeof BUNDLERS)[number];

/** One bundler's recipe. */
export interface Recipe {
  readonly bundler: Bundler;
  /** Shell commands, run in order in the app's folder. */
  readonly commands: readonly string[];
  /** Files to write into the app's folder (path → content). */
  readonly files: ReadonlyMap<string, string>;
}

const API_DOC = fileURLToPath(new URL('../../docs/api.md', import.meta.url));

/**
 * @param markdown - the text of docs/api.md
 * @returns every documented recipe, by bundler
 * @throws Error when a bundler has no recipe or a recipe block cannot be read
 */
export function parseRecipes(
  markdown: string = readFileSync(API_DOC, 'utf8'),
): Map<Bundler, Recipe> {
  const recipes = new Map<Bundler, Recipe>();
  const section = /<!-- bundler-recipe: (\w+) -->([^]*?)<!-- \/bundler-recipe -->/g;
  for (const [, name, body] of markdown.matchAll(section)) {
    const bundler = BUNDLERS.find((b) => b === name);
    if (bundler === undefined) throw new Error(`docs/api.md: recipe for unknown bundler ${name}`);
    const commands: string[] = [];
    const files = new Map<string, string>();
    for (const [, lang, code] of (body ?? '').matchAll(/```(\w+)\n([^]*?)```/g)) {
      if (lang === 'sh') {
        commands.push(...(code ?? '').split('\n').filter((line) => line.trim() !== ''));
      } else {
        const [first, ...rest] = (code ?? '').split('\n');
        const file = /^\/\/ ([\w./-]+)$/.exec(first ?? '')?.[1];
        if (file === undefined)
          throw new Error(`docs/api.md (${bundler}): a ${lang} block must start with "// FILE"`);
        files.set(file, rest.join('\n'));
      }
    }
    recipes.set(bundler, { bundler, commands, files });
  }
  for (const bundler of BUNDLERS) {
    if (!recipes.has(bundler)) throw new Error(`docs/api.md has no recipe for ${bundler}`);
  }
  return recipes;
}
