#!/usr/bin/env node
import { runEncodeCli } from './cli-main.js';

process.exitCode = await runEncodeCli(process.argv.slice(2), process);
