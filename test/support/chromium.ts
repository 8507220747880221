/**
 * How every PrivAds browser test, benchmark and screenshot launches Chromium: Debian's build
 * (Playwright cannot download its own here), headless, and with background networking off because
 * this machine's closed network refuses those connections.
 */

/** Path of the Chromium executable: `CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`. */
export function chromiumPath(): string {
  return process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
}

/**
 * Command-line flags for Chromium.
 * @param options.webgpu - add `--enable-unsafe-webgpu`, without which headless Chromium exposes no
 *   WebGPU adapter; with it the adapter is SwiftShader (correct but slow).
 */
export function chromiumArgs(options: { webgpu: boolean }): string[] {
  const args = ['--no-sandbox', '--disable-background-networking', '--disable-component-update'];
  if (options.webgpu) args.push('--enable-unsafe-webgpu');
  return args;
}
