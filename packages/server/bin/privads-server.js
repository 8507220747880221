#!/usr/bin/env node
// Checked in (dist/ is built later): npm links a bin only if its file exists at install time.
import '../dist/cli.js';
