#!/usr/bin/env node
/**
 * `prepack` of every published package: copies the repository's LICENSE into the package folder
 * (npm packs a package's own LICENSE only), so each tarball carries the Apache-2.0 text without a
 * checked-in copy per package. Run with the package folder as the working directory (npm does).
 */
import { copyFile } from 'node:fs/promises';

await copyFile(new URL('../LICENSE', import.meta.url), `${process.cwd()}/LICENSE`);
