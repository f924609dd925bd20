// How the project starts Chromium, for the browser tests (tests/e2e/browser.ts) and the page
// benchmark (bench/page.mjs): Debian's binary (playwright cannot download its own here), headless,
// and with the background services off, whose connections a closed network would refuse at
// every start. Pass to playwright-core's chromium.launch().
export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_LAUNCH = {
  executablePath: CHROMIUM_PATH,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
};
